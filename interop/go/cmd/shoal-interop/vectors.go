package main

// The `vectors` subcommand: Go's own encodings of every message type and framing
// variant, with their inputs, as JSON for the TypeScript tests.

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"strings"

	"github.com/hashicorp/memberlist"
)

// vector is one test vector. Fields not used by a kind are omitted.
type vector struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Type is the message type name, for kind "message".
	Type   string      `json:"type,omitempty"`
	Fields interface{} `json:"fields,omitempty"`
	// Inner is the message handed to a wrapper (compress, crc, packet, stream).
	Inner string   `json:"inner,omitempty"`
	Parts []string `json:"parts,omitempty"`
	Data  *string  `json:"data,omitempty"`
	// Framing options (packet, stream, encrypt).
	Compress          bool     `json:"compress,omitempty"`
	CRC               bool     `json:"crc,omitempty"`
	Keys              []string `json:"keys,omitempty"`
	ReceiverKeys      []string `json:"receiverKeys,omitempty"`
	EncryptionVersion *int     `json:"encryptionVersion,omitempty"`
	AD                *string  `json:"ad,omitempty"`
	Plaintext         string   `json:"plaintext,omitempty"`
	// Decoded is what Go's own decoder makes of Hex, where that is not just Fields.
	Decoded interface{} `json:"decoded,omitempty"`
	Hex     string      `json:"hex"`
	// AltHex is Go's encoding of the same input with nil and empty bytes swapped;
	// memberlist treats both alike, so an encoder may produce either.
	AltHex string `json:"altHex,omitempty"`
	// MustReject marks malformed input (kind "decode") that Go refuses.
	MustReject bool `json:"mustReject,omitempty"`
	// Deterministic is false when Go used a random nonce: decrypt, don't compare bytes.
	Deterministic bool `json:"deterministic"`
}

type vectorFile struct {
	Generator string   `json:"generator"`
	Vectors   []vector `json:"vectors"`
}

var (
	ip4    = []byte{10, 0, 0, 1}
	ip16   = []byte(net.ParseIP("10.0.0.2").To16())
	ip6    = []byte(net.ParseIP("fd00::1").To16())
	vsn    = []byte{1, 5, 2, 0, 0, 0}
	key16  = []byte("0123456789abcdef")
	key24  = []byte("0123456789abcdef01234567")
	key32  = []byte("0123456789abcdef0123456789abcdef")
	keyAlt = []byte("fedcba9876543210")
)

func check(err error) {
	if err != nil {
		panic(err)
	}
}

func enc(t uint8, body interface{}) []byte {
	b, err := memberlist.ShoalEncode(t, body)
	check(err)
	return b
}

func hexs(b []byte) string { return hex.EncodeToString(b) }

func intp(i int) *int         { return &i }
func strp(s string) *string   { return &s }
func repeat(n int) []byte     { return []byte(strings.Repeat("x", n)) }
func userMsg(p []byte) []byte { return append([]byte{memberlist.ShoalUserMsg}, p...) }

func newCodec(o memberlist.ShoalCodecOptions) *memberlist.ShoalCodec {
	c, err := memberlist.NewShoalCodec(o)
	check(err)
	return c
}

// messageVector encodes one body; alt, when non-nil, is the same input with nil and empty bytes swapped.
func messageVector(name string, t uint8, body, alt interface{}) vector {
	v := vector{Name: name, Kind: "message", Type: typeName(t), Fields: bodyFields(body), Hex: hexs(enc(t, body)), Deterministic: true}
	if alt != nil {
		v.AltHex = hexs(enc(t, alt))
	}
	return v
}

