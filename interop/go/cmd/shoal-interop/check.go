package main

// The `check` subcommand: decodes Shoal's bytes with Go's own code (or, for the
// encode-* kinds, encodes JSON fields with it), one JSON request per stdin line,
// one JSON answer per stdout line.

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/hashicorp/memberlist"
)

type checkRequest struct {
	ID              interface{} `json:"id"`
	Kind            string      `json:"kind"`
	Hex             string      `json:"hex"`
	Keys            []string    `json:"keys"`
	Key             string      `json:"key"` // shorthand for a single key
	AD              string      `json:"ad"`
	VerifyIncoming  *bool       `json:"verifyIncoming"`
	ProtocolVersion uint8       `json:"protocolVersion"`
	// For the encode-* kinds: what Go should encode. encode-packet and
	// encode-stream wrap `hex` with the real send paths, keys[0] as primary.
	Type     string `json:"type"`
	Fields   fields `json:"fields"`
	Compress bool   `json:"compress"`
	CRC      bool   `json:"crc"`
}

type checkResponse struct {
	ID     interface{} `json:"id"`
	OK     bool        `json:"ok"`
	Fields interface{} `json:"fields,omitempty"`
	Error  string      `json:"error,omitempty"`
}

func runCheck(in io.Reader, out io.Writer) error {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 1<<20), 256<<20)
	w := bufio.NewWriter(out)
	enc := json.NewEncoder(w)
	for scanner.Scan() {
		line := scanner.Bytes()
		if len(line) == 0 {
			continue
		}
		var req checkRequest
		var resp checkResponse
		if err := json.Unmarshal(line, &req); err != nil {
			resp = checkResponse{Error: "bad request: " + err.Error()}
		} else {
			resp = checkOne(req)
		}
		if err := enc.Encode(resp); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return scanner.Err()
}

// checkOne never lets a panic in memberlist's code (which it has, for some
// malformed input) take the whole process down: it is reported as an error.
func checkOne(req checkRequest) (resp checkResponse) {
	resp.ID = req.ID
	defer func() {
		if r := recover(); r != nil {
			resp.OK, resp.Fields, resp.Error = false, nil, fmt.Sprintf("panic: %v", r)
		}
	}()
	f, err := decodeKind(req)
	if err != nil {
		resp.Error = err.Error()
		return
	}
	resp.OK, resp.Fields = true, f
	return
}

func decodeKeys(list []string) ([][]byte, error) {
	keys := make([][]byte, len(list))
	for i, k := range list {
		b, err := hex.DecodeString(k)
		if err != nil {
			return nil, err
		}
		keys[i] = b
	}
	return keys, nil
}

func expectType(buf []byte, t uint8) error {
	if len(buf) == 0 || buf[0] != t {
		return fmt.Errorf("not a %s message", typeName(t))
	}
	return nil
}

