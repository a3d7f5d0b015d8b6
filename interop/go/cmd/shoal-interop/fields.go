package main

// Conversions between memberlist's wire structs and the JSON field maps the
// TypeScript side uses (Shoal's camelCase names; bytes as hex, nil as null).

import (
	"encoding/hex"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// fields is one message body in JSON form.
type fields = map[string]interface{}

// typeNames maps message type bytes to the names used in vectors and checks.
var typeNames = map[uint8]string{
	memberlist.ShoalPingMsg:         "ping",
	memberlist.ShoalIndirectPingMsg: "indirect-ping",
	memberlist.ShoalAckRespMsg:      "ack",
	memberlist.ShoalNackRespMsg:     "nack",
	memberlist.ShoalErrMsg:          "err",
	memberlist.ShoalSuspectMsg:      "suspect",
	memberlist.ShoalAliveMsg:        "alive",
	memberlist.ShoalDeadMsg:         "dead",
	memberlist.ShoalUserMsg:         "user",
	memberlist.ShoalPushPullMsg:     "push-pull",
	memberlist.ShoalCompoundMsg:     "compound",
	memberlist.ShoalCompressMsg:     "compress",
	memberlist.ShoalHasCrcMsg:       "crc",
	memberlist.ShoalEncryptMsg:      "encrypt",
}

func typeName(t uint8) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type-%d", t)
}

// hexOrNull keeps Go's nil/empty distinction visible: nil is null, empty is "".
func hexOrNull(b []byte) interface{} {
	if b == nil {
		return nil
	}
	return hex.EncodeToString(b)
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// bodyFields renders a decoded wire struct. The omitempty Source* fields are
// left out when zero, as they are on the wire.
func bodyFields(body interface{}) fields {
	switch b := body.(type) {
	case *memberlist.ShoalPing:
		f := fields{"seqNo": b.SeqNo, "node": b.Node}
		addSource(f, b.SourceAddr, b.SourcePort, b.SourceNode)
		return f
	case *memberlist.ShoalIndirectPingReq:
		f := fields{"seqNo": b.SeqNo, "target": hexOrNull(b.Target), "port": b.Port, "node": b.Node, "nack": b.Nack}
		addSource(f, b.SourceAddr, b.SourcePort, b.SourceNode)
		return f
	case *memberlist.ShoalAckResp:
		return fields{"seqNo": b.SeqNo, "payload": hexOrNull(b.Payload)}
	case *memberlist.ShoalNackResp:
		return fields{"seqNo": b.SeqNo}
	case *memberlist.ShoalErrResp:
		return fields{"error": b.Error}
	case *memberlist.ShoalSuspect:
		return fields{"incarnation": b.Incarnation, "node": b.Node, "from": b.From}
	case *memberlist.ShoalAlive:
		return fields{"incarnation": b.Incarnation, "node": b.Node, "addr": hexOrNull(b.Addr), "port": b.Port,
			"meta": hexOrNull(b.Meta), "vsn": hexOrNull(b.Vsn)}
	case *memberlist.ShoalDead:
		return fields{"incarnation": b.Incarnation, "node": b.Node, "from": b.From}
	case *memberlist.ShoalPushNodeState:
		return nodeStateFields(*b)
	}
	panic(fmt.Sprintf("no fields for %T", body))
}

func addSource(f fields, addr []byte, port uint16, node string) {
	if len(addr) > 0 {
		f["sourceAddr"] = hex.EncodeToString(addr)
	}
	if port != 0 {
		f["sourcePort"] = port
	}
	if node != "" {
		f["sourceNode"] = node
	}
}

func nodeStateFields(n memberlist.ShoalPushNodeState) fields {
	return fields{"name": n.Name, "addr": hexOrNull(n.Addr), "port": n.Port, "meta": hexOrNull(n.Meta),
		"incarnation": n.Incarnation, "state": int(n.State), "vsn": hexOrNull(n.Vsn)}
}

func pushPullFields(join bool, nodes []memberlist.ShoalPushNodeState, userState []byte) fields {
	list := make([]fields, len(nodes))
	for i, n := range nodes {
		list[i] = nodeStateFields(n)
	}
	return fields{"join": join, "nodes": list, "userState": hexOrNull(userState)}
}

// newBody returns an empty struct for a message type carried as one msgpack body.
func newBody(t uint8) (interface{}, error) {
	switch t {
	case memberlist.ShoalPingMsg:
		return &memberlist.ShoalPing{}, nil
	case memberlist.ShoalIndirectPingMsg:
		return &memberlist.ShoalIndirectPingReq{}, nil
	case memberlist.ShoalAckRespMsg:
		return &memberlist.ShoalAckResp{}, nil
	case memberlist.ShoalNackRespMsg:
		return &memberlist.ShoalNackResp{}, nil
	case memberlist.ShoalErrMsg:
		return &memberlist.ShoalErrResp{}, nil
	case memberlist.ShoalSuspectMsg:
		return &memberlist.ShoalSuspect{}, nil
	case memberlist.ShoalAliveMsg:
		return &memberlist.ShoalAlive{}, nil
	case memberlist.ShoalDeadMsg:
		return &memberlist.ShoalDead{}, nil
	}
	return nil, fmt.Errorf("%s is not a single-body message", typeName(t))
}

// decodeMessage decodes one complete [type][body] message into JSON form.
func decodeMessage(msg []byte) (fields, error) {
	if len(msg) == 0 {
		return nil, fmt.Errorf("empty message")
	}
	t := msg[0]
	if t == memberlist.ShoalUserMsg {
		return fields{"type": "user", "fields": fields{"payload": hex.EncodeToString(msg[1:])}}, nil
	}
	body, err := newBody(t)
	if err != nil {
		return nil, err
	}
	if err := memberlist.ShoalDecode(msg[1:], body); err != nil {
		return nil, err
	}
	return fields{"type": typeName(t), "fields": bodyFields(body)}, nil
}
