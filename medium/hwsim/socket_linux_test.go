// SPDX-License-Identifier: MIT

package hwsim

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
)

// run starts b's receive loop and returns a func that stops it and checks
// its result.
func run(t *testing.T, b *Backend) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := b.Start(ctx)
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
}

// next reads the backend's next datagram (blocking up to the kernel end's
// timeout).
func (k *fakeKernel) next(t *testing.T) []genetlink.Message {
	t.Helper()
	buf := make([]byte, 1<<16)
	n, err := unix.Read(k.fd, buf)
	if err != nil {
		t.Fatalf("fake kernel: nothing sent: %v", err)
	}
	var out []genetlink.Message
	for _, nm := range splitDatagram(t, buf[:n]) {
		out = append(out, genlOf(t, nm))
	}
	return out
}

// TestDatagramPath drives the receive loop end to end: a kernel datagram
// holding two messages (ADD_MAC_ADDR, FRAME) is split and handled, and the
// transmission's injection + TX status leave in ONE datagram.
func TestDatagramPath(t *testing.T) {
	_, b, k := lab(t)
	stop := run(t, b)
	defer stop()
	extra := [6]byte{0x02, 0xcc, 0, 0, 0, 1}
	k.send(kernelMsg(CmdAddMacAddr, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrAddrTransmitter, mac(HwAddr(1)))
		ae.Bytes(AttrAddrReceiver, extra[:])
	}), frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(extra, VifAddr(0)), flags: TxCtlReqTxStatus, cookie: 42, txInfo: chain}))
	got := k.next(t)
	if len(got) != 2 || got[0].Header.Command != CmdFrame || got[1].Header.Command != CmdTxInfoFrame {
		t.Fatalf("datagram holds %d messages, want injection + TX status", len(got))
	}
	inj := decode(t, got[0])
	if !bytes.Equal(inj.attrs[AttrAddrReceiver], mac(HwAddr(1))) {
		t.Error("address learnt from the same datagram not used for delivery")
	}
	checkTxInfo(t, decode(t, got[1]), 42, true, [8]byte{0, 1, 0xff, 0, 0xff, 0, 0xff, 0})
}