func messageVectors() []vector {
	longName := strings.Repeat("n", 40)
	return []vector{
		messageVector("ping/full", memberlist.ShoalPingMsg, &memberlist.ShoalPing{SeqNo: 1, Node: "node-b", SourceAddr: ip4, SourcePort: 7946, SourceNode: "node-a"}, nil),
		messageVector("ping/no-source", memberlist.ShoalPingMsg, &memberlist.ShoalPing{SeqNo: 0, Node: ""}, nil),
		messageVector("ping/max-seq-long-name", memberlist.ShoalPingMsg, &memberlist.ShoalPing{SeqNo: 4294967295, Node: longName, SourceAddr: ip16, SourcePort: 65535, SourceNode: "ünïcödé-✓"}, nil),
		messageVector("ping/ipv6-source", memberlist.ShoalPingMsg, &memberlist.ShoalPing{SeqNo: 300, Node: "n", SourceAddr: ip6, SourcePort: 128, SourceNode: "s"}, nil),
		messageVector("indirect-ping/full", memberlist.ShoalIndirectPingMsg, &memberlist.ShoalIndirectPingReq{SeqNo: 2, Target: ip4, Port: 7946, Node: "node-c", Nack: true, SourceAddr: ip4, SourcePort: 7946, SourceNode: "node-a"}, nil),
		messageVector("indirect-ping/no-nack-no-source", memberlist.ShoalIndirectPingMsg, &memberlist.ShoalIndirectPingReq{SeqNo: 70000, Target: ip16, Port: 255, Node: "node-c", Nack: false}, nil),
		messageVector("ack/nil-payload", memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: 1}, nil),
		messageVector("ack/empty-payload", memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: 1, Payload: []byte{}}, &memberlist.ShoalAckResp{SeqNo: 1}),
		messageVector("ack/payload", memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: 200, Payload: []byte{0, 1, 2, 0xff, 0xc0}}, nil),
		messageVector("ack/payload-str16", memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: 65535, Payload: repeat(300)}, nil),
		messageVector("ack/payload-str32", memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: 65536, Payload: repeat(70000)}, nil),
		messageVector("nack/small", memberlist.ShoalNackRespMsg, &memberlist.ShoalNackResp{SeqNo: 2}, nil),
		messageVector("nack/uint32", memberlist.ShoalNackRespMsg, &memberlist.ShoalNackResp{SeqNo: 123456789}, nil),
		messageVector("err/boom", memberlist.ShoalErrMsg, &memberlist.ShoalErrResp{Error: "boom"}, nil),
		messageVector("err/utf8-long", memberlist.ShoalErrMsg, &memberlist.ShoalErrResp{Error: "Remote state is encrypted and encryption is not configured ✓"}, nil),
		messageVector("suspect/basic", memberlist.ShoalSuspectMsg, &memberlist.ShoalSuspect{Incarnation: 3, Node: "node-b", From: "node-a"}, nil),
		messageVector("suspect/big-incarnation", memberlist.ShoalSuspectMsg, &memberlist.ShoalSuspect{Incarnation: 4000000000, Node: longName, From: ""}, nil),
		messageVector("alive/basic", memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: 1, Node: "node-a", Addr: ip4, Port: 7946, Meta: []byte("m"), Vsn: vsn}, nil),
		messageVector("alive/mapped-ipv4", memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: 128, Node: "node-b", Addr: ip16, Port: 65535, Meta: []byte("role=web"), Vsn: []byte{1, 5, 5, 0, 0, 0}}, nil),
		messageVector("alive/ipv6", memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: 65536, Node: "v6", Addr: ip6, Port: 1, Meta: []byte{0}, Vsn: []byte{1, 5, 4, 2, 3, 4}}, nil),
		messageVector("alive/nil-meta", memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: 1, Node: "node-a", Addr: ip4, Port: 7946, Meta: nil, Vsn: vsn},
			&memberlist.ShoalAlive{Incarnation: 1, Node: "node-a", Addr: ip4, Port: 7946, Meta: []byte{}, Vsn: vsn}),
		messageVector("alive/meta-512", memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: 9, Node: "node-m", Addr: ip4, Port: 7946, Meta: repeat(512), Vsn: vsn}, nil),
		messageVector("dead/leave", memberlist.ShoalDeadMsg, &memberlist.ShoalDead{Incarnation: 1, Node: "node-a", From: "node-a"}, nil),
		messageVector("dead/declared", memberlist.ShoalDeadMsg, &memberlist.ShoalDead{Incarnation: 77777, Node: "node-b", From: "node-c"}, nil),
		{Name: "user/packet", Kind: "message", Type: "user", Fields: fields{"payload": hexs([]byte("hello \x00 world"))}, Hex: hexs(userMsg([]byte("hello \x00 world"))), Deterministic: true},
		{Name: "user/packet-empty", Kind: "message", Type: "user", Fields: fields{"payload": ""}, Hex: hexs(userMsg(nil)), Deterministic: true},
	}
}

