// SPDX-License-Identifier: MIT

package hwsim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

func newTestBackend(t testing.TB, m *medium.Medium) (*Backend, *fakeKernel) {
	t.Helper()
	k, c := newFakeKernel(t)
	b, err := k.open(m, c, Options{}, config{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if k.registered != 1 {
		t.Fatalf("REGISTER sent %d times, want 1", k.registered)
	}
	return b, k
}

// feed hands msgs to the backend as one kernel datagram.
func feed(t testing.TB, b *Backend, msgs ...netlink.Message) { b.handleDatagram(dgram(t, msgs...)) }

// lab returns a backend serving radios 0 (vw0) and 1 (vw1) whose interfaces
// came up after registration (ADD_MAC_ADDR).
func lab(t testing.TB) (*medium.Medium, *Backend, *fakeKernel) {
	m := medium.New(medium.Options{Seed: 1})
	b, k := newTestBackend(t, m)
	for i, name := range []string{"vw0", "vw1"} {
		if _, err := b.Attach(i, name, HwAddr(i), VifAddr(i)); err != nil {
			t.Fatal(err)
		}
	}
	return m, b, k
}

func mac(a frames.MAC) []byte { return a[:] }

func kernelMsg(cmd uint8, fill func(ae *netlink.AttributeEncoder)) netlink.Message {
	ae := netlink.NewAttributeEncoder()
	fill(ae)
	attrs, err := ae.Encode()
	if err != nil {
		panic(err)
	}
	data, _ := (&genetlink.Message{Header: genetlink.Header{Command: cmd, Version: 1}, Data: attrs}).MarshalBinary()
	return netlink.Message{Header: netlink.Header{Type: testFamily}, Data: data}
}

// dataFrame is a ToDS data frame addr1=ra, addr2=ta.
func dataFrame(ra, ta frames.MAC) []byte {
	f := make([]byte, 24+8)
	f[0] = 0x08
	f[1] = 0x01
	copy(f[4:], ra[:])
	copy(f[10:], ta[:])
	copy(f[16:], ra[:])
	return f
}

type txSpec struct {
	tx     frames.MAC
	frame  []byte
	flags  uint32
	cookie uint64
	txInfo [8]byte
}

func frameMsg(s txSpec) netlink.Message {
	return kernelMsg(CmdFrame, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrAddrTransmitter, s.tx[:])
		ae.Bytes(AttrFrame, s.frame)
		ae.Uint32(AttrFlags, s.flags)
		ae.Uint32(AttrFreq, 2437)
		ae.Bytes(AttrTxInfo, s.txInfo[:])
		ae.Bytes(AttrTxInfoFlags, make([]byte, 12))
		ae.Uint64(AttrCookie, s.cookie)
	})
}

// chain: rate 0 ×3, rate 2 ×2 (5 attempts allowed).
var chain = [8]byte{0, 3, 2, 2, 0xff, 0, 0xff, 0}

type decoded struct {
	cmd   uint8
	attrs map[uint16][]byte
}

func decode(t testing.TB, gm genetlink.Message) decoded {
	t.Helper()
	d := decoded{cmd: gm.Header.Command, attrs: map[uint16][]byte{}}
	ad, err := netlink.NewAttributeDecoder(gm.Data)
	if err != nil {
		t.Fatal(err)
	}
	for ad.Next() {
		d.attrs[ad.Type()] = ad.Bytes()
	}
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d decoded) u32(a uint16) uint32 { return binary.NativeEndian.Uint32(d.attrs[a]) }

// oneBatch handles msg and returns the single batch it caused.
func oneBatch(t *testing.T, b *Backend, k *fakeKernel, msg netlink.Message) []decoded {
	t.Helper()
	feed(t, b, msg)
	bs := k.take()
	if len(bs) != 1 {
		t.Fatalf("got %d sends, want the transmission in one batch", len(bs))
	}
	var out []decoded
	for _, gm := range bs[0] {
		out = append(out, decode(t, gm))
	}
	if last := out[len(out)-1]; last.cmd != CmdTxInfoFrame {
		t.Fatalf("last message of the batch is command %d, want TX_INFO_FRAME", last.cmd)
	}
	return out
}

