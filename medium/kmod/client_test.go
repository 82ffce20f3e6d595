// SPDX-License-Identifier: MIT

package kmod

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

const testFamilyID = 0x2a

var testFamily = genetlink.Family{ID: testFamilyID, Version: FamilyVersion, Name: FamilyName}

// fakeModule plays vmedium.ko's side of the three sockets, at the netlink
// message level, the way the C handlers answer.
type fakeModule struct {
	mu       sync.Mutex
	cmds     []genetlink.Message // control commands received
	rx       [][]byte            // injected frames
	rxRadio  []uint32            // the radio each was injected into
	events   chan []genetlink.Message
	early    []genetlink.Message // sent before the REGISTER ack
	busy     bool
	failCmd  uint8  // command answered with EINVAL
	failMsg  string // … with this extended-ack message
	refuseRx string // injections answered with ENETDOWN and this message
	radios   []RadioInfo
	ctx      context.Context
	cancel   context.CancelFunc
	register int
}

func encode(t testing.TB, fill func(ae *netlink.AttributeEncoder)) []byte {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	fill(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ackFor(req netlink.Message, errno int32) netlink.Message {
	b := make([]byte, 4, 4+16)
	binary.NativeEndian.PutUint32(b, uint32(-errno))
	hb := make([]byte, 16)
	binary.NativeEndian.PutUint32(hb[0:4], req.Header.Length)
	binary.NativeEndian.PutUint16(hb[4:6], uint16(req.Header.Type))
	binary.NativeEndian.PutUint16(hb[6:8], uint16(req.Header.Flags))
	binary.NativeEndian.PutUint32(hb[8:12], req.Header.Sequence)
	binary.NativeEndian.PutUint32(hb[12:16], req.Header.PID)
	return netlink.Message{
		Header: netlink.Header{Type: netlink.Error, Sequence: req.Header.Sequence, PID: req.Header.PID},
		Data:   append(b, hb...),
	}
}

func toNL(gms []genetlink.Message) []netlink.Message {
	out := make([]netlink.Message, 0, len(gms))
	for _, gm := range gms {
		b, _ := gm.MarshalBinary()
		out = append(out, netlink.Message{Header: netlink.Header{Type: testFamilyID}, Data: b})
	}
	return out
}

func (f *fakeModule) eventsConn() *genetlink.Conn {
	return genetlink.NewConn(nltest.Dial(func(reqs []netlink.Message) ([]netlink.Message, error) {
		if len(reqs) == 0 { // Receive with nothing queued: the next event batch
			select {
			case gms := <-f.events:
				return toNL(gms), nil
			case <-f.ctx.Done():
				return nil, f.ctx.Err()
			}
		}
		var gm genetlink.Message
		if err := gm.UnmarshalBinary(reqs[0].Data); err != nil {
			return nil, err
		}
		if gm.Header.Command != CmdRegister || reqs[0].Header.Type != testFamilyID {
			return nil, errors.New("events socket: unexpected request")
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.register++
		if f.busy {
			return nltest.Error(int(unix.EBUSY), reqs)
		}
		return append(toNL(f.early), ackFor(reqs[0], 0)), nil
	}))
}

func (f *fakeModule) cmdsConn() *genetlink.Conn {
	serve := genltest.ServeFamily(testFamily, func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cmds = append(f.cmds, greq)
		if greq.Header.Command == CmdGetRadio {
			if nreq.Header.Flags&netlink.Dump == 0 {
				return nil, errors.New("GET_RADIO without dump flag")
			}
			var out []genetlink.Message
			for _, r := range f.radios {
				ae := netlink.NewAttributeEncoder()
				ae.Uint32(AttrRadio, r.Index)
				ae.String(AttrIfname, r.Ifname)
				ae.Bytes(AttrAddr, r.Addr[:])
				ae.Uint32(AttrIftype, r.Iftype)
				ae.Uint8(AttrUp, 1)
				ae.Uint64(AttrTxDropped, r.TxDropped)
				b, _ := ae.Encode()
				out = append(out, genetlink.Message{Header: genetlink.Header{Command: CmdGetRadio}, Data: b})
			}
			return out, nil
		}
		if nreq.Header.Flags&netlink.Acknowledge == 0 {
			return nil, errors.New("control command without ack flag")
		}
		if greq.Header.Command == f.failCmd {
			return nil, genltest.Error(int(unix.EINVAL))
		}
		return []genetlink.Message{{}}, nil // the acknowledgement
	})
	inner := genltest.Dial(serve)
	// The module's refusal with its extended-ack message: an NLMSG_ERROR
	// the genltest adapter cannot produce, so those requests are answered
	// here and the rest forwarded to the genltest server.
	return genetlink.NewConn(nltest.Dial(func(reqs []netlink.Message) ([]netlink.Message, error) {
		if len(reqs) == 1 && reqs[0].Header.Type == testFamilyID {
			var gm genetlink.Message
			if err := gm.UnmarshalBinary(reqs[0].Data); err != nil {
				return nil, err
			}
			f.mu.Lock()
			refuse := gm.Header.Command == f.failCmd && f.failMsg != ""
			if refuse {
				f.cmds = append(f.cmds, gm)
			}
			f.mu.Unlock()
			if refuse {
				return []netlink.Message{extAck(reqs[0], int32(unix.EINVAL), f.failMsg, false)}, nil
			}
		}
		return forward(inner, reqs)
	}))
}

// forward hands reqs to a genltest connection and returns its answer as
// netlink messages (its errno refusals as NLMSG_ERROR).
func forward(inner *genetlink.Conn, reqs []netlink.Message) ([]netlink.Message, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	var gm genetlink.Message
	if err := gm.UnmarshalBinary(reqs[0].Data); err != nil {
		return nil, err
	}
	if _, err := inner.Send(gm, uint16(reqs[0].Header.Type), reqs[0].Header.Flags); err != nil {
		return nil, err
	}
	_, nms, err := inner.Receive()
	var errno unix.Errno
	if errors.As(err, &errno) {
		return nltest.Error(int(errno), reqs)
	}
	for i := range nms {
		nms[i].Header.Sequence, nms[i].Header.PID = reqs[0].Header.Sequence, reqs[0].Header.PID
	}
	return nms, err
}

// extAck is the NLMSG_ERROR refusing req with errno and the module's
// message, as the kernel sends it on a socket with NETLINK_EXT_ACK: after
// the request's header its payload, unless the socket set NETLINK_CAP_ACK
// (capped), then the message attribute.
func extAck(req netlink.Message, errno int32, msg string, capped bool) netlink.Message {
	m := ackFor(req, errno)
	flags := netlink.AcknowledgeTLVs
	if capped {
		flags |= netlink.Capped
	} else {
		binary.NativeEndian.PutUint32(m.Data[4:], uint32(16+len(req.Data)))
		m.Data = append(m.Data, req.Data...)
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NLMSGERR_ATTR_MSG, msg)
	tlvs, _ := ae.Encode()
	m.Data = append(m.Data, tlvs...)
	m.Header.Flags = flags
	return m
}

// dataConn plays the module's side of the data socket on one end of a
// socketpair: it decodes every CMD_RX datagram the client writes (the
// client's real encoder and header) and, when refuseRx is set, answers
// with the module's refusal.
func (f *fakeModule) dataConn(t testing.TB) (dataFD, func() error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		tv := unix.NsecToTimeval(int64(dataRecvTimeout))
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		for {
			select {
			case <-stop:
				return
			default:
			}
			n, err := unix.Read(fds[1], buf)
			if err != nil {
				continue // the receive timeout: look at stop again
			}
			f.rxDatagram(t, fds[1], buf[:n])
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		unix.Close(fds[1])
	})
	return dataFD(fds[0]), dataFD(fds[0]).close
}

// rxDatagram checks one datagram from the client as the kernel would and
// records the injected frame.
func (f *fakeModule) rxDatagram(t testing.TB, fd int, d []byte) {
	var nm netlink.Message
	if err := nm.UnmarshalBinary(d); err != nil || int(nm.Header.Length) != len(d) {
		t.Errorf("data socket: datagram of %d bytes is not one netlink message (%v)", len(d), err)
		return
	}
	var gm genetlink.Message
	if err := gm.UnmarshalBinary(nm.Data); err != nil {
		t.Errorf("data socket: %v", err)
		return
	}
	if nm.Header.Type != testFamilyID || gm.Header.Command != CmdRx || gm.Header.Version != FamilyVersion ||
		nm.Header.Flags != netlink.Request || nm.Header.PID != 0 || nm.Header.Sequence == 0 {
		t.Errorf("data socket: header %+v %+v, want RX without ack to the family", nm.Header, gm.Header)
		return
	}
	ad, err := netlink.NewAttributeDecoder(gm.Data)
	if err != nil {
		t.Errorf("data socket: %v", err)
		return
	}
	var radio uint32
	var frame []byte
	for ad.Next() {
		switch ad.Type() {
		case AttrRadio:
			radio = ad.Uint32()
		case AttrFrame:
			frame = ad.Bytes()
		}
	}
	f.mu.Lock()
	f.rx = append(f.rx, frame)
	f.rxRadio = append(f.rxRadio, radio)
	refuse := f.refuseRx
	f.mu.Unlock()
	if refuse != "" {
		reply := extAck(nm, int32(unix.ENETDOWN), refuse, true)
		reply.Header.Length = uint32(16 + len(reply.Data))
		b, _ := reply.MarshalBinary()
		if _, err := unix.Write(fd, b); err != nil {
			t.Errorf("data socket: reply: %v", err)
		}
	}
}

func newTestClient(t *testing.T, f *fakeModule) *Client {
	t.Helper()
	if f.ctx == nil {
		f.ctx, f.cancel = context.WithCancel(context.Background())
		t.Cleanup(f.cancel)
	}
	if f.events == nil {
		f.events = make(chan []genetlink.Message, 8)
	}
	data, closeData := f.dataConn(t)
	c, err := newClient(f.eventsConn(), f.cmdsConn(), data, closeData)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestDialNoModule(t *testing.T) {
	cmds := genltest.Dial(func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(unix.ENOENT))
	})
	_, err := newClient(cmds, cmds, nil, nil)
	if !errors.Is(err, ErrNoModule) {
		t.Fatalf("err = %v, want ErrNoModule", err)
	}
}

