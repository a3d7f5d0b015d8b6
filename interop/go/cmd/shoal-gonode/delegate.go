package main

import (
	"encoding/hex"
	"sync"

	"github.com/hashicorp/memberlist"
)

// delegate reports what memberlist hands it and serves meta, local state and broadcasts.
type delegate struct {
	out        *output
	mu         sync.Mutex
	meta       []byte
	localState []byte
	queue      *memberlist.TransmitLimitedQueue
}

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return d.meta[:limit]
	}
	return d.meta
}

func (d *delegate) setMeta(meta []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.meta = meta
}

func (d *delegate) setLocalState(s []byte) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.localState = s
}

func (d *delegate) NotifyMsg(b []byte) {
	d.out.emit(event{"event": "message", "data": string(b), "dataHex": hex.EncodeToString(b)})
}

func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte {
	if d.queue == nil {
		return nil
	}
	return d.queue.GetBroadcasts(overhead, limit)
}

func (d *delegate) LocalState(join bool) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.localState) == 0 {
		return nil
	}
	return d.localState
}

func (d *delegate) MergeRemoteState(buf []byte, join bool) {
	d.out.emit(event{"event": "merge-remote-state", "join": join, "data": string(buf), "dataHex": hex.EncodeToString(buf)})
}

// events reports membership changes; memberlist calls these serially.
type events struct{ out *output }

func (e *events) NotifyJoin(n *memberlist.Node) {
	e.out.emit(event{"event": "join", "node": nodeJSON(n)})
}
func (e *events) NotifyLeave(n *memberlist.Node) {
	e.out.emit(event{"event": "leave", "node": nodeJSON(n)})
}
func (e *events) NotifyUpdate(n *memberlist.Node) {
	e.out.emit(event{"event": "update", "node": nodeJSON(n)})
}

// userBroadcast is one queued user broadcast; none invalidates another.
type userBroadcast struct{ msg []byte }

func (b *userBroadcast) Invalidates(other memberlist.Broadcast) bool { return false }
func (b *userBroadcast) Message() []byte                             { return b.msg }
func (b *userBroadcast) Finished()                                   {}