func checkTxInfo(t *testing.T, d decoded, cookie uint64, acked bool, want [8]byte) {
	t.Helper()
	if got := binary.NativeEndian.Uint64(d.attrs[AttrCookie]); got != cookie {
		t.Errorf("cookie %d, want %d", got, cookie)
	}
	if got := d.u32(AttrFlags)&TxStatAck != 0; got != acked {
		t.Errorf("STAT_ACK %v, want %v (flags %#x)", got, acked, d.u32(AttrFlags))
	}
	if got := d.attrs[AttrTxInfo]; !bytes.Equal(got, want[:]) {
		t.Errorf("TX_INFO % x, want % x", got, want)
	}
	for _, a := range []uint16{AttrAddrTransmitter, AttrFlags, AttrCookie, AttrSignal, AttrTxInfo} {
		if _, ok := d.attrs[a]; !ok {
			t.Errorf("TX_INFO_FRAME lacks attribute %d the kernel requires", a)
		}
	}
}

func TestOpenRegisterErrors(t *testing.T) {
	for _, c := range []struct {
		errno int
		msg   string
		want  error
		text  string
	}{
		{int(unix.EBUSY), "", ErrBusy, "wmediumd"},
		{int(unix.EOPNOTSUPP), "", ErrMultiChannel, "channels > 1"},
		{int(unix.EPERM), "", unix.EPERM, "needs CAP_NET_ADMIN"},
		// The kernel's extended-ack message reaches the error.
		{int(unix.EINVAL), "radio 7 is not here", unix.EINVAL, "mac80211_hwsim: radio 7 is not here: invalid argument"},
	} {
		k, conn := newFakeKernel(t)
		k.registerErr, k.registerMsg = c.errno, c.msg
		_, err := k.open(medium.New(medium.Options{}), conn, Options{}, config{})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("errno %d: got %v, want %v containing %q", c.errno, err, c.want, c.text)
		}
	}
}

func TestUnicastLossFreeOneAttemptAcked(t *testing.T) {
	m, b, k := lab(t)
	sig := -67.0
	if err := m.SetLink("vw0", "vw1", &sig, nil); err != nil {
		t.Fatal(err)
	}
	frame := dataFrame(VifAddr(1), VifAddr(0))
	out := oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: frame, flags: TxCtlReqTxStatus, cookie: 77, txInfo: chain}))
	if len(out) != 2 || out[0].cmd != CmdFrame {
		t.Fatalf("batch %+v, want injection then TX status", out)
	}
	inj := out[0]
	if !bytes.Equal(inj.attrs[AttrAddrReceiver], mac(HwAddr(1))) {
		t.Errorf("ADDR_RECEIVER % x, want the receiver's hwsim address %s", inj.attrs[AttrAddrReceiver], HwAddr(1))
	}
	if !bytes.Equal(inj.attrs[AttrFrame], frame) {
		t.Error("injected frame differs")
	}
	if got := int32(inj.u32(AttrSignal)); got != -67 {
		t.Errorf("SIGNAL %d, want -67", got)
	}
	if inj.u32(AttrFreq) != 2437 || inj.u32(AttrRxRate) != 0 {
		t.Errorf("FREQ %d RX_RATE %d, want 2437 and 0", inj.u32(AttrFreq), inj.u32(AttrRxRate))
	}
	checkTxInfo(t, out[1], 77, true, [8]byte{0, 1, 0xff, 0, 0xff, 0, 0xff, 0})
	if got := int32(out[1].u32(AttrSignal)); got != int32(medium.DefaultSignalDBm) {
		t.Errorf("ack SIGNAL %d, want reverse link %v", got, medium.DefaultSignalDBm)
	}
	if c := b.Counters(); c.FramesIn != 1 || c.TxInfoSent != 1 || c.Injected != 1 {
		t.Errorf("counters %+v", c)
	}
}

func TestDeniedUsesAllAttemptsNoAck(t *testing.T) {
	m, b, k := lab(t)
	if _, err := m.Deny("vw0", "vw1"); err != nil {
		t.Fatal(err)
	}
	out := oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlReqTxStatus, cookie: 5, txInfo: chain}))
	if len(out) != 1 {
		t.Fatalf("denied frame was injected: %d messages", len(out))
	}
	checkTxInfo(t, out[0], 5, false, chain)
}

func TestNoAckNeverAckedOrRetried(t *testing.T) {
	m, b, k := lab(t)
	bcast := dataFrame(frames.Broadcast, VifAddr(0))
	out := oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: bcast, flags: TxCtlNoAck, cookie: 9, txInfo: chain}))
	if len(out) != 2 || out[0].cmd != CmdFrame {
		t.Fatalf("broadcast: %d messages, want delivery to vw1 + status", len(out))
	}
	checkTxInfo(t, out[1], 9, false, [8]byte{0, 1, 0xff, 0, 0xff, 0, 0xff, 0})
	if out[1].u32(AttrFlags)&TxCtlNoAck == 0 {
		t.Error("NO_ACK flag not echoed")
	}
	// Unicast sent with no-ack policy on a lossy link: one attempt only.
	loss := 1.0
	if err := m.SetLink("vw0", "vw1", nil, &loss); err != nil {
		t.Fatal(err)
	}
	out = oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlNoAck, cookie: 10, txInfo: chain}))
	checkTxInfo(t, out[0], 10, false, [8]byte{0, 1, 0xff, 0, 0xff, 0, 0xff, 0})
}

