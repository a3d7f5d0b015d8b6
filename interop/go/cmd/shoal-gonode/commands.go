package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// command is one stdin line. Every reply echoes `id` when one was given.
type command struct {
	ID        interface{} `json:"id"`
	Cmd       string      `json:"cmd"`
	Addrs     []string    `json:"addrs"`
	Meta      string      `json:"meta"`
	To        string      `json:"to"`
	Data      string      `json:"data"`
	TimeoutMs int         `json:"timeout_ms"`
}

type node struct {
	list     *memberlist.Memberlist
	delegate *delegate
	out      *output
}

func errString(err error) interface{} {
	if err == nil {
		return nil
	}
	return err.Error()
}

func (n *node) reply(c command, e event) {
	if c.ID != nil {
		e["id"] = c.ID
	}
	n.out.emit(e)
}

func (n *node) find(name string) (*memberlist.Node, error) {
	for _, m := range n.list.Members() {
		if m.Name == name {
			return m, nil
		}
	}
	return nil, fmt.Errorf("no live member named %q", name)
}

func timeoutOr(ms int, def time.Duration) time.Duration {
	if ms > 0 {
		return time.Duration(ms) * time.Millisecond
	}
	return def
}

// handle runs one command line; it returns true when the node should stop.
func (n *node) handle(line []byte) bool {
	var c command
	if err := json.Unmarshal(line, &c); err != nil {
		n.out.emit(event{"event": "error", "error": "bad command: " + err.Error()})
		return false
	}
	switch c.Cmd {
	case "join":
		count, err := n.list.Join(c.Addrs)
		n.reply(c, event{"event": "joined", "n": count, "error": errString(err)})
	case "members":
		members := n.list.Members()
		list := make([]event, len(members))
		for i, m := range members {
			list[i] = nodeJSON(m)
		}
		n.reply(c, event{"event": "members", "members": list})
	case "update-meta":
		n.delegate.setMeta([]byte(c.Meta))
		err := n.list.UpdateNode(timeoutOr(c.TimeoutMs, 5*time.Second))
		n.reply(c, event{"event": "meta-updated", "error": errString(err)})
	case "set-local-state":
		n.delegate.setLocalState([]byte(c.Data))
		n.reply(c, event{"event": "local-state-set"})
	case "send-reliable", "send-best-effort":
		to, err := n.find(c.To)
		if err == nil {
			if c.Cmd == "send-reliable" {
				err = n.list.SendReliable(to, []byte(c.Data))
			} else {
				err = n.list.SendBestEffort(to, []byte(c.Data))
			}
		}
		n.reply(c, event{"event": "sent", "to": c.To, "error": errString(err)})
	case "broadcast":
		n.delegate.queue.QueueBroadcast(&userBroadcast{msg: []byte(c.Data)})
		n.reply(c, event{"event": "queued", "queued": n.delegate.queue.NumQueued()})
	case "leave":
		err := n.list.Leave(timeoutOr(c.TimeoutMs, time.Second))
		n.reply(c, event{"event": "left", "error": errString(err)})
	case "health":
		n.reply(c, event{"event": "health", "score": n.list.GetHealthScore(), "members": n.list.NumMembers()})
	case "shutdown":
		return true
	default:
		n.reply(c, event{"event": "error", "error": fmt.Sprintf("unknown command %q", c.Cmd)})
	}
	return false
}
