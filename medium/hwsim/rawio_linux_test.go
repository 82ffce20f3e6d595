package hwsim

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// TestRawDatagramPath drives the raw frame path end to end without root:
// a kernel datagram holding two messages (ADD_MAC_ADDR, FRAME) is split and
// handled, and the transmission's injection + TX status leave in ONE
// datagram on the descriptor (a socketpair stands in for the netlink fd).
func TestRawDatagramPath(t *testing.T) {
	_, b, k := lab(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	b.rawFD = fds[0]

	extra := [6]byte{0x02, 0xcc, 0, 0, 0, 1}
	add := kernelMsg(CmdAddMacAddr, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrAddrTransmitter, mac(HwAddr(1)))
		ae.Bytes(AttrAddrReceiver, extra[:])
	})
	fr := frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(extra, VifAddr(0)), flags: TxCtlReqTxStatus, cookie: 42, txInfo: chain})
	var dgram []byte
	for _, m := range []netlink.Message{add, fr} {
		m.Header.Length = uint32(nlmsgAlign(16 + len(m.Data)))
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		dgram = append(dgram, enc...)
	}
	b.handleDatagram(dgram)
	if bs := k.take(); len(bs) != 0 {
		t.Fatalf("raw mode sent %d batches through the library", len(bs))
	}
	buf := make([]byte, 8192)
	n, err := unix.Read(fds[1], buf)
	if err != nil {
		t.Fatal(err)
	}
	var got []genetlink.Message
	for d := buf[:n]; len(d) > 0; {
		var m netlink.Message
		l := nlmsgAlign(int(uint32(d[0]) | uint32(d[1])<<8 | uint32(d[2])<<16 | uint32(d[3])<<24))
		if err := m.UnmarshalBinary(d[:l]); err != nil {
			t.Fatal(err)
		}
		if m.Header.Type != testFamily || m.Header.Sequence == 0 {
			t.Errorf("header %+v: want family %d and a sequence number", m.Header, testFamily)
		}
		var gm genetlink.Message
		if err := gm.UnmarshalBinary(m.Data); err != nil {
			t.Fatal(err)
		}
		got = append(got, gm)
		d = d[l:]
	}
	if len(got) != 2 || got[0].Header.Command != CmdFrame || got[1].Header.Command != CmdTxInfoFrame {
		t.Fatalf("datagram holds %d messages, want injection + TX status", len(got))
	}
	inj := decode(t, got[0])
	if !bytes.Equal(inj.attrs[AttrAddrReceiver], mac(HwAddr(1))) {
		t.Error("address learnt from the same datagram not used for delivery")
	}
	checkTxInfo(t, decode(t, got[1]), 42, true, [8]byte{0, 1, 0xff, 0, 0xff, 0, 0xff, 0})
}