func TestDialWrongVersion(t *testing.T) {
	fam := testFamily
	fam.Version = 7
	cmds := genltest.Dial(genltest.ServeFamily(fam, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, nil
	}))
	if _, err := newClient(cmds, cmds, nil, nil); err == nil || !bytes.Contains([]byte(err.Error()), []byte("version 7")) {
		t.Fatalf("err = %v, want a version mismatch naming version 7", err)
	}
}

func txEvent(t *testing.T, radio uint32, frame []byte) genetlink.Message {
	return genetlink.Message{
		Header: genetlink.Header{Command: CmdTx, Version: 1},
		Data: encode(t, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(AttrRadio, radio)
			ae.Bytes(AttrFrame, frame)
		}),
	}
}

func TestRegisterAndEvents(t *testing.T) {
	eth := bytes.Repeat([]byte{0xab}, 60)
	f := &fakeModule{}
	f.early = []genetlink.Message{txEvent(t, 2, eth)}
	c := newTestClient(t, f)
	early, err := c.Register()
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	if len(early) != 1 || early[0].Cmd != CmdTx || early[0].Index != 2 || !bytes.Equal(early[0].Frame, eth) {
		t.Fatalf("early events = %+v, want one TX on radio 2", early)
	}

	bssid := frames.MAC{2, 0, 0, 0, 0, 9}
	f.events <- []genetlink.Message{
		{Header: genetlink.Header{Command: CmdConnect}, Data: encode(t, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(AttrRadio, 1)
			ae.Bytes(AttrSSID, []byte("vmedium"))
			ae.Bytes(AttrBSSID, bssid[:])
			ae.Uint32(AttrFreq, 2437)
		})},
		{Header: genetlink.Header{Command: CmdTx}, Data: encode(t, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(AttrRadio, 1)
			ae.Bytes(AttrFrame, []byte{1, 2, 3}) // too short: counted as bad
		})},
		{Header: genetlink.Header{Command: CmdStartAP}, Data: encode(t, func(ae *netlink.AttributeEncoder) {
			ae.Uint32(AttrRadio, 0)
			ae.Bytes(AttrSSID, []byte("net"))
			ae.Uint32(AttrFreq, 2412)
			ae.Uint32(AttrBeaconInt, 100)
			ae.Uint32(AttrDTIM, 2)
			ae.Flag(AttrHidden, true)
		})},
		{Header: genetlink.Header{Command: CmdDisconnect}, Data: encode(t, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(AttrSSID, []byte("no radio attribute")) // bad
		})},
	}

	// The fake's pending receive ends with f.ctx, as a real socket's ends
	// when Run closes it.
	ctx, cancel := f.ctx, f.cancel
	got := make(chan Event, 8)
	var bad atomic.Uint64
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, func(e Event) { got <- e }, &bad) }()

	e := <-got
	if e.Cmd != CmdConnect || e.Index != 1 || string(e.SSID) != "vmedium" || e.BSSID != bssid || e.FreqMHz != 2437 {
		t.Errorf("connect event = %+v", e)
	}
	e = <-got
	if e.Cmd != CmdStartAP || e.Index != 0 || string(e.SSID) != "net" || e.FreqMHz != 2412 ||
		e.BeaconInt != 100 || e.DTIM != 2 || !e.Hidden {
		t.Errorf("start_ap event = %+v", e)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop on cancel")
	}
	if bad.Load() != 2 {
		t.Errorf("bad events = %d, want 2 (short frame, missing radio)", bad.Load())
	}
}