func nodeState(name string, addr []byte, port uint16, meta []byte, inc uint32, state int) memberlist.ShoalPushNodeState {
	return memberlist.ShoalPushNodeState{Name: name, Addr: addr, Port: port, Meta: meta, Incarnation: inc, State: memberlist.NodeStateType(state), Vsn: vsn}
}

func pushPullVector(name string, join bool, nodes []memberlist.ShoalPushNodeState, userState []byte, alt []memberlist.ShoalPushNodeState) vector {
	plain := newCodec(memberlist.ShoalCodecOptions{})
	out, err := plain.SendLocalState(nodes, userState, join)
	check(err)
	v := vector{Name: name, Kind: "push-pull", Fields: pushPullFields(join, nodes, userState), Hex: hexs(out), Deterministic: true}
	if alt != nil {
		altOut, err := plain.SendLocalState(alt, userState, join)
		check(err)
		v.AltHex = hexs(altOut)
	}
	return v
}

func manyNodes(n int) []memberlist.ShoalPushNodeState {
	nodes := make([]memberlist.ShoalPushNodeState, n)
	for i := range nodes {
		nodes[i] = nodeState(fmt.Sprintf("node-%03d", i), []byte{10, 0, byte(i >> 8), byte(i)}, uint16(7946+i), []byte(fmt.Sprintf("m%d", i)), uint32(i*1000), i%4)
	}
	return nodes
}

func pushPullVectors() []vector {
	one := []memberlist.ShoalPushNodeState{nodeState("node-a", ip4, 7946, []byte("m"), 1, 0)}
	states := []memberlist.ShoalPushNodeState{
		nodeState("alive", ip4, 7946, []byte("a"), 1, 0),
		nodeState("suspect", ip16, 7947, []byte("s"), 2, 1),
		nodeState("dead", ip6, 7948, []byte("d"), 3, 2),
		nodeState("left", ip4, 7949, []byte("l"), 4, 3),
	}
	nilMeta := []memberlist.ShoalPushNodeState{nodeState("node-a", ip4, 7946, nil, 1, 0)}
	emptyMeta := []memberlist.ShoalPushNodeState{nodeState("node-a", ip4, 7946, []byte{}, 1, 0)}
	return []vector{
		pushPullVector("push-pull/join-one-node-user-state", true, one, []byte("us"), nil),
		pushPullVector("push-pull/all-states-no-user-state", false, states, nil, nil),
		pushPullVector("push-pull/empty-user-state", false, one, []byte{}, nil),
		pushPullVector("push-pull/nil-meta", true, nilMeta, nil, emptyMeta),
		pushPullVector("push-pull/200-nodes-300-byte-state", false, manyNodes(200), repeat(300), nil),
	}
}

func userStreamVectors() []vector {
	out := []vector{}
	for _, p := range []struct {
		name    string
		payload []byte
	}{{"user-stream/hello", []byte("hello")}, {"user-stream/empty", []byte{}}, {"user-stream/200-bytes", repeat(200)}} {
		b, err := newCodec(memberlist.ShoalCodecOptions{}).SendUserStream(p.payload)
		check(err)
		out = append(out, vector{Name: p.name, Kind: "user-stream", Fields: fields{"payload": hexs(p.payload)}, Hex: hexs(b), Deterministic: true})
	}
	return out
}

func compoundVector(name string, parts [][]byte) vector {
	b := memberlist.ShoalMakeCompound(parts)
	hs := make([]string, len(parts))
	for i, p := range parts {
		hs[i] = hexs(p)
	}
	return vector{Name: name, Kind: "compound", Parts: hs, Hex: hexs(b), Decoded: compoundDecoded(b), Deterministic: true}
}