func TestRawAcks(t *testing.T) {
	_, b, _ := lab(t)
	ack := func(seq uint32, code int32) []byte {
		m := netlink.Message{Header: netlink.Header{Type: netlink.Error, Sequence: seq, Length: 36}, Data: make([]byte, 20)}
		m.Data[0], m.Data[1], m.Data[2], m.Data[3] = byte(code), byte(code>>8), byte(code>>16), byte(code>>24)
		enc, _ := m.MarshalBinary()
		return enc
	}
	// A rejected injection is counted.
	b.handleDatagram(ack(7, -int32(unix.EINVAL)))
	if b.Counters().Rejected != 1 {
		t.Errorf("rejected %d, want 1", b.Counters().Rejected)
	}
	// NEW_RADIO's positive "error" reaches the waiting request as the id.
	ch := make(chan error, 1)
	b.waiters[0x80000001] = ch
	b.handleDatagram(ack(0x80000001, 3))
	if id, err := radioIDFromAck(<-ch); id != 3 || err != nil {
		t.Errorf("radio id %d, %v; want 3", id, err)
	}
	// A real error stays an error.
	b.waiters[0x80000002] = ch
	b.handleDatagram(ack(0x80000002, -int32(unix.EEXIST)))
	if _, err := radioIDFromAck(<-ch); !errors.Is(err, unix.EEXIST) {
		t.Errorf("got %v, want EEXIST", err)
	}
	// Garbage is counted, not a panic.
	b.handleDatagram([]byte{200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	b.handleDatagram([]byte{1, 2, 3})
	if b.Counters().Malformed != 1 {
		t.Errorf("malformed %d, want 1", b.Counters().Malformed)
	}
}

// BenchmarkFrameRaw is the production per-frame path: split a kernel
// datagram, decode the FRAME, dispatch on the medium, encode the injection
// and TX status, one write(2) (to a socketpair drained by a goroutine).
func BenchmarkFrameRaw(b *testing.B) {
	_, be, _ := lab(b)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fds[0])
	be.rawFD = fds[0]
	go func() {
		buf := make([]byte, 8192)
		for {
			if _, err := unix.Read(fds[1], buf); err != nil {
				return
			}
		}
	}()
	m := frameMsg(txSpec{tx: HwAddr(0), frame: append(dataFrame(VifAddr(1), VifAddr(0)), make([]byte, 1400)...), flags: TxCtlReqTxStatus, cookie: 1, txInfo: chain})
	m.Header.Length = uint32(nlmsgAlign(16 + len(m.Data)))
	dgram, err := m.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.handleDatagram(dgram)
	}
	b.StopTimer()
	unix.Close(fds[1])
	if c := be.Counters(); c.TxInfoSent != uint64(b.N) || c.SendErrors != 0 {
		b.Fatalf("answered %d of %d, %d send errors", c.TxInfoSent, b.N, c.SendErrors)
	}
}

