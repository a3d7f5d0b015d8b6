// Command shoal-gonode runs one real Go memberlist node (public API only),
// driven by JSON lines on stdin and reporting JSON lines on stdout, so that
// Shoal's tests can put genuine Go peers into a cluster.
package main

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/memberlist"
)

type options struct {
	name, bind, preset, key, meta, localState string
	port, protocol                            int
	compression                               bool
	gossipInterval, probeInterval             time.Duration
	set                                       map[string]bool
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.name, "name", "", "node name (default: hostname-based, from the preset)")
	flag.StringVar(&o.bind, "bind", "127.0.0.1", "address to bind UDP and TCP to")
	flag.IntVar(&o.port, "port", 0, "port for UDP and TCP; 0 picks a free one")
	flag.StringVar(&o.preset, "preset", "local", "config preset: lan, wan or local")
	flag.StringVar(&o.key, "key", "", "base64 gossip key (16, 24 or 32 bytes); empty = no encryption")
	flag.BoolVar(&o.compression, "compression", true, "EnableCompression (default: the preset's)")
	flag.IntVar(&o.protocol, "protocol", 0, "ProtocolVersion 2..5 (default: the preset's)")
	flag.StringVar(&o.meta, "meta", "", "node metadata")
	flag.StringVar(&o.localState, "local-state", "", "user state sent on push/pull (LocalState)")
	flag.DurationVar(&o.gossipInterval, "gossip-interval", 0, "GossipInterval override")
	flag.DurationVar(&o.probeInterval, "probe-interval", 0, "ProbeInterval override")
	flag.Parse()
	o.set = map[string]bool{}
	flag.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	return o
}

func buildConfig(o options, d *delegate, out *output) (*memberlist.Config, error) {
	var conf *memberlist.Config
	switch o.preset {
	case "lan":
		conf = memberlist.DefaultLANConfig()
	case "wan":
		conf = memberlist.DefaultWANConfig()
	case "local":
		conf = memberlist.DefaultLocalConfig()
	default:
		return nil, fmt.Errorf("unknown preset %q", o.preset)
	}
	if o.name != "" {
		conf.Name = o.name
	}
	conf.BindAddr = o.bind
	conf.BindPort = o.port
	conf.AdvertisePort = o.port
	if o.set["compression"] {
		conf.EnableCompression = o.compression
	}
	if o.set["protocol"] {
		conf.ProtocolVersion = uint8(o.protocol)
	}
	if o.gossipInterval > 0 {
		conf.GossipInterval = o.gossipInterval
	}
	if o.probeInterval > 0 {
		conf.ProbeInterval = o.probeInterval
	}
	if o.key != "" {
		key, err := base64.StdEncoding.DecodeString(o.key)
		if err != nil {
			return nil, fmt.Errorf("bad -key: %v", err)
		}
		conf.SecretKey = key
	}
	conf.Delegate = d
	conf.Events = &events{out: out}
	conf.LogOutput = os.Stderr
	return conf, nil
}

func main() {
	o := parseFlags()
	out := newOutput(os.Stdout)
	d := &delegate{out: out, meta: []byte(o.meta), localState: []byte(o.localState)}
	conf, err := buildConfig(o, d, out)
	if err != nil {
		out.emit(event{"event": "error", "error": err.Error()})
		os.Exit(2)
	}
	list, err := memberlist.Create(conf)
	if err != nil {
		out.emit(event{"event": "error", "error": "create: " + err.Error()})
		os.Exit(1)
	}
	d.queue = &memberlist.TransmitLimitedQueue{NumNodes: list.NumMembers, RetransmitMult: conf.RetransmitMult}
	local := list.LocalNode()
	out.emit(event{"event": "ready", "name": local.Name, "addr": local.Addr.String(), "port": local.Port})

	// A signal or the end of stdin (the parent went away) shuts the node down.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		serve(&node{list: list, delegate: d, out: out}, os.Stdin)
		close(done)
	}()
	select {
	case <-signals:
	case <-done:
	}
	list.Shutdown()
	out.emit(event{"event": "shutdown"})
}

// serve runs commands until stdin ends or a shutdown command arrives.
func serve(n *node, in io.Reader) {
	scanner := bufio.NewScanner(in)
	scanner.Buffer(make([]byte, 64*1024), 64<<20)
	for scanner.Scan() {
		if len(scanner.Bytes()) == 0 {
			continue
		}
		if stop := n.handle(scanner.Bytes()); stop {
			return
		}
	}
	if err := scanner.Err(); err != nil {
		log.Printf("[ERR] shoal-gonode: stdin: %v", err)
	}
}