// TestAcks: every NLMSG_ERROR is routed in one place: a refused injection
// is counted, a waiting request gets its answer (NEW_RADIO's positive
// code as the id, a refusal with the kernel's message as an error), and
// garbage is counted, not a panic.
func TestAcks(t *testing.T) {
	_, b, k := lab(t)
	stop := run(t, b)
	defer stop()
	k.send(ackMsg(netlink.Header{Sequence: 7, Type: testFamily}, -int32(unix.EINVAL), "frequency mismatch"))

	k.newRadioID = 3
	var r CreatedRadio
	if err := k.serving(1, func() (err error) { r, err = b.CreateRadio("phy-a"); return err }); err != nil || r.ID != 3 {
		t.Errorf("radio %+v, %v; want id 3", r, err)
	}
	k.newRadioID = -int(unix.EEXIST)
	err := k.serving(1, func() (err error) { _, err = b.CreateRadio("phy-b"); return err })
	if !errors.Is(err, unix.EEXIST) || !strings.Contains(err.Error(), "create radio phy-b") {
		t.Errorf("got %v, want EEXIST naming the radio", err)
	}
	if c := b.Counters(); c.Rejected != 1 {
		t.Errorf("rejected %d, want 1", c.Rejected)
	}
	stop()
	before := b.Counters().Malformed
	b.handleDatagram([]byte{200, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	b.handleDatagram([]byte{1, 2, 3})
	// An NLMSG_ERROR of 18 bytes: too short for struct nlmsgerr.
	b.handleDatagram([]byte{18, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0})
	if got := b.Counters().Malformed - before; got != 2 {
		t.Errorf("malformed %d, want 2", got)
	}
}

// TestCreateRadioWith: a radio with a permanent address that outlives the
// medium's socket is asked for with PERM_ADDR and without
// DESTROY_RADIO_ON_CLOSE, and reported under that address; CreateRadio's
// radios are destroyed with the socket.
func TestCreateRadioWith(t *testing.T) {
	_, b, k := lab(t)
	attrs := func() map[uint16][]byte {
		k.mu.Lock()
		defer k.mu.Unlock()
		ad, err := netlink.NewAttributeDecoder(k.newRadio)
		if err != nil {
			t.Fatal(err)
		}
		out := map[uint16][]byte{}
		for ad.Next() {
			out[ad.Type()] = ad.Bytes()
		}
		return out
	}
	perm := frames.MAC{0x06, 0x35, 0x06, 0x90, 0xba, 0}
	k.newRadioID = 4
	var r CreatedRadio
	if err := k.serving(1, func() (err error) { r, err = b.CreateRadioWith(NewRadio{PermAddr: perm, Keep: true}); return err }); err != nil {
		t.Fatal(err)
	}
	if r.ID != 4 || r.HwAddr != perm || r.Vif != perm {
		t.Fatalf("radio %+v, want id 4 with address %v for both", r, perm)
	}
	a := attrs()
	if !bytes.Equal(a[AttrPermAddr], perm[:]) {
		t.Errorf("PERM_ADDR %x, want %v", a[AttrPermAddr], perm)
	}
	if _, ok := a[AttrDestroyRadioOnClose]; ok {
		t.Error("a kept radio asked to be destroyed with the socket")
	}
	if _, ok := a[AttrRadioName]; ok {
		t.Error("RADIO_NAME sent for an unnamed radio")
	}
	k.newRadioID = 5
	if err := k.serving(1, func() (err error) { r, err = b.CreateRadio("phy-d"); return err }); err != nil || r.HwAddr != HwAddr(5) {
		t.Fatalf("CreateRadio: %+v, %v", r, err)
	}
	a = attrs()
	if _, ok := a[AttrDestroyRadioOnClose]; !ok {
		t.Error("CreateRadio's radio not destroyed with the socket")
	}
	if _, ok := a[AttrPermAddr]; ok {
		t.Error("CreateRadio sent PERM_ADDR")
	}
}

// TestRequestWithoutLoop: before Start, a request reads the socket itself
// for its answer, handling the frames that arrive first.
func TestRequestWithoutLoop(t *testing.T) {
	_, b, k := lab(t)
	k.send(frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlReqTxStatus, cookie: 1, txInfo: chain}))
	k.newRadioID = 12
	var r CreatedRadio
	if err := k.serving(1, func() (err error) { r, err = b.CreateRadio("phy-c"); return err }); err != nil || r.ID != 12 {
		t.Fatalf("radio %+v, %v; want id 12", r, err)
	}
	if c := b.Counters(); c.TxInfoSent != 1 {
		t.Errorf("frame queued before the answer: %d TX status sent, want 1", c.TxInfoSent)
	}
}

// BenchmarkFrameRaw is the production per-frame path: split a kernel
// datagram, decode the FRAME, dispatch on the medium, encode the injection
// and TX status, one writev (to the kernel's end, drained).
func BenchmarkFrameRaw(b *testing.B) {
	_, be, k := lab(b)
	go k.drain()
	d := dgram(b, frameMsg(txSpec{tx: HwAddr(0), frame: append(dataFrame(VifAddr(1), VifAddr(0)), make([]byte, 1400)...), flags: TxCtlReqTxStatus, cookie: 1, txInfo: chain}))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.handleDatagram(d)
	}
	b.StopTimer()
	if c := be.Counters(); c.TxInfoSent != uint64(b.N) || c.SendErrors != 0 {
		b.Fatalf("answered %d of %d, %d send errors", c.TxInfoSent, b.N, c.SendErrors)
	}
}

// TestBurst: frames queued together are answered with one write.
func TestBurst(t *testing.T) {
	_, b, k := lab(t)
	for cookie := uint64(1); cookie <= 3; cookie++ {
		k.send(frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlReqTxStatus, cookie: cookie, txInfo: chain}))
	}
	stop := run(t, b)
	got := k.next(t)
	stop()
	if len(got) != 6 {
		t.Errorf("first write holds %d messages, want all 3 transmissions (6)", len(got))
	}
	if c := b.Counters(); c.TxInfoSent != 3 {
		t.Errorf("answered %d of 3", c.TxInfoSent)
	}
}