// TestAddressRefcountTrap: around a scan the kernel sends ADD, ADD, DEL
// for an address; it must stay reachable until the last DEL. The radio's
// own address is never forgotten.
func TestAddressRefcountTrap(t *testing.T) {
	_, b, k := lab(t)
	extra := frames.MAC{0x02, 0xaa, 0, 0, 0, 1}
	addr := func(cmd uint8, a frames.MAC) {
		feed(t, b, kernelMsg(cmd, func(ae *netlink.AttributeEncoder) {
			ae.Bytes(AttrAddrTransmitter, mac(HwAddr(1)))
			ae.Bytes(AttrAddrReceiver, mac(a))
		}))
	}
	send := func(cookie uint64, to frames.MAC) []decoded {
		return oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(to, VifAddr(0)), flags: TxCtlReqTxStatus, cookie: cookie, txInfo: chain}))
	}
	addr(CmdAddMacAddr, extra) // interface up
	addr(CmdAddMacAddr, extra) // scan start
	addr(CmdDelMacAddr, extra) // scan end
	if out := send(1, extra); len(out) != 2 || out[1].u32(AttrFlags)&TxStatAck == 0 {
		t.Fatalf("address forgotten after ADD, ADD, DEL: %d messages", len(out))
	}
	addr(CmdDelMacAddr, extra) // interface down
	out := send(2, extra)
	if len(out) != 1 {
		t.Fatalf("frame to a removed address was delivered")
	}
	checkTxInfo(t, out[0], 2, false, chain)
	addr(CmdDelMacAddr, VifAddr(1))
	if out := send(3, VifAddr(1)); len(out) != 2 {
		t.Fatalf("own address forgotten after a DEL")
	}
	// An address added before the radio was attached is applied on Attach.
	addr2 := frames.MAC{0x02, 0xbb, 0, 0, 0, 2}
	feed(t, b, kernelMsg(CmdAddMacAddr, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrAddrTransmitter, mac(HwAddr(4)))
		ae.Bytes(AttrAddrReceiver, mac(addr2))
	}))
	if _, err := b.Attach(4, "vw4", HwAddr(4), VifAddr(4)); err != nil {
		t.Fatal(err)
	}
	if out := send(4, addr2); len(out) != 2 {
		t.Fatalf("address learnt before Attach not served")
	}
}

func TestUnknownTransmitterAnswered(t *testing.T) {
	_, b, k := lab(t)
	stranger := HwAddr(9)
	out := oneBatch(t, b, k, frameMsg(txSpec{tx: stranger, frame: dataFrame(VifAddr(1), VifAddr(9)), flags: TxCtlReqTxStatus, cookie: 3, txInfo: chain}))
	if len(out) != 1 {
		t.Fatalf("frame of an unknown transmitter was delivered")
	}
	checkTxInfo(t, out[0], 3, false, chain)
	if !bytes.Equal(out[0].attrs[AttrAddrTransmitter], stranger[:]) {
		t.Error("TX status not addressed to the transmitter")
	}
	if b.Counters().UnknownTx != 1 {
		t.Errorf("unknown transmitter not counted: %+v", b.Counters())
	}
}

func TestMalformedCountedNotPanicking(t *testing.T) {
	_, b, k := lab(t)
	bad := []netlink.Message{
		{Header: netlink.Header{Type: testFamily}, Data: []byte{CmdFrame}},                         // short genl header
		{Header: netlink.Header{Type: testFamily}, Data: []byte{CmdFrame, 1, 0, 0, 200, 0, 2}},     // truncated attribute
		kernelMsg(CmdFrame, func(ae *netlink.AttributeEncoder) { ae.Bytes(AttrFrame, []byte{1}) }), // no transmitter/cookie
		kernelMsg(CmdAddMacAddr, func(ae *netlink.AttributeEncoder) { ae.Bytes(AttrAddrTransmitter, []byte{1, 2}) }),
		kernelMsg(CmdNewRadio, func(ae *netlink.AttributeEncoder) { ae.String(AttrRadioName, "x") }),
	}
	for _, m := range bad {
		feed(t, b, m)
	}
	if got := b.Counters().Malformed; got != uint64(len(bad)) {
		t.Errorf("malformed %d, want %d", got, len(bad))
	}
	if bs := k.take(); len(bs) != 0 {
		t.Errorf("unanswerable messages caused %d sends", len(bs))
	}
	// A short frame with transmitter and cookie is still answered.
	out := oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: []byte{8, 1, 2}, flags: TxCtlReqTxStatus, cookie: 4, txInfo: chain}))
	checkTxInfo(t, out[0], 4, false, chain)
}