func TestRegisterBusy(t *testing.T) {
	f := &fakeModule{busy: true}
	c := newTestClient(t, f)
	if _, err := c.Register(); !errors.Is(err, ErrBusy) {
		t.Fatalf("Register: %v, want ErrBusy", err)
	}
}

func TestRadios(t *testing.T) {
	f := &fakeModule{radios: []RadioInfo{
		{Index: 0, Ifname: "vw0", Addr: frames.MAC{2, 'v', 'w', 0, 0, 0}, Iftype: IftypeAP},
		{Index: 1, Ifname: "vw1", Addr: frames.MAC{2, 'v', 'w', 0, 0, 1}, Iftype: IftypeStation, TxDropped: 5},
	}}
	c := newTestClient(t, f)
	rs, err := c.Radios()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].Ifname != "vw0" || rs[0].Iftype != IftypeAP || !rs[0].Up ||
		rs[1].Addr != (frames.MAC{2, 'v', 'w', 0, 0, 1}) || rs[1].TxDropped != 5 {
		t.Fatalf("radios = %+v", rs)
	}
}

// decodeCmd parses a command the client sent into name → raw value.
func decodeCmd(t *testing.T, gm genetlink.Message) map[uint16][]byte {
	t.Helper()
	ad, err := netlink.NewAttributeDecoder(gm.Data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint16][]byte{}
	for ad.Next() {
		out[ad.Type()] = ad.Bytes()
	}
	return out
}