// TestRawBurst: frames queued together are answered with one write.
func TestRawBurst(t *testing.T) {
	_, b, _ := lab(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	tv := unix.NsecToTimeval(int64(20 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fds[0], unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	b.rawFD = fds[0]
	for cookie := uint64(1); cookie <= 3; cookie++ {
		m := frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlReqTxStatus, cookie: cookie, txInfo: chain})
		m.Header.Length = uint32(nlmsgAlign(16 + len(m.Data)))
		enc, _ := m.MarshalBinary()
		if _, err := unix.Write(fds[1], enc); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.runRaw(ctx) }()
	buf := make([]byte, 65536)
	n, err := unix.Read(fds[1], buf)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msgs := 0
	for d := buf[:n]; len(d) >= 16; msgs++ {
		d = d[nlmsgAlign(int(binary.NativeEndian.Uint32(d))):]
	}
	if msgs != 6 {
		t.Errorf("first write holds %d messages, want all 3 transmissions (6)", msgs)
	}
	if c := b.Counters(); c.TxInfoSent != 3 {
		t.Errorf("answered %d of 3", c.TxInfoSent)
	}
}

// TestBatchHeadersMatchLibrary pins writeBatchRaw's hand-written headers:
// the datagram must be byte for byte what genetlink.Message and
// netlink.Message MarshalBinary produce for the same messages.
func TestBatchHeadersMatchLibrary(t *testing.T) {
	_, b, _ := lab(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	b.rawFD = fds[0]
	var batch []outMsg
	for i, cmd := range []uint8{CmdFrame, CmdTxInfoFrame} {
		ae := netlink.NewAttributeEncoder()
		ae.Bytes(AttrAddrReceiver, mac(HwAddr(i)))
		ae.Bytes(AttrFrame, make([]byte, 31+i)) // unaligned lengths
		ae.Uint32(AttrSignal, uint32(0xffffffbd))
		om, err := pack(cmd, ae)
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, om)
	}
	seq0 := b.txSeq.Load()
	if err := b.writeBatchRaw(batch); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := unix.Read(fds[1], buf)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i, om := range batch {
		data, err := (genetlink.Message{Header: genetlink.Header{Command: om.cmd, Version: FamilyVersion}, Data: om.attrs}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		m := netlink.Message{Header: netlink.Header{Length: uint32(nlmsgAlign(16 + len(data))),
			Type: testFamily, Flags: netlink.Request, Sequence: seq0 + uint32(i) + 1}, Data: data}
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, enc...)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("datagram\n%x\nwant (library encoding)\n%x", buf[:n], want)
	}
}

// TestRawRecvVector: with a receive vector smaller than the queue, the
// loop keeps taking full vectors until the queue is empty, answers all of
// it in one write, and counts a datagram larger than a slot as malformed
// (truncated) without losing the frames around it.
func TestRawRecvVector(t *testing.T) {
	_, b, _ := lab(t)
	b.opts.recvSlots, b.opts.recvSlotSize = 2, 1024
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	tv := unix.NsecToTimeval(int64(20 * time.Millisecond))
	if err := unix.SetsockoptTimeval(fds[0], unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	b.rawFD = fds[0]
	send := func(cookie uint64, pad int) {
		m := frameMsg(txSpec{tx: HwAddr(0), frame: append(dataFrame(VifAddr(1), VifAddr(0)), make([]byte, pad)...),
			flags: TxCtlReqTxStatus, cookie: cookie, txInfo: chain})
		m.Header.Length = uint32(nlmsgAlign(16 + len(m.Data)))
		enc, _ := m.MarshalBinary()
		if _, err := unix.Write(fds[1], enc); err != nil {
			t.Fatal(err)
		}
	}
	for cookie := uint64(1); cookie <= 6; cookie++ {
		pad := 0
		if cookie == 3 {
			pad = 2000 // larger than a 1024-byte slot
		}
		send(cookie, pad)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.runRaw(ctx) }()
	buf := make([]byte, 65536)
	n, err := unix.Read(fds[1], buf)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	msgs := 0
	for d := buf[:n]; len(d) >= 16; msgs++ {
		d = d[nlmsgAlign(int(binary.NativeEndian.Uint32(d))):]
	}
	if msgs != 10 {
		t.Errorf("first write holds %d messages, want the 5 decodable transmissions (10)", msgs)
	}
	if c := b.Counters(); c.TxInfoSent != 5 || c.Malformed != 1 {
		t.Errorf("answered %d (want 5), malformed %d (want 1)", c.TxInfoSent, c.Malformed)
	}
}

// epollWatched reports whether fd is in any epoll set of this process
// (the Go runtime's network poller is one), from /proc/self/fdinfo.
func epollWatched(t *testing.T, fd int) bool {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("needs /proc: %v", err)
	}
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[eventpoll]" {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "tfd:" && f[1] == strconv.Itoa(fd) {
				return true
			}
		}
	}
	return false
}

// TestEnableRawLeavesNetpoller: the raw descriptor must not be watched by
// Go's network poller (else every kernel message also wakes the runtime's
// epoll thread), and it must still be the same socket (same port id).
func TestEnableRawLeavesNetpoller(t *testing.T) {
	nc, err := netlink.Dial(unix.NETLINK_GENERIC, nil)
	if err != nil {
		t.Skipf("needs a generic netlink socket: %v", err)
	}
	rc, err := nc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	orig := -1
	_ = rc.Control(func(fd uintptr) { orig = int(fd) })
	if !epollWatched(t, orig) {
		t.Fatalf("library descriptor %d not in an epoll set: the check below would prove nothing", orig)
	}
	b := &Backend{nc: nc, rawFD: -1}
	if err := b.enableRaw(); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(b.rawFD)
	// The registration belongs to the open file under the library's
	// descriptor number: that number must be gone from the epoll set too.
	if epollWatched(t, orig) || epollWatched(t, b.rawFD) {
		t.Errorf("medium socket (descriptor %d, dup %d) still watched by an epoll set", orig, b.rawFD)
	}
	sa, err := unix.Getsockname(b.rawFD)
	if err != nil {
		t.Fatal(err)
	}
	if nl, ok := sa.(*unix.SockaddrNetlink); !ok || nl.Pid != nc.PID() {
		t.Errorf("raw descriptor bound to %+v, want port id %d", sa, nc.PID())
	}
	if fl, err := unix.FcntlInt(uintptr(b.rawFD), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("raw descriptor flags %#x (%v): want blocking", fl, err)
	}
}
