package main

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"sync"

	"github.com/hashicorp/memberlist"
)

// event is one JSON line on stdout.
type event = map[string]interface{}

// output writes whole JSON lines; delegates run on several goroutines, so writes are serialised.
type output struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func newOutput(w io.Writer) *output { return &output{enc: json.NewEncoder(w)} }

// emit writes one line straight to the unbuffered stdout, so each event is flushed as it happens.
func (o *output) emit(e event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	_ = o.enc.Encode(e)
}

func nodeJSON(n *memberlist.Node) event {
	return event{
		"name":    n.Name,
		"addr":    n.Addr.String(),
		"port":    n.Port,
		"meta":    string(n.Meta),
		"metaHex": hex.EncodeToString(n.Meta),
		"state":   int(n.State),
		"pmin":    n.PMin, "pmax": n.PMax, "pcur": n.PCur,
		"dmin": n.DMin, "dmax": n.DMax, "dcur": n.DCur,
	}
}
