package main

// Encoding requests for `check`: Go builds its own structs from JSON fields and
// encodes them, so the TypeScript side can compare Shoal's bytes with Go's for
// random inputs, not just the fixed vectors.

import (
	"encoding/hex"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// fieldReader pulls typed values out of a JSON field map, remembering the first error.
type fieldReader struct {
	f   fields
	err error
}

func (r *fieldReader) fail(key, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("field %s: expected %s, got %v", key, want, r.f[key])
	}
}

func (r *fieldReader) num(key string, max float64) float64 {
	v, ok := r.f[key]
	if !ok || v == nil {
		return 0
	}
	n, ok := v.(float64)
	if !ok || n < 0 || n > max || n != float64(int64(n)) {
		r.fail(key, fmt.Sprintf("an integer in 0..%.0f", max))
		return 0
	}
	return n
}

func (r *fieldReader) u32(key string) uint32 { return uint32(r.num(key, 4294967295)) }
func (r *fieldReader) u16(key string) uint16 { return uint16(r.num(key, 65535)) }

func (r *fieldReader) str(key string) string {
	v, ok := r.f[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, "a string")
	}
	return s
}

func (r *fieldReader) boolean(key string) bool {
	v, ok := r.f[key]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(key, "a boolean")
	}
	return b
}

// bytes keeps JSON null as a nil slice and "" as an empty one, as Go would see them.
func (r *fieldReader) bytes(key string) []byte {
	v, ok := r.f[key]
	if !ok || v == nil {
		return nil
	}
	s, ok := v.(string)
	if !ok {
		r.fail(key, "hex")
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		r.fail(key, "hex")
	}
	return b
}

// bodyFromFields builds the wire struct of a message type from JSON fields.
func bodyFromFields(typ string, f fields) (uint8, interface{}, error) {
	r := &fieldReader{f: f}
	var t uint8
	var body interface{}
	switch typ {
	case "ping":
		t, body = memberlist.ShoalPingMsg, &memberlist.ShoalPing{SeqNo: r.u32("seqNo"), Node: r.str("node"),
			SourceAddr: r.bytes("sourceAddr"), SourcePort: r.u16("sourcePort"), SourceNode: r.str("sourceNode")}
	case "indirect-ping":
		t, body = memberlist.ShoalIndirectPingMsg, &memberlist.ShoalIndirectPingReq{SeqNo: r.u32("seqNo"), Target: r.bytes("target"),
			Port: r.u16("port"), Node: r.str("node"), Nack: r.boolean("nack"),
			SourceAddr: r.bytes("sourceAddr"), SourcePort: r.u16("sourcePort"), SourceNode: r.str("sourceNode")}
	case "ack":
		t, body = memberlist.ShoalAckRespMsg, &memberlist.ShoalAckResp{SeqNo: r.u32("seqNo"), Payload: r.bytes("payload")}
	case "nack":
		t, body = memberlist.ShoalNackRespMsg, &memberlist.ShoalNackResp{SeqNo: r.u32("seqNo")}
	case "err":
		t, body = memberlist.ShoalErrMsg, &memberlist.ShoalErrResp{Error: r.str("error")}
	case "suspect":
		t, body = memberlist.ShoalSuspectMsg, &memberlist.ShoalSuspect{Incarnation: r.u32("incarnation"), Node: r.str("node"), From: r.str("from")}
	case "alive":
		t, body = memberlist.ShoalAliveMsg, &memberlist.ShoalAlive{Incarnation: r.u32("incarnation"), Node: r.str("node"),
			Addr: r.bytes("addr"), Port: r.u16("port"), Meta: r.bytes("meta"), Vsn: r.bytes("vsn")}
	case "dead":
		t, body = memberlist.ShoalDeadMsg, &memberlist.ShoalDead{Incarnation: r.u32("incarnation"), Node: r.str("node"), From: r.str("from")}
	default:
		return 0, nil, fmt.Errorf("cannot encode message type %q", typ)
	}
	return t, body, r.err
}

// encodeMessageFields encodes a message the way memberlist's encode does (user messages are raw).
func encodeMessageFields(typ string, f fields) ([]byte, error) {
	if typ == "user" {
		r := &fieldReader{f: f}
		payload := r.bytes("payload")
		return append([]byte{memberlist.ShoalUserMsg}, payload...), r.err
	}
	t, body, err := bodyFromFields(typ, f)
	if err != nil {
		return nil, err
	}
	return memberlist.ShoalEncode(t, body)
}

// encodePushPullFields runs the real sendLocalState on the given node table and user state.
func encodePushPullFields(f fields) ([]byte, error) {
	r := &fieldReader{f: f}
	list, ok := f["nodes"].([]interface{})
	if !ok {
		return nil, fmt.Errorf("field nodes: expected an array")
	}
	nodes := make([]memberlist.ShoalPushNodeState, len(list))
	for i, item := range list {
		nf, ok := item.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("node %d: expected an object", i)
		}
		nr := &fieldReader{f: nf}
		nodes[i] = memberlist.ShoalPushNodeState{Name: nr.str("name"), Addr: nr.bytes("addr"), Port: nr.u16("port"),
			Meta: nr.bytes("meta"), Incarnation: nr.u32("incarnation"), State: memberlist.NodeStateType(nr.num("state", 1<<31)),
			Vsn: nr.bytes("vsn")}
		if nr.err != nil {
			return nil, fmt.Errorf("node %d: %v", i, nr.err)
		}
	}
	join, userState := r.boolean("join"), r.bytes("userState")
	if r.err != nil {
		return nil, r.err
	}
	c, err := memberlist.NewShoalCodec(memberlist.ShoalCodecOptions{})
	if err != nil {
		return nil, err
	}
	return c.SendLocalState(nodes, userState, join)
}