func TestCommands(t *testing.T) {
	f := &fakeModule{}
	c := newTestClient(t, f)
	bssid := frames.MAC{2, 0, 0, 0, 0, 1}
	sta := frames.MAC{2, 0, 0, 0, 0, 2}
	steps := []struct {
		cmd  uint8
		call func() error
		want map[uint16][]byte
	}{
		{CmdScanResult, func() error {
			return c.ScanResult(1, BSS{BSSID: bssid, SSID: []byte("vmedium"), FreqMHz: 2412, SignalDBm: -42})
		}, map[uint16][]byte{
			AttrRadio: le32(1), AttrBSSID: bssid[:], AttrFreq: le32(2412), AttrSignal: le32(uint32(0xffffffd6)),
			AttrSSID: []byte("vmedium"),
		}},
		{CmdScanDone, func() error { return c.ScanDone(1, true) }, map[uint16][]byte{AttrRadio: le32(1), AttrAborted: {}}},
		{CmdConnectResult, func() error {
			return c.ConnectResult(2, 0, &BSS{BSSID: bssid, FreqMHz: 2437, SignalDBm: -30, IEs: []byte{0, 1, 'x'}})
		}, map[uint16][]byte{
			AttrRadio: le32(2), AttrStatus: {0, 0}, AttrBSSID: bssid[:], AttrFreq: le32(2437),
			AttrSignal: le32(uint32(0xffffffe2)), AttrIEs: {0, 1, 'x'},
		}},
		{CmdDisconnected, func() error { return c.Disconnected(2, 3) }, map[uint16][]byte{AttrRadio: le32(2), AttrReason: {3, 0}}},
		{CmdNewStation, func() error { return c.NewStation(0, StationInfo{Addr: sta, SignalDBm: -1, TxFailed: 4}, nil) },
			map[uint16][]byte{
				AttrRadio: le32(0), AttrStaAddr: sta[:], AttrSignal: le32(0xffffffff), AttrTxFailed: le32(4),
				AttrTxPackets: make([]byte, 8), AttrTxBytes: make([]byte, 8), AttrRxPackets: make([]byte, 8), AttrRxBytes: make([]byte, 8),
			}},
		{CmdDelStation, func() error { return c.DelStation(0, sta) }, map[uint16][]byte{AttrRadio: le32(0), AttrStaAddr: sta[:]}},
		{CmdCarrier, func() error { return c.SetCarrier(0, true) }, map[uint16][]byte{AttrRadio: le32(0), AttrCarrier: {1}}},
	}
	for _, s := range steps {
		f.mu.Lock()
		n := len(f.cmds)
		f.mu.Unlock()
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", cmdName(s.cmd), err)
		}
		f.mu.Lock()
		if len(f.cmds) != n+1 {
			t.Fatalf("%s: %d messages sent, want 1", cmdName(s.cmd), len(f.cmds)-n)
		}
		gm := f.cmds[n]
		f.mu.Unlock()
		if gm.Header.Command != s.cmd || gm.Header.Version != FamilyVersion {
			t.Errorf("%s: sent command %d version %d", cmdName(s.cmd), gm.Header.Command, gm.Header.Version)
		}
		got := decodeCmd(t, gm)
		if len(got) != len(s.want) {
			t.Errorf("%s: attributes %v, want %v", cmdName(s.cmd), got, s.want)
		}
		for typ, w := range s.want {
			if g, ok := got[typ]; !ok || !bytes.Equal(g, w) {
				t.Errorf("%s: attribute %d = %x (present %v), want %x", cmdName(s.cmd), typ, g, ok, w)
			}
		}
	}

	if err := c.ConnectResult(1, 0, nil); err == nil {
		t.Error("ConnectResult(success, nil BSS) succeeded")
	}
	f.failCmd = CmdCarrier
	if err := c.SetCarrier(1, false); !errors.Is(err, unix.EINVAL) {
		t.Errorf("SetCarrier on a refusing module: %v, want EINVAL", err)
	}
	// The module's extended-ack message reaches the caller.
	f.mu.Lock()
	f.failCmd, f.failMsg = CmdScanDone, "no scan in progress on this radio"
	f.mu.Unlock()
	err := c.ScanDone(1, false)
	var ae *genlraw.AckError
	if !errors.Is(err, unix.EINVAL) || !errors.As(err, &ae) ||
		err.Error() != "kmod: SCAN_DONE: vmedium.ko: no scan in progress on this radio: invalid argument" {
		t.Errorf("ScanDone on a refusing module: %v, want the module's message", err)
	}
}