func decodeKind(req checkRequest) (interface{}, error) {
	buf, err := hex.DecodeString(req.Hex)
	if err != nil {
		return nil, err
	}
	if req.Key != "" {
		req.Keys = append([]string{req.Key}, req.Keys...)
	}
	keys, err := decodeKeys(req.Keys)
	if err != nil {
		return nil, err
	}
	verify := req.VerifyIncoming == nil || *req.VerifyIncoming
	codecFor := func() (*memberlist.ShoalCodec, error) {
		return memberlist.NewShoalCodec(memberlist.ShoalCodecOptions{Keys: keys, VerifyIncoming: verify, ProtocolVersion: req.ProtocolVersion, BindPort: 7946})
	}
	switch req.Kind {
	case "encode-message":
		out, err := encodeMessageFields(req.Type, req.Fields)
		if err != nil {
			return nil, err
		}
		return fields{"hex": hexs(out)}, nil
	case "encode-packet", "encode-stream":
		c, err := memberlist.NewShoalCodec(memberlist.ShoalCodecOptions{Compression: req.Compress, Keys: keys,
			ProtocolVersion: req.ProtocolVersion, VerifyOutgoing: true})
		if err != nil {
			return nil, err
		}
		var out []byte
		if req.Kind == "encode-packet" {
			out, err = c.SendPacket(buf, req.CRC)
		} else {
			out, err = c.SendStream(buf)
		}
		if err != nil {
			return nil, err
		}
		return fields{"hex": hexs(out)}, nil
	case "encode-push-pull":
		out, err := encodePushPullFields(req.Fields)
		if err != nil {
			return nil, err
		}
		return fields{"hex": hexs(out)}, nil
	case "message":
		return decodeMessage(buf)
	case "push-pull", "user-stream", "stream":
		c, err := codecFor()
		if err != nil {
			return nil, err
		}
		m, err := c.ReadStream(buf)
		if err != nil {
			return nil, err
		}
		return streamFields(req.Kind, m)
	case "compound":
		if err := expectType(buf, memberlist.ShoalCompoundMsg); err != nil {
			return nil, err
		}
		f := compoundDecoded(buf)
		if e, ok := f["error"]; ok {
			return nil, fmt.Errorf("%v", e)
		}
		return f, nil
	case "compress":
		if err := expectType(buf, memberlist.ShoalCompressMsg); err != nil {
			return nil, err
		}
		inner, err := memberlist.ShoalDecompressPayload(buf[1:])
		if err != nil {
			return nil, err
		}
		return fields{"inner": hexs(inner)}, nil
	case "lzw":
		data, err := lzwDecompress(buf)
		if err != nil {
			return nil, err
		}
		return fields{"data": hexs(data)}, nil
	case "crc":
		if len(buf) < 5 || buf[0] != memberlist.ShoalHasCrcMsg {
			return nil, fmt.Errorf("not a crc message")
		}
		if crc32.ChecksumIEEE(buf[5:]) != binary.BigEndian.Uint32(buf[1:5]) {
			return nil, fmt.Errorf("invalid checksum")
		}
		return fields{"inner": hexs(buf[5:])}, nil
	case "encrypt":
		ad, err := hex.DecodeString(req.AD)
		if err != nil {
			return nil, err
		}
		plain, err := memberlist.ShoalDecryptPayload(keys, buf, ad)
		if err != nil {
			return nil, err
		}
		return fields{"plaintext": hexs(plain)}, nil
	case "packet":
		c, err := codecFor()
		if err != nil {
			return nil, err
		}
		p, err := c.IngestPacket(buf)
		if err != nil {
			return nil, err
		}
		msgs := make([]fields, len(p.Parts))
		for i, part := range p.Parts {
			m, err := decodeMessage(append([]byte{part.Type}, part.Body...))
			if err != nil {
				return nil, fmt.Errorf("part %d: %v", i, err)
			}
			msgs[i] = m
		}
		return fields{"decrypted": p.Decrypted, "hadCrc": p.HadCRC, "truncated": p.Truncated, "messages": msgs}, nil
	}
	return nil, fmt.Errorf("unknown kind %q", req.Kind)
}

func streamFields(kind string, m *memberlist.ShoalStreamMessage) (fields, error) {
	switch {
	case kind == "push-pull" && m.Type != memberlist.ShoalPushPullMsg:
		return nil, fmt.Errorf("expected push-pull, got %s", typeName(m.Type))
	case kind == "user-stream" && m.Type != memberlist.ShoalUserMsg:
		return nil, fmt.Errorf("expected user, got %s", typeName(m.Type))
	}
	var f fields
	switch m.Type {
	case memberlist.ShoalPushPullMsg:
		f = pushPullFields(m.Join, m.Nodes, m.UserState)
	case memberlist.ShoalUserMsg:
		f = fields{"payload": hexs(m.UserMsg)}
	default:
		f = bodyFields(m.Body)
	}
	if kind == "stream" {
		return fields{"type": typeName(m.Type), "fields": f, "leftover": m.Leftover}, nil
	}
	f["leftover"] = m.Leftover
	return f, nil
}
