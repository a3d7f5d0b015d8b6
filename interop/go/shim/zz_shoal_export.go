package memberlist

// Shoal's interop shim. This file is not part of memberlist: Shoal's build copies
// Debian's memberlist sources into a throwaway GOPATH and adds this one file, so
// that the interop programs can reach the unexported codec and drive the real
// send/receive code paths (net.go) without sockets.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"io/ioutil"
	"log"
	"net"
	"time"
)

// Exported aliases of the wire structs, so msgpack decodes into the real types.
type (
	ShoalPing            = ping
	ShoalIndirectPingReq = indirectPingReq
	ShoalAckResp         = ackResp
	ShoalNackResp        = nackResp
	ShoalErrResp         = errResp
	ShoalSuspect         = suspect
	ShoalAlive           = alive
	ShoalDead            = dead
	ShoalPushPullHeader  = pushPullHeader
	ShoalUserMsgHeader   = userMsgHeader
	ShoalPushNodeState   = pushNodeState
	ShoalCompress        = compress
)

// Message type bytes, as the package defines them.
const (
	ShoalPingMsg         = uint8(pingMsg)
	ShoalIndirectPingMsg = uint8(indirectPingMsg)
	ShoalAckRespMsg      = uint8(ackRespMsg)
	ShoalSuspectMsg      = uint8(suspectMsg)
	ShoalAliveMsg        = uint8(aliveMsg)
	ShoalDeadMsg         = uint8(deadMsg)
	ShoalPushPullMsg     = uint8(pushPullMsg)
	ShoalCompoundMsg     = uint8(compoundMsg)
	ShoalUserMsg         = uint8(userMsg)
	ShoalCompressMsg     = uint8(compressMsg)
	ShoalEncryptMsg      = uint8(encryptMsg)
	ShoalNackRespMsg     = uint8(nackRespMsg)
	ShoalHasCrcMsg       = uint8(hasCrcMsg)
	ShoalErrMsg          = uint8(errMsg)
)