func compoundDecoded(b []byte) fields {
	trunc, parts, err := memberlist.ShoalDecodeCompound(b[1:])
	if err != nil {
		return fields{"error": err.Error()}
	}
	hs := make([]string, len(parts))
	for i, p := range parts {
		hs[i] = hexs(p)
	}
	return fields{"parts": hs, "truncated": trunc}
}

func tenAlives() [][]byte {
	out := make([][]byte, 10)
	for i := range out {
		out[i] = enc(memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: uint32(i + 1), Node: fmt.Sprintf("node-%d", i), Addr: []byte{10, 0, 0, byte(i)}, Port: 7946, Meta: []byte("meta"), Vsn: vsn})
	}
	return out
}

func pingMsg() []byte {
	return enc(memberlist.ShoalPingMsg, &memberlist.ShoalPing{SeqNo: 1, Node: "node-b", SourceAddr: ip4, SourcePort: 7946, SourceNode: "node-a"})
}
func suspectMsg() []byte {
	return enc(memberlist.ShoalSuspectMsg, &memberlist.ShoalSuspect{Incarnation: 3, Node: "node-b", From: "node-a"})
}
func aliveMsg() []byte {
	return enc(memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: 1, Node: "node-a", Addr: ip4, Port: 7946, Meta: []byte("m"), Vsn: vsn})
}
func ackMsg() []byte { return enc(memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: 1}) }

func compoundVectors() []vector {
	full := memberlist.ShoalMakeCompound(tenAlives())
	truncated := full[:len(full)-5]
	noLengths := []byte{memberlist.ShoalCompoundMsg, 3, 0, 1}
	return []vector{
		compoundVector("compound/ping-suspect", [][]byte{pingMsg(), suspectMsg()}),
		compoundVector("compound/ten-alives", tenAlives()),
		compoundVector("compound/one-part", [][]byte{ackMsg()}),
		compoundVector("compound/127-parts", repeatParts(127)),
		// Decode-only: what Go makes of a damaged compound.
		{Name: "compound/truncated-last-part", Kind: "compound-decode", Hex: hexs(truncated), Decoded: compoundDecoded(truncated), Deterministic: true},
		{Name: "compound/truncated-lengths", Kind: "compound-decode", Hex: hexs(noLengths), Decoded: compoundDecoded(noLengths), Deterministic: true},
	}
}

func repeatParts(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = enc(memberlist.ShoalNackRespMsg, &memberlist.ShoalNackResp{SeqNo: uint32(i)})
	}
	return out
}

func lzwData() map[string][]byte {
	r := rand.New(rand.NewSource(42))
	random := make([]byte, 20000)
	r.Read(random)
	words := []string{"alpha", "beta", "gamma", "delta", "node", "memberlist", " ", "\n"}
	var text strings.Builder
	for text.Len() < 60000 {
		text.WriteString(words[r.Intn(len(words))])
	}
	return map[string][]byte{
		"lzw/empty":         {},
		"lzw/one-byte":      []byte("a"),
		"lzw/hello":         []byte("hello hello hello hello"),
		"lzw/zeros-5000":    make([]byte, 5000),
		"lzw/random-20000":  random,
		"lzw/words-60000":   []byte(text.String()),
		"lzw/all-bytes-x40": allBytes(40),
	}
}

func allBytes(times int) []byte {
	out := make([]byte, 0, 256*times)
	for t := 0; t < times; t++ {
		for i := 0; i < 256; i++ {
			out = append(out, byte(i))
		}
	}
	return out
}

