package main

// Hand-written encodings that Go memberlist itself never produces but its
// decoder has an answer for: other msgpack forms (str8, bin, arrays for
// structs, signed and 64-bit integer forms as the newer go-msgpack/v2 writes
// them, unknown keys) and malformed input. Go's decoder is the oracle.

import (
	"fmt"

	"github.com/hashicorp/memberlist"
)

type oddInput struct {
	name string
	// target is "message" or "push-pull".
	target string
	hex    string
	// mustReject marks malformed input: Go refuses it (or panics), and so must any port.
	mustReject bool
}

var oddInputs = []oddInput{
	{"odd/ping-str8-node", "message", "0082a44e6f6465d9066e6f64652d62a55365714e6f01", false},
	{"odd/ping-as-array", "message", "009207a26e61", false},
	{"odd/alive-vsn-as-array", "message", "0481a356736e96010502000000", false},
	{"odd/suspect-unknown-keys-any-order", "message", "0384a44e6f6465a178a7556e6b6e6f776e81a16b920102ab496e6361726e6174696f6ecd0100a446726f6dc0", false},
	{"odd/suspect-lowercase-key-ignored", "message", "0381a46e6f6465a178", false},
	{"odd/indirect-ping-bool-as-int", "message", "0181a44e61636b01", false},
	{"odd/ping-seqno-int32", "message", "0082a55365714e6fd200010000a44e6f6465a0", false},
	{"odd/nack-seqno-uint64", "message", "0b81a55365714e6fcf0000000000000005", false},
	{"odd/nack-seqno-int8", "message", "0b81a55365714e6fd07f", false},
	{"odd/alive-addr-bin8", "message", "0481a441646472c4040a000001", false},
	{"odd/suspect-nil-strings", "message", "0383a446726f6dc0ab496e6361726e6174696f6e00a44e6f6465c0", false},
	{"odd/push-pull-new-codec-empty", "push-pull", "0683a44a6f696ec2a54e6f646573d10000ac5573657253746174654c656ed200000000", false},
	{"odd/push-pull-new-codec-ints", "push-pull", "0683a44a6f696ec3a54e6f646573d001ac5573657253746174654c656ed10002" +
		"87a441646472a47f000001ab496e6361726e6174696f6ed200000005a44d657461c0a44e616d65a16ea4506f7274cd1f0aa55374617465d002a356736ea6010502000000" +
		"7573", false},
	{"odd/alive-port-overflow", "message", "0481a4506f7274ce00011170", true},
	{"odd/ack-negative-seqno", "message", "0281a55365714e6fff", true},
	{"odd/alive-truncated", "message", "0486a441646472a40a000001ab496e6361726e6174696f6e01a44d657461a16da44e6f6465a66e6f64652d61a4506f7274cd1f", true},
	{"odd/push-pull-negative-nodes", "push-pull", "0683a44a6f696ec2a54e6f646573ffac5573657253746174654c656e00", true},
	{"odd/push-pull-short-user-state", "push-pull", "0683a44a6f696ec2a54e6f64657300ac5573657253746174654c656e057573", true},
}

// oddDecode runs Go's decoder, turning a panic into an error as memberlist's callers would crash.
func oddDecode(in oddInput) (out fields) {
	defer func() {
		if r := recover(); r != nil {
			out = fields{"error": fmt.Sprintf("panic: %v", r)}
		}
	}()
	buf := mustHex(in.hex)
	var err error
	if in.target == "push-pull" {
		var c *memberlist.ShoalCodec
		c, err = memberlist.NewShoalCodec(memberlist.ShoalCodecOptions{BindPort: 7946})
		check(err)
		var m *memberlist.ShoalStreamMessage
		if m, err = c.ReadStream(buf); err == nil {
			out, err = streamFields("push-pull", m)
		}
	} else {
		out, err = decodeMessage(buf)
	}
	if err != nil {
		return fields{"error": err.Error()}
	}
	return out
}

func oddVectors() []vector {
	out := make([]vector, 0, len(oddInputs))
	for _, in := range oddInputs {
		decoded := oddDecode(in)
		if _, failed := decoded["error"]; failed != in.mustReject {
			panic(fmt.Sprintf("%s: Go's verdict %v contradicts mustReject=%v", in.name, decoded, in.mustReject))
		}
		out = append(out, vector{Name: in.name, Kind: "decode", Type: in.target, Hex: in.hex, Decoded: decoded,
			MustReject: in.mustReject, Deterministic: true})
	}
	return out
}