// TestLossRetriesAccounted: with loss, TX_INFO reports exactly the attempts
// the medium used, consistent with its retry counters.
func TestLossRetriesAccounted(t *testing.T) {
	m, b, k := lab(t)
	loss := 0.5
	if err := m.SetLink("vw0", "vw1", nil, &loss); err != nil {
		t.Fatal(err)
	}
	attempts, acked, retried := 0, 0, 0
	for i := 0; i < 300; i++ {
		out := oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlReqTxStatus, cookie: uint64(i), txInfo: chain}))
		st := out[len(out)-1]
		ti := st.attrs[AttrTxInfo]
		n := 0
		for j := 0; j < 4 && int8(ti[2*j]) >= 0; j++ {
			n += int(ti[2*j+1])
		}
		attempts += n
		if n > 1 {
			retried++
		}
		if st.u32(AttrFlags)&TxStatAck != 0 {
			acked++
			if len(out) != 2 {
				t.Fatalf("acked without delivery")
			}
		}
	}
	s, _ := m.Radio("vw0")
	st := s.Stats()
	if uint64(attempts-300) != st.TxRetries || uint64(acked) != st.TxAcked {
		t.Errorf("TX_INFO attempts %d acked %d; medium retries %d acked %d", attempts, acked, st.TxRetries, st.TxAcked)
	}
	if retried == 0 || acked < 280 {
		t.Errorf("loss 0.5 with 5 attempts: retried %d, acked %d of 300", retried, acked)
	}
}

func TestRewriteTxInfo(t *testing.T) {
	for _, c := range []struct {
		in   [8]byte
		used int
		want [8]byte
	}{
		{chain, 1, [8]byte{0, 1, 0xff, 0, 0xff, 0, 0xff, 0}},
		{chain, 3, [8]byte{0, 3, 0xff, 0, 0xff, 0, 0xff, 0}},
		{chain, 4, [8]byte{0, 3, 2, 1, 0xff, 0, 0xff, 0}},
		{chain, 5, chain},
		{[8]byte{7, 1, 5, 1, 3, 1, 0, 8}, 6, [8]byte{7, 1, 5, 1, 3, 1, 0, 3}},
	} {
		if got := rewriteTxInfo(&c.in, c.used); got != c.want {
			t.Errorf("rewrite % x used %d = % x, want % x", c.in, c.used, got, c.want)
		}
	}
	if n := chainAttempts(&chain); n != 5 {
		t.Errorf("chain attempts %d, want 5", n)
	}
}

func TestRadioEventsAndNewRadioID(t *testing.T) {
	m, b, k := lab(t)
	feed(t, b, kernelMsg(CmdDelRadio, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadioID, 1)
		ae.Bytes(AttrRadioName, []byte("phy1"))
	}))
	if _, ok := m.Radio("vw1"); ok {
		t.Error("DEL_RADIO multicast did not remove vw1")
	}
	k.newRadioID = 5
	var r CreatedRadio
	err := k.serving(1, func() (err error) {
		r, err = b.CreateRadio("vm-vw2")
		return err
	})
	if err != nil || r.ID != 5 || r.HwAddr != HwAddr(5) {
		t.Fatalf("create radio: %+v, %v (want id 5 from the positive ACK)", r, err)
	}
}

// BenchmarkFrame measures the per-frame path from one decoded netlink
// message: decode the kernel FRAME, dispatch on the medium, encode the
// injection and the TX status, one writev to the kernel's end (drained).
func BenchmarkFrame(b *testing.B) {
	_, be, k := lab(b)
	go k.drain()
	msg := frameMsg(txSpec{tx: HwAddr(0), frame: append(dataFrame(VifAddr(1), VifAddr(0)), make([]byte, 1400)...), flags: TxCtlReqTxStatus, cookie: 1, txInfo: chain})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be.handle(msg)
	}
	b.StopTimer()
	if c := be.Counters(); c.TxInfoSent != uint64(b.N) || c.SendErrors != 0 {
		b.Fatalf("answered %d of %d, %d send errors", c.TxInfoSent, b.N, c.SendErrors)
	}
}