func compressVectors() []vector {
	out := []vector{}
	data := lzwData()
	for _, name := range []string{"lzw/empty", "lzw/one-byte", "lzw/hello", "lzw/zeros-5000", "lzw/random-20000", "lzw/words-60000", "lzw/all-bytes-x40"} {
		b, err := lzwCompress(data[name])
		check(err)
		out = append(out, vector{Name: name, Kind: "lzw", Data: strp(hexs(data[name])), Hex: hexs(b), Deterministic: true})
	}
	for _, in := range []struct {
		name  string
		inner []byte
	}{{"compress/alive", aliveMsg()}, {"compress/compound-ten-alives", memberlist.ShoalMakeCompound(tenAlives())}, {"compress/user-4000", userMsg(repeat(4000))}} {
		b, err := memberlist.ShoalCompressPayload(in.inner)
		check(err)
		out = append(out, vector{Name: in.name, Kind: "compress", Inner: hexs(in.inner), Hex: hexs(b), Deterministic: true})
	}
	return out
}

// packetVector runs the real rawSendMsgPacket with the given framing.
func packetVector(name string, inner []byte, compress, crc bool, keys [][]byte, protocolVersion uint8, receiverKeys [][]byte) vector {
	c := newCodec(memberlist.ShoalCodecOptions{Compression: compress, Keys: keys, ProtocolVersion: protocolVersion, VerifyOutgoing: true, VerifyIncoming: true})
	b, err := c.SendPacket(inner, crc)
	check(err)
	v := vector{Name: name, Kind: "packet", Inner: hexs(inner), Compress: compress, CRC: crc, Keys: hexList(keys), ReceiverKeys: hexList(receiverKeys), Hex: hexs(b), Deterministic: len(keys) == 0}
	if len(keys) > 0 {
		v.EncryptionVersion = intp(encryptionVersionFor(protocolVersion))
	}
	return v
}

func encryptionVersionFor(protocolVersion uint8) int {
	if protocolVersion == 1 {
		return 0
	}
	return 1
}

func hexList(keys [][]byte) []string {
	if len(keys) == 0 {
		return nil
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = hexs(k)
	}
	return out
}

func packetVectors() []vector {
	compound := memberlist.ShoalMakeCompound(tenAlives())
	out := []vector{
		packetVector("packet/plain-alive", aliveMsg(), false, false, nil, 5, nil),
		packetVector("packet/crc-alive", aliveMsg(), false, true, nil, 5, nil),
		packetVector("packet/compressed-compound", compound, true, false, nil, 5, nil),
		packetVector("packet/compress-not-smaller-ack", ackMsg(), true, false, nil, 5, nil),
		packetVector("packet/compressed-crc-compound", compound, true, true, nil, 5, nil),
		packetVector("packet/aes-keyring-second-key", aliveMsg(), false, true, [][]byte{keyAlt}, 5, [][]byte{key16, keyAlt}),
		packetVector("packet/aes128-v1-compressed-crc-compound", compound, true, true, [][]byte{key16}, 5, nil),
	}
	for _, k := range [][]byte{key16, key24, key32} {
		for _, pv := range []uint8{1, 5} {
			name := fmt.Sprintf("packet/aes%d-v%d-crc-alive", len(k)*8, encryptionVersionFor(pv))
			out = append(out, packetVector(name, aliveMsg(), false, true, [][]byte{k}, pv, nil))
		}
	}
	return out
}

func encryptVectors() []vector {
	out := []vector{}
	for _, k := range [][]byte{key16, key24, key32} {
		for _, v := range []int{0, 1} {
			for _, ad := range [][]byte{{}, []byte("lbl")} {
				for _, plain := range [][]byte{ackMsg(), repeat(16)} {
					b, err := memberlist.ShoalEncryptPayload(uint8(v), k, plain, ad)
					check(err)
					name := fmt.Sprintf("encrypt/aes%d-v%d-ad%d-len%d", len(k)*8, v, len(ad), len(plain))
					out = append(out, vector{Name: name, Kind: "encrypt", Keys: []string{hexs(k)}, EncryptionVersion: intp(v), AD: strp(hexs(ad)), Plaintext: hexs(plain), Hex: hexs(b)})
				}
			}
		}
	}
	return out
}