// ShoalEncode is the package's encode: the type byte, then the msgpack body.
func ShoalEncode(msgType uint8, in interface{}) ([]byte, error) {
	buf, err := encode(messageType(msgType), in)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ShoalDecode is the package's decode of one msgpack body.
func ShoalDecode(body []byte, out interface{}) error { return decode(body, out) }

// ShoalMakeCompound is makeCompoundMessage.
func ShoalMakeCompound(msgs [][]byte) []byte { return makeCompoundMessage(msgs).Bytes() }

// ShoalDecodeCompound is decodeCompoundMessage (body after the type byte).
func ShoalDecodeCompound(body []byte) (int, [][]byte, error) { return decodeCompoundMessage(body) }

// ShoalCompressPayload is compressPayload: a whole [9][compress] message.
func ShoalCompressPayload(inp []byte) ([]byte, error) {
	buf, err := compressPayload(inp)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ShoalDecompressPayload is decompressPayload (body after the type byte 9).
func ShoalDecompressPayload(body []byte) ([]byte, error) { return decompressPayload(body) }

// ShoalEncryptPayload is encryptPayload (random nonce, as the package does).
func ShoalEncryptPayload(vsn uint8, key, msg, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := encryptPayload(encryptionVersion(vsn), key, msg, data, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ShoalDecryptPayload is decryptPayload (may panic on bad v0 padding, as the package does).
func ShoalDecryptPayload(keys [][]byte, msg, data []byte) ([]byte, error) {
	return decryptPayload(keys, msg, data)
}

// ShoalEncryptedLength is encryptedLength.
func ShoalEncryptedLength(vsn uint8, n int) int { return encryptedLength(encryptionVersion(vsn), n) }

// ShoalCodecOptions configures a socket-less Memberlist used to run the real framing code.
type ShoalCodecOptions struct {
	Compression     bool
	Keys            [][]byte // primary first; none = no encryption
	ProtocolVersion uint8
	VerifyIncoming  bool
	VerifyOutgoing  bool
	BindPort        int
}

// ShoalCodec runs net.go's own send and receive paths against in-memory buffers.
type ShoalCodec struct {
	m         *Memberlist
	transport *shoalCaptureTransport
	delegate  *shoalCaptureDelegate
}

// ShoalPacketPart is one leaf message found in a packet, after all unwrapping.
type ShoalPacketPart struct {
	Type uint8
	Body []byte
}

// ShoalPacket is what ingestPacket would hand to the handlers.
type ShoalPacket struct {
	Decrypted bool
	HadCRC    bool
	Parts     []ShoalPacketPart
	Truncated int
}

// ShoalStreamMessage is one message read from a stream by readStream and the readers after it.
type ShoalStreamMessage struct {
	Type      uint8
	Join      bool
	Nodes     []pushNodeState
	UserState []byte
	UserMsg   []byte
	Body      interface{}
	Leftover  int // bytes left unread behind the message
}

// NewShoalCodec builds a Memberlist with just the fields the framing code touches.
func NewShoalCodec(o ShoalCodecOptions) (*ShoalCodec, error) {
	conf := DefaultLANConfig()
	conf.Name = "shoal-codec"
	conf.EnableCompression = o.Compression
	conf.ProtocolVersion = o.ProtocolVersion
	if conf.ProtocolVersion == 0 {
		conf.ProtocolVersion = ProtocolVersionMax
	}
	conf.GossipVerifyIncoming = o.VerifyIncoming
	conf.GossipVerifyOutgoing = o.VerifyOutgoing
	conf.BindPort = o.BindPort
	if len(o.Keys) > 0 {
		ring, err := NewKeyring(o.Keys[1:], o.Keys[0])
		if err != nil {
			return nil, err
		}
		conf.Keyring = ring
	}
	d := &shoalCaptureDelegate{}
	conf.Delegate = d
	t := &shoalCaptureTransport{}
	m := &Memberlist{
		config:    conf,
		transport: t,
		nodeMap:   make(map[string]*nodeState),
		logger:    log.New(ioutil.Discard, "", 0),
	}
	return &ShoalCodec{m: m, transport: t, delegate: d}, nil
}

// SendPacket runs rawSendMsgPacket; with crc the destination advertises PMax 5.
func (c *ShoalCodec) SendPacket(msg []byte, crc bool) ([]byte, error) {
	var node *Node
	if crc {
		node = &Node{Name: "peer", PMax: 5}
	}
	c.transport.packets = nil
	if err := c.m.rawSendMsgPacket(Address{Addr: "127.0.0.1:7946", Name: "peer"}, node, msg); err != nil {
		return nil, err
	}
	if len(c.transport.packets) != 1 {
		return nil, fmt.Errorf("expected one packet, got %d", len(c.transport.packets))
	}
	return c.transport.packets[0], nil
}

// SendStream runs rawSendMsgStream: compression and encryption as for any stream message.
func (c *ShoalCodec) SendStream(msg []byte) ([]byte, error) {
	conn := &shoalConn{}
	if err := c.m.rawSendMsgStream(conn, msg); err != nil {
		return nil, err
	}
	return conn.out.Bytes(), nil
}

// SendLocalState runs sendLocalState with the given node table and delegate state.
func (c *ShoalCodec) SendLocalState(nodes []pushNodeState, userState []byte, join bool) ([]byte, error) {
	c.m.nodes = make([]*nodeState, len(nodes))
	for i, n := range nodes {
		ns := &nodeState{Node: Node{Name: n.Name, Addr: n.Addr, Port: n.Port, Meta: n.Meta}, Incarnation: n.Incarnation, State: n.State}
		if len(n.Vsn) >= 6 {
			ns.PMin, ns.PMax, ns.PCur, ns.DMin, ns.DMax, ns.DCur = n.Vsn[0], n.Vsn[1], n.Vsn[2], n.Vsn[3], n.Vsn[4], n.Vsn[5]
		}
		c.m.nodes[i] = ns
	}
	c.delegate.localState = userState
	conn := &shoalConn{}
	if err := c.m.sendLocalState(conn, join); err != nil {
		return nil, err
	}
	return conn.out.Bytes(), nil
}

// SendUserStream runs sendUserMsg (the reliable user message).
func (c *ShoalCodec) SendUserStream(payload []byte) ([]byte, error) {
	c.transport.dialed = nil
	if err := c.m.sendUserMsg(Address{Addr: "127.0.0.1:7946", Name: "peer"}, payload); err != nil {
		return nil, err
	}
	if c.transport.dialed == nil {
		return nil, fmt.Errorf("nothing was dialed")
	}
	return c.transport.dialed.out.Bytes(), nil
}

// IngestPacket mirrors ingestPacket and handleCommand: decrypt, CRC, then
// compound and compressed messages are split recursively into leaf messages.
func (c *ShoalCodec) IngestPacket(buf []byte) (*ShoalPacket, error) {
	out := &ShoalPacket{}
	if c.m.config.EncryptionEnabled() {
		plain, err := decryptPayload(c.m.config.Keyring.GetKeys(), buf, nil)
		if err != nil {
			if c.m.config.GossipVerifyIncoming {
				return nil, fmt.Errorf("decrypt packet failed: %v", err)
			}
			plain = buf
		} else {
			out.Decrypted = true
		}
		buf = plain
	}
	if len(buf) >= 5 && messageType(buf[0]) == hasCrcMsg {
		crc := crc32.ChecksumIEEE(buf[5:])
		expected := binary.BigEndian.Uint32(buf[1:5])
		if crc != expected {
			return nil, fmt.Errorf("invalid checksum: %x, %x", crc, expected)
		}
		out.HadCRC = true
		buf = buf[5:]
	}
	if err := c.handleCommand(buf, out, 0); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *ShoalCodec) handleCommand(buf []byte, out *ShoalPacket, depth int) error {
	if len(buf) == 0 {
		return fmt.Errorf("empty message")
	}
	if depth > 8 {
		return fmt.Errorf("nesting too deep")
	}
	msgType := messageType(buf[0])
	buf = buf[1:]
	switch msgType {
	case compoundMsg:
		trunc, parts, err := decodeCompoundMessage(buf)
		if err != nil {
			return fmt.Errorf("failed to decode compound request: %v", err)
		}
		out.Truncated += trunc
		for _, p := range parts {
			if err := c.handleCommand(p, out, depth+1); err != nil {
				return err
			}
		}
		return nil
	case compressMsg:
		payload, err := decompressPayload(buf)
		if err != nil {
			return fmt.Errorf("failed to decompress payload: %v", err)
		}
		return c.handleCommand(payload, out, depth+1)
	case pingMsg, indirectPingMsg, ackRespMsg, nackRespMsg, suspectMsg, aliveMsg, deadMsg, userMsg:
		out.Parts = append(out.Parts, ShoalPacketPart{Type: uint8(msgType), Body: buf})
		return nil
	default:
		return fmt.Errorf("msg type (%d) not supported", msgType)
	}
}

// ReadStream runs readStream, then readRemoteState / readUserMsg / a body decode.
func (c *ShoalCodec) ReadStream(frame []byte) (*ShoalStreamMessage, error) {
	conn := &shoalConn{in: bytes.NewReader(frame)}
	msgType, bufConn, dec, err := c.m.readStream(conn)
	if err != nil {
		return nil, err
	}
	out := &ShoalStreamMessage{Type: uint8(msgType)}
	switch msgType {
	case pushPullMsg:
		join, nodes, userState, err := c.m.readRemoteState(bufConn, dec)
		if err != nil {
			return nil, err
		}
		out.Join, out.Nodes, out.UserState = join, nodes, userState
	case userMsg:
		c.delegate.msgs = nil
		if err := c.m.readUserMsg(bufConn, dec); err != nil {
			return nil, err
		}
		if len(c.delegate.msgs) == 1 {
			out.UserMsg = c.delegate.msgs[0]
		} else {
			out.UserMsg = []byte{}
		}
	default:
		body, err := shoalNewBody(msgType)
		if err != nil {
			return nil, err
		}
		if err := dec.Decode(body); err != nil {
			return nil, err
		}
		out.Body = body
	}
	// What the readers did not consume: trailing bytes a sender should not have written.
	switch r := bufConn.(type) {
	case *bytes.Reader:
		out.Leftover = r.Len()
	case *bufio.Reader:
		out.Leftover = r.Buffered() + conn.in.Len()
	}
	return out, nil
}

func shoalNewBody(t messageType) (interface{}, error) {
	switch t {
	case pingMsg:
		return &ping{}, nil
	case indirectPingMsg:
		return &indirectPingReq{}, nil
	case ackRespMsg:
		return &ackResp{}, nil
	case nackRespMsg:
		return &nackResp{}, nil
	case errMsg:
		return &errResp{}, nil
	case suspectMsg:
		return &suspect{}, nil
	case aliveMsg:
		return &alive{}, nil
	case deadMsg:
		return &dead{}, nil
	}
	return nil, fmt.Errorf("msg type (%d) not supported on a stream", t)
}

// shoalCaptureDelegate records what the real code paths hand to a delegate.
type shoalCaptureDelegate struct {
	localState []byte
	msgs       [][]byte
}

func (d *shoalCaptureDelegate) NodeMeta(limit int) []byte                  { return nil }
func (d *shoalCaptureDelegate) NotifyMsg(b []byte)                         { d.msgs = append(d.msgs, append([]byte{}, b...)) }
func (d *shoalCaptureDelegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *shoalCaptureDelegate) LocalState(join bool) []byte                { return d.localState }
func (d *shoalCaptureDelegate) MergeRemoteState(buf []byte, join bool)     {}

// shoalCaptureTransport records packets and dialed streams instead of sending them.
type shoalCaptureTransport struct {
	packets [][]byte
	dialed  *shoalConn
}

func (t *shoalCaptureTransport) FinalAdvertiseAddr(ip string, port int) (net.IP, int, error) {
	return net.ParseIP("127.0.0.1"), port, nil
}
func (t *shoalCaptureTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	t.packets = append(t.packets, append([]byte{}, b...))
	return time.Now(), nil
}
func (t *shoalCaptureTransport) WriteToAddress(b []byte, a Address) (time.Time, error) {
	return t.WriteTo(b, a.Addr)
}
func (t *shoalCaptureTransport) PacketCh() <-chan *Packet { return nil }
func (t *shoalCaptureTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	t.dialed = &shoalConn{}
	return t.dialed, nil
}
func (t *shoalCaptureTransport) DialAddressTimeout(a Address, timeout time.Duration) (net.Conn, error) {
	return t.DialTimeout(a.Addr, timeout)
}
func (t *shoalCaptureTransport) StreamCh() <-chan net.Conn { return nil }
func (t *shoalCaptureTransport) Shutdown() error           { return nil }
func (t *shoalCaptureTransport) IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error {
	return fmt.Errorf("not supported")
}
func (t *shoalCaptureTransport) IngestStream(conn net.Conn) error { return fmt.Errorf("not supported") }

// shoalConn is a net.Conn over in-memory buffers.
type shoalConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *shoalConn) Read(p []byte) (int, error) {
	if c.in == nil {
		return 0, io.EOF
	}
	return c.in.Read(p)
}
func (c *shoalConn) Write(p []byte) (int, error)        { return c.out.Write(p) }
func (c *shoalConn) Close() error                       { return nil }
func (c *shoalConn) LocalAddr() net.Addr                { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *shoalConn) RemoteAddr() net.Addr               { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *shoalConn) SetDeadline(t time.Time) error      { return nil }
func (c *shoalConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *shoalConn) SetWriteDeadline(t time.Time) error { return nil }