func le32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

func TestInject(t *testing.T) {
	f := &fakeModule{}
	c := newTestClient(t, f)
	eth := bytes.Repeat([]byte{7}, 64)
	if err := c.Inject(1, eth); err != nil {
		t.Fatal(err)
	}
	eventuallyRx(t, f, 1)
	f.mu.Lock()
	if len(f.rx) != 1 || !bytes.Equal(f.rx[0], eth) || f.rxRadio[0] != 1 {
		t.Errorf("module got %x (radios %v), want one frame %x for radio 1", f.rx, f.rxRadio, eth)
	}
	f.mu.Unlock()
	for _, n := range []int{0, 13, MaxFrame + 1} {
		if err := c.Inject(1, make([]byte, n)); err == nil {
			t.Errorf("Inject of %d bytes succeeded", n)
		}
	}
	// A refused injection is counted, with the module's message kept.
	f.mu.Lock()
	f.refuseRx = "interface is down"
	f.mu.Unlock()
	if err := c.Inject(2, eth); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.InjectErrors() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n, err := c.InjectErrors(), c.LastInjectError(); n != 1 || !errors.Is(err, unix.ENETDOWN) ||
		err.Error() != "vmedium.ko: interface is down: network is down" {
		t.Errorf("refusals %d, last %v; want 1 with the module's message", n, err)
	}
	c.Close()
	if err := c.Inject(1, eth); err == nil {
		t.Error("Inject after Close succeeded")
	}
}

// eventuallyRx waits until the fake module decoded n injections.
func eventuallyRx(t testing.TB, f *fakeModule, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		got := len(f.rx)
		f.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("module decoded %d injections, want %d", got, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