// streamVector runs the real stream send path (sendLocalState, sendUserMsg or rawSendMsgStream).
func streamVector(name string, what string, compress bool, keys [][]byte, protocolVersion uint8) vector {
	c := newCodec(memberlist.ShoalCodecOptions{Compression: compress, Keys: keys, ProtocolVersion: protocolVersion, VerifyOutgoing: true, VerifyIncoming: true})
	plainCodec := newCodec(memberlist.ShoalCodecOptions{})
	var b, inner []byte
	var err error
	switch what {
	case "push-pull":
		nodes := manyNodes(5)
		b, err = c.SendLocalState(nodes, []byte("us"), true)
		check(err)
		inner, err = plainCodec.SendLocalState(nodes, []byte("us"), true)
	case "user":
		b, err = c.SendUserStream([]byte("reliable hello"))
		check(err)
		inner, err = plainCodec.SendUserStream([]byte("reliable hello"))
	case "ping":
		inner = pingMsg()
		b, err = c.SendStream(inner)
	}
	check(err)
	v := vector{Name: name, Kind: "stream", Inner: hexs(inner), Compress: compress, Keys: hexList(keys), Hex: hexs(b), Deterministic: len(keys) == 0}
	if len(keys) > 0 {
		v.EncryptionVersion = intp(encryptionVersionFor(protocolVersion))
	}
	return v
}

func streamVectors() []vector {
	out := []vector{
		streamVector("stream/compressed-push-pull", "push-pull", true, nil, 5),
		streamVector("stream/compressed-user", "user", true, nil, 5),
		streamVector("stream/compressed-ping", "ping", true, nil, 5),
		streamVector("stream/aes128-v1-compressed-push-pull", "push-pull", true, [][]byte{key16}, 5),
		streamVector("stream/aes128-v1-user", "user", false, [][]byte{key16}, 5),
		streamVector("stream/aes128-v1-ping", "ping", false, [][]byte{key16}, 5),
	}
	for _, k := range [][]byte{key16, key24, key32} {
		for _, pv := range []uint8{1, 5} {
			name := fmt.Sprintf("stream/aes%d-v%d-push-pull", len(k)*8, encryptionVersionFor(pv))
			out = append(out, streamVector(name, "push-pull", false, [][]byte{k}, pv))
		}
	}
	return out
}

// keyringVector replays keyring operations and records GetKeys after each.
func keyringVector() vector {
	ring, err := memberlist.NewKeyring([][]byte{key24, key32}, key16)
	check(err)
	steps := []fields{{"op": "new", "keys": hexList([][]byte{key24, key32}), "primary": hexs(key16), "result": hexList(ring.GetKeys())}}
	apply := func(op string, k []byte, f func([]byte) error) {
		step := fields{"op": op, "key": hexs(k)}
		if err := f(k); err != nil {
			step["error"] = err.Error()
		}
		step["result"] = hexList(ring.GetKeys())
		steps = append(steps, step)
	}
	apply("add", keyAlt, ring.AddKey)
	apply("add", key16, ring.AddKey)
	apply("use", key32, ring.UseKey)
	apply("remove", key32, ring.RemoveKey)
	apply("remove", key16, ring.RemoveKey)
	apply("use", []byte("not-installed-key"), ring.UseKey)
	apply("add", []byte("short"), ring.AddKey)
	apply("remove", []byte("absent-key-16byt"), ring.RemoveKey)
	return vector{Name: "keyring/operations", Kind: "keyring", Decoded: steps, Hex: "", Deterministic: true}
}

func runVectors(w io.Writer) error {
	all := []vector{}
	all = append(all, messageVectors()...)
	all = append(all, pushPullVectors()...)
	all = append(all, userStreamVectors()...)
	all = append(all, compoundVectors()...)
	all = append(all, compressVectors()...)
	all = append(all, packetVectors()...)
	all = append(all, encryptVectors()...)
	all = append(all, streamVectors()...)
	all = append(all, keyringVector())
	all = append(all, oddVectors()...)
	e := json.NewEncoder(w)
	e.SetIndent("", " ")
	return e.Encode(vectorFile{Generator: "shoal-interop against Debian hashicorp/memberlist 0.2.2", Vectors: all})
}
