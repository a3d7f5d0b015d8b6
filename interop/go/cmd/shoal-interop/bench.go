package main

// The `bench` subcommand: how fast Go's own codec encodes and decodes, for
// comparison with Shoal's figures. Prints {name: {encodePerSec, decodePerSec}};
// each figure is the best of three rounds sharing -duration.

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/memberlist"
)

type rate struct {
	EncodePerSec float64 `json:"encodePerSec"`
	DecodePerSec float64 `json:"decodePerSec"`
}

// opsPerSec measures f in three rounds sharing d and reports the best: on a
// shared machine, interference only ever slows a round down.
func opsPerSec(d time.Duration, f func()) float64 {
	f() // warm up
	best := 0.0
	for round := 0; round < 3; round++ {
		if r := oneRound(d/3, f); r > best {
			best = r
		}
	}
	return best
}

// oneRound runs f in growing batches until d has passed; checking the clock per batch keeps its cost out.
func oneRound(d time.Duration, f func()) float64 {
	n := 0
	start := time.Now()
	batch := 1
	for {
		for i := 0; i < batch; i++ {
			f()
		}
		n += batch
		if el := time.Since(start); el >= d {
			return float64(n) / el.Seconds()
		}
		if batch < 1024 {
			batch *= 2
		}
	}
}

type benchCase struct {
	name   string
	encode func() []byte
	decode func([]byte)
}

func mustOK(err error) {
	if err != nil {
		panic(err)
	}
}

// singleCase encodes one body; with a key the packet is sealed with AES-GCM v1 as rawSendMsgPacket does.
func singleCase(name string, t uint8, body interface{}, fresh func() interface{}, key []byte) benchCase {
	return benchCase{
		name: name,
		encode: func() []byte {
			b, err := memberlist.ShoalEncode(t, body)
			mustOK(err)
			if key != nil {
				b, err = memberlist.ShoalEncryptPayload(1, key, b, nil)
				mustOK(err)
			}
			return b
		},
		decode: func(b []byte) {
			if key != nil {
				var err error
				b, err = memberlist.ShoalDecryptPayload([][]byte{key}, b, nil)
				mustOK(err)
			}
			mustOK(memberlist.ShoalDecode(b[1:], fresh()))
		},
	}
}

// compoundCase encodes ten alive structs and packs them; decoding splits and decodes all ten.
func compoundCase(name string, key []byte) benchCase {
	alives := make([]*memberlist.ShoalAlive, 10)
	for i := range alives {
		alives[i] = &memberlist.ShoalAlive{Incarnation: uint32(i + 1), Node: fmt.Sprintf("node-%d", i), Addr: []byte{10, 0, 0, byte(i)}, Port: 7946, Meta: []byte("meta"), Vsn: vsn}
	}
	return benchCase{
		name: name,
		encode: func() []byte {
			parts := make([][]byte, len(alives))
			for i, a := range alives {
				var err error
				parts[i], err = memberlist.ShoalEncode(memberlist.ShoalAliveMsg, a)
				mustOK(err)
			}
			b := memberlist.ShoalMakeCompound(parts)
			if key != nil {
				var err error
				b, err = memberlist.ShoalEncryptPayload(1, key, b, nil)
				mustOK(err)
			}
			return b
		},
		decode: func(b []byte) {
			if key != nil {
				var err error
				b, err = memberlist.ShoalDecryptPayload([][]byte{key}, b, nil)
				mustOK(err)
			}
			_, parts, err := memberlist.ShoalDecodeCompound(b[1:])
			mustOK(err)
			for _, p := range parts {
				mustOK(memberlist.ShoalDecode(p[1:], &memberlist.ShoalAlive{}))
			}
		},
	}
}

// pushPullCase runs the real sendLocalState / readStream paths (no compression).
func pushPullCase(name string, key []byte) benchCase {
	var keys [][]byte
	if key != nil {
		keys = [][]byte{key}
	}
	c := newCodec(memberlist.ShoalCodecOptions{Keys: keys, VerifyIncoming: true, VerifyOutgoing: true, BindPort: 7946})
	nodes := manyNodes(100)
	return benchCase{
		name: name,
		encode: func() []byte {
			b, err := c.SendLocalState(nodes, nil, false)
			mustOK(err)
			return b
		},
		decode: func(b []byte) {
			m, err := c.ReadStream(b)
			mustOK(err)
			if len(m.Nodes) != 100 {
				panic("push/pull lost nodes")
			}
		},
	}
}

func runBench(w io.Writer, d time.Duration) error {
	ping := &memberlist.ShoalPing{SeqNo: 1, Node: "node-b", SourceAddr: ip4, SourcePort: 7946, SourceNode: "node-a"}
	ack := &memberlist.ShoalAckResp{SeqNo: 1, Payload: nil}
	alive := &memberlist.ShoalAlive{Incarnation: 1, Node: "node-a", Addr: ip4, Port: 7946, Meta: []byte("m"), Vsn: vsn}
	newPing := func() interface{} { return &memberlist.ShoalPing{} }
	newAck := func() interface{} { return &memberlist.ShoalAckResp{} }
	newAlive := func() interface{} { return &memberlist.ShoalAlive{} }
	cases := []benchCase{
		singleCase("ping", memberlist.ShoalPingMsg, ping, newPing, nil),
		singleCase("ack", memberlist.ShoalAckRespMsg, ack, newAck, nil),
		singleCase("alive", memberlist.ShoalAliveMsg, alive, newAlive, nil),
		compoundCase("compound10Alive", nil),
		pushPullCase("pushPull100", nil),
		singleCase("ping+aes128", memberlist.ShoalPingMsg, ping, newPing, key16),
		singleCase("ack+aes128", memberlist.ShoalAckRespMsg, ack, newAck, key16),
		singleCase("alive+aes128", memberlist.ShoalAliveMsg, alive, newAlive, key16),
		compoundCase("compound10Alive+aes128", key16),
		pushPullCase("pushPull100+aes128", key16),
	}
	out := map[string]rate{}
	for _, c := range cases {
		sample := c.encode()
		out[c.name] = rate{
			EncodePerSec: round(opsPerSec(d, func() { c.encode() })),
			DecodePerSec: round(opsPerSec(d, func() { c.decode(sample) })),
		}
	}
	e := json.NewEncoder(w)
	e.SetIndent("", " ")
	return e.Encode(out)
}

func round(x float64) float64 {
	var r float64
	fmt.Sscanf(fmt.Sprintf("%.0f", x), "%g", &r)
	return r
}