// TestBatchHeadersMatchLibrary pins writeBatch's hand-written headers: the
// datagram must be byte for byte what genetlink.Message and netlink.Message
// MarshalBinary produce for the same messages.
func TestBatchHeadersMatchLibrary(t *testing.T) {
	_, b, k := lab(t)
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
	b.s.mu.Lock()
	err := b.writeBatch(batch)
	b.s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, err := unix.Read(k.fd, buf)
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

// TestRecvVector: with a receive vector smaller than the queue, the loop
// keeps taking full vectors until the queue is empty, answers all of it in
// one write, and counts a datagram larger than a slot as malformed
// (truncated) without losing the frames around it.
func TestRecvVector(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	k, c := newFakeKernel(t)
	b, err := k.open(m, c, Options{}, config{recvSlots: 2, recvSlotSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"vw0", "vw1"} {
		if _, err := b.Attach(i, name, HwAddr(i), VifAddr(i)); err != nil {
			t.Fatal(err)
		}
	}
	for cookie := uint64(1); cookie <= 6; cookie++ {
		pad := 0
		if cookie == 3 {
			pad = 2000 // larger than a 1024-byte slot
		}
		k.send(frameMsg(txSpec{tx: HwAddr(0), frame: append(dataFrame(VifAddr(1), VifAddr(0)), make([]byte, pad)...),
			flags: TxCtlReqTxStatus, cookie: cookie, txInfo: chain}))
	}
	stop := run(t, b)
	got := k.next(t)
	stop()
	if len(got) != 10 {
		t.Errorf("first write holds %d messages, want the 5 decodable transmissions (10)", len(got))
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

// TestMediumSocket: the medium socket is a blocking netlink socket with a
// receive timeout, bound to the explicit port id it reports (outside the
// autobind range), asking for short and extended acknowledgements, and
// never watched by Go's network poller (else every kernel message also
// wakes the runtime's epoll thread).
func TestMediumSocket(t *testing.T) {
	c, pid, err := dialMediumSocket(1<<20, 0)
	if err != nil {
		t.Skipf("needs a generic netlink socket: %v", err)
	}
	defer c.close()
	fd := int(c)
	if epollWatched(t, fd) {
		t.Errorf("medium socket (descriptor %d) watched by an epoll set", fd)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	if nl, ok := sa.(*unix.SockaddrNetlink); !ok || nl.Pid != pid || pid < 1<<30 {
		t.Errorf("bound to %+v, want port id %d ≥ 2^30", sa, pid)
	}
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		t.Errorf("descriptor flags %#x (%v): want blocking", fl, err)
	}
	for _, o := range []int{unix.NETLINK_CAP_ACK, unix.NETLINK_EXT_ACK} {
		if v, err := unix.GetsockoptInt(fd, unix.SOL_NETLINK, o); err != nil || v != 1 {
			t.Errorf("netlink option %d = %d (%v), want 1", o, v, err)
		}
	}
	// The kernel rounds the timeout up to its clock tick.
	tv, err := unix.GetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO)
	if d := time.Duration(tv.Nano()); err != nil || d < rawRecvTimeout || d > rawRecvTimeout+20*time.Millisecond {
		t.Errorf("receive timeout %v (%v), want %v", d, err, rawRecvTimeout)
	}
}

// TestFrameAllocs pins the allocation budget of the production per-frame
// path (datagram in, injection + TX status out, as BenchmarkFrameRaw):
// mostly the attribute encoders' and decoders' buffers and the medium's
// dispatch. It may only go down.
func TestFrameAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	_, b, k := lab(t)
	done := make(chan struct{})
	go func() { defer close(done); k.drain() }()
	d := dgram(t, frameMsg(txSpec{tx: HwAddr(0), frame: append(dataFrame(VifAddr(1), VifAddr(0)), make([]byte, 1400)...), flags: TxCtlReqTxStatus, cookie: 1, txInfo: chain}))
	const budget = 21
	if n := testing.AllocsPerRun(200, func() { b.handleDatagram(d) }); n > budget {
		t.Errorf("%.1f allocations per frame, budget %d", n, budget)
	}
	unix.Shutdown(k.fd, unix.SHUT_RDWR)
	<-done
}
