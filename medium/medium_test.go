// SPDX-License-Identifier: MIT

package medium

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

// recorder is an in-process radio port that records what it receives.
type recorder struct {
	mu     sync.Mutex
	frames [][]byte
	infos  []RxInfo
}

func (r *recorder) Deliver(f []byte, rx RxInfo) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, append([]byte(nil), f...))
	r.infos = append(r.infos, rx)
	return nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.frames)
}

func mac(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, i, 0} }

// dataFrame builds a minimal data frame header by hand (the builders live in
// frames and are tested there; the medium only needs valid headers).
func dataFrame(toDS, fromDS bool, a1, a2, a3 frames.MAC) []byte {
	b := make([]byte, 24, 64)
	b[0] = frames.TypeData << 2
	if toDS {
		b[1] |= frames.FlagToDS
	}
	if fromDS {
		b[1] |= frames.FlagFromDS
	}
	copy(b[4:], a1[:])
	copy(b[10:], a2[:])
	copy(b[16:], a3[:])
	return append(b, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 1, 2, 3, 4)
}

func mgmtFrame(sub uint8, a1, a2 frames.MAC) []byte {
	b := make([]byte, 24)
	b[0] = frames.TypeMgmt<<2 | sub<<4
	copy(b[4:], a1[:])
	copy(b[10:], a2[:])
	copy(b[16:], a2[:])
	return b
}

type testNet struct {
	m      *Medium
	radios []*Radio
	recs   []*recorder
}

func newNet(t testing.TB, n int, freqs ...uint32) *testNet {
	t.Helper()
	tn := &testNet{m: New(Options{Seed: 1})}
	for i := 0; i < n; i++ {
		f := uint32(2437)
		if i < len(freqs) {
			f = freqs[i]
		}
		rec := &recorder{}
		r, err := tn.m.AddRadio(RadioConfig{Name: "vw" + string(rune('0'+i)), Kind: KindLocal, Addr: mac(byte(i)), FreqMHz: f}, rec)
		if err != nil {
			t.Fatal(err)
		}
		tn.radios = append(tn.radios, r)
		tn.recs = append(tn.recs, rec)
	}
	return tn
}

func (tn *testNet) counts() []int {
	out := make([]int, len(tn.recs))
	for i, r := range tn.recs {
		out[i] = r.count()
	}
	return out
}

func eq(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestUnicastReachesOnlyAddr1(t *testing.T) {
	tn := newNet(t, 4)
	res := tn.radios[0].Transmit(dataFrame(false, false, mac(2), mac(0), mac(0)), TxOptions{MaxAttempts: 4})
	if !res.Acked || res.Attempts != 1 || res.Delivered != 1 {
		t.Fatalf("result = %+v, want acked on first attempt", res)
	}
	if got := tn.counts(); !eq(got, []int{0, 0, 1, 0}) {
		t.Fatalf("deliveries = %v, want only vw2", got)
	}
}

func TestExtraAddressRefcount(t *testing.T) {
	tn := newNet(t, 2)
	extra := frames.MAC{0x02, 0xaa, 0, 0, 0, 1}
	// The kernel adds a station's address twice around a scan and removes it once.
	tn.radios[1].AddAddr(extra)
	tn.radios[1].AddAddr(extra)
	tn.radios[1].DelAddr(extra)
	if r := tn.radios[0].Transmit(dataFrame(false, false, extra, mac(0), mac(0)), TxOptions{}); !r.Acked {
		t.Fatalf("frame to extra address after ADD,ADD,DEL not acked: %+v", r)
	}
	tn.radios[1].DelAddr(extra)
	if r := tn.radios[0].Transmit(dataFrame(false, false, extra, mac(0), mac(0)), TxOptions{}); r.Acked {
		t.Fatalf("frame to removed extra address acked: %+v", r)
	}
	if got := tn.radios[0].Drops(DropNoSuchRadio); got != 1 {
		t.Fatalf("no-such-radio drops = %d, want 1", got)
	}
}

func TestGroupReachesOthersOnSameFrequency(t *testing.T) {
	tn := newNet(t, 4, 2437, 2437, 2437, 2412)
	for _, dst := range []frames.MAC{frames.Broadcast, {0x33, 0x33, 0, 0, 0, 1}, {0x01, 0x00, 0x5e, 0, 0, 1}} {
		before := tn.counts()
		res := tn.radios[1].Transmit(dataFrame(false, false, dst, mac(1), mac(1)), TxOptions{NoAck: true})
		if res.Acked || res.Delivered != 2 {
			t.Fatalf("%s: result %+v, want 2 deliveries, no ack", dst, res)
		}
		after := tn.counts()
		diff := []int{after[0] - before[0], after[1] - before[1], after[2] - before[2], after[3] - before[3]}
		if !eq(diff, []int{1, 0, 1, 0}) {
			t.Fatalf("%s: deliveries %v, want vw0 and vw2 only (not the sender, not the other channel)", dst, diff)
		}
	}
	if tn.radios[3].Drops(DropOtherFreq) != 3 {
		t.Fatalf("other-frequency drops on vw3 = %d, want 3", tn.radios[3].Drops(DropOtherFreq))
	}
	// A radio on another channel does not get unicast either.
	if r := tn.radios[0].Transmit(dataFrame(false, false, mac(3), mac(0), mac(0)), TxOptions{MaxAttempts: 3}); r.Acked || r.Attempts != 3 {
		t.Fatalf("unicast to other channel: %+v, want no ack after 3 attempts", r)
	}
	// Changing frequency takes effect at once.
	tn.radios[3].SetFreq(2437)
	if r := tn.radios[0].Transmit(dataFrame(false, false, mac(3), mac(0), mac(0)), TxOptions{}); !r.Acked {
		t.Fatalf("after SetFreq: %+v, want ack", r)
	}
}

func TestDenyBlocksDirectAndRelayed(t *testing.T) {
	tn := newNet(t, 3) // vw0 = AP, vw1, vw2 = STAs
	if _, err := tn.m.Deny("vw1", "vw2"); err != nil {
		t.Fatal(err)
	}
	// Direct: vw1 → vw2.
	if r := tn.radios[1].Transmit(dataFrame(false, false, mac(2), mac(1), mac(0)), TxOptions{MaxAttempts: 4}); r.Acked || r.Attempts != 4 {
		t.Fatalf("denied direct frame: %+v, want no ack, all 4 attempts reported", r)
	}
	// Direct group frame from vw1: vw0 hears it, vw2 does not.
	before := tn.counts()
	tn.radios[1].Transmit(dataFrame(false, false, frames.Broadcast, mac(1), mac(0)), TxOptions{NoAck: true})
	after := tn.counts()
	if after[0]-before[0] != 1 || after[2] != before[2] {
		t.Fatalf("denied broadcast: deliveries before %v after %v", before, after)
	}
	// Relayed by the AP (From-DS, addr3 = SA = vw1): unicast and broadcast.
	before = tn.counts()
	r := tn.radios[0].Transmit(dataFrame(false, true, mac(2), mac(0), mac(1)), TxOptions{MaxAttempts: 4})
	if r.Acked {
		t.Fatalf("relayed frame with SA=vw1 acked by vw2: %+v", r)
	}
	tn.radios[0].Transmit(dataFrame(false, true, frames.Broadcast, mac(0), mac(1)), TxOptions{NoAck: true})
	// vw1 hears its own relayed broadcast (the air is physical; its MAC
	// drops it by SA), vw2 hears neither relayed frame.
	if after := tn.counts(); after[2] != before[2] || after[1] != before[1]+1 {
		t.Fatalf("relayed frames: before %v after %v, want only vw1's echo", before, after)
	}
	// The AP's own frames still reach vw2, and vw1's still reach the AP.
	if r := tn.radios[0].Transmit(dataFrame(false, true, mac(2), mac(0), mac(0)), TxOptions{}); !r.Acked {
		t.Fatalf("AP's own frame to vw2: %+v", r)
	}
	if r := tn.radios[1].Transmit(dataFrame(true, false, mac(0), mac(1), mac(2)), TxOptions{}); !r.Acked {
		t.Fatalf("vw1 to AP: %+v", r)
	}
	if tn.radios[2].Drops(DropDenied) == 0 {
		t.Fatal("no denied drops counted on vw2")
	}
	// deny -c restores.
	if n := tn.m.ClearDeny(); n != 1 {
		t.Fatalf("ClearDeny = %d, want 1", n)
	}
	if r := tn.radios[0].Transmit(dataFrame(false, true, mac(2), mac(0), mac(1)), TxOptions{}); !r.Acked {
		t.Fatalf("after clear: %+v, want ack", r)
	}
	if r := tn.radios[1].Transmit(dataFrame(false, false, mac(2), mac(1), mac(0)), TxOptions{}); !r.Acked {
		t.Fatalf("after clear direct: %+v, want ack", r)
	}
}

func TestDenyRejectsUnknownNames(t *testing.T) {
	tn := newNet(t, 2)
	_, err := tn.m.Deny("vw1", "nope")
	var u *UnknownRadioError
	if !errors.As(err, &u) || u.Name != "nope" || len(u.Known) != 2 || !IsBadInput(err) {
		t.Fatalf("err = %v, want UnknownRadioError naming nope and the known radios", err)
	}
	if len(tn.m.DenyList()) != 0 {
		t.Fatal("deny list changed on error")
	}
}

func TestLossProbability(t *testing.T) {
	tn := newNet(t, 2)
	p := 0.3
	if err := tn.m.SetLink("vw0", "vw1", nil, &p); err != nil {
		t.Fatal(err)
	}
	const n = 10000
	got := 0
	f := dataFrame(false, false, frames.Broadcast, mac(0), mac(0))
	for i := 0; i < n; i++ {
		got += tn.radios[0].Transmit(f, TxOptions{NoAck: true}).Delivered
	}
	loss := 1 - float64(got)/n
	if math.Abs(loss-p) > 0.02 {
		t.Fatalf("measured loss %.4f over %d frames, want %.2f ± 0.02", loss, n, p)
	}
	if int(tn.radios[1].Drops(DropLoss)) != n-got {
		t.Fatalf("loss drops = %d, want %d", tn.radios[1].Drops(DropLoss), n-got)
	}
}

func TestLossIsReproducibleWithSeed(t *testing.T) {
	run := func(seed uint64) []bool {
		m := New(Options{Seed: seed})
		a, _ := m.AddRadio(RadioConfig{Name: "a", Addr: mac(1), FreqMHz: 2412}, PortFunc(func([]byte, RxInfo) error { return nil }))
		m.AddRadio(RadioConfig{Name: "b", Addr: mac(2), FreqMHz: 2412}, PortFunc(func([]byte, RxInfo) error { return nil }))
		p := 0.5
		m.SetLink("a", "b", nil, &p)
		out := make([]bool, 200)
		for i := range out {
			out[i] = a.Transmit(dataFrame(false, false, mac(2), mac(1), mac(1)), TxOptions{}).Acked
		}
		return out
	}
	x, y, z := run(7), run(7), run(8)
	same := func(a, b []bool) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !same(x, y) {
		t.Fatal("same seed gave different loss sequences")
	}
	if same(x, z) {
		t.Fatal("different seeds gave the same 200-frame loss sequence")
	}
}

func TestRetriesUntilAcked(t *testing.T) {
	tn := newNet(t, 2)
	one := 1.0
	tn.m.SetLink("vw0", "vw1", nil, &one)
	r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{MaxAttempts: 5})
	if r.Acked || r.Attempts != 5 || r.Delivered != 0 {
		t.Fatalf("loss 1: %+v, want no ack after 5 attempts", r)
	}
	half := 0.5
	tn.m.SetLink("vw0", "vw1", nil, &half)
	hist := map[int]int{}
	for i := 0; i < 4000; i++ {
		r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{MaxAttempts: 3})
		if r.Acked {
			hist[r.Attempts]++
		} else {
			hist[0]++
		}
	}
	// P(first attempt) = .5, second .25, third .125, never .125.
	for k, want := range map[int]float64{1: .5, 2: .25, 3: .125, 0: .125} {
		if got := float64(hist[k]) / 4000; math.Abs(got-want) > 0.03 {
			t.Fatalf("attempt histogram %v: P(%d) = %.3f, want %.3f", hist, k, got, want)
		}
	}
	// NoAck frames are sent once and never acked.
	if r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{NoAck: true, MaxAttempts: 5}); r.Acked || r.Attempts != 1 {
		t.Fatalf("no-ack frame: %+v", r)
	}
}

func TestExplicitSignalIsWhatReceiverSees(t *testing.T) {
	tn := newNet(t, 2)
	s := -67.0
	if err := tn.m.SetLink("vw0", "vw1", &s, nil); err != nil {
		t.Fatal(err)
	}
	r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{})
	if !r.Acked || r.AckSignal != int32(DefaultSignalDBm) {
		t.Fatalf("result %+v: want ack with reverse-link (default) ack signal", r)
	}
	if got := tn.recs[1].infos[0].SignalDBm; got != -67 {
		t.Fatalf("receiver signal %d, want -67", got)
	}
	// The reverse direction keeps the default.
	tn.radios[1].Transmit(dataFrame(false, false, mac(0), mac(1), mac(1)), TxOptions{})
	if got := tn.recs[0].infos[0].SignalDBm; got != int32(DefaultSignalDBm) {
		t.Fatalf("reverse signal %d, want default %v", got, DefaultSignalDBm)
	}
}

func TestPathLossDecreasesWithDistance(t *testing.T) {
	tn := newNet(t, 2)
	prev := int32(math.MaxInt32)
	for _, d := range []float64{1, 5, 10, 30, 60} {
		if err := tn.m.SetPosition("vw0", Position{}); err != nil {
			t.Fatal(err)
		}
		if err := tn.m.SetPosition("vw1", Position{X: d}); err != nil {
			t.Fatal(err)
		}
		var sig int32
		for _, l := range tn.m.Links() {
			if l.Src == "vw0" && l.Dst == "vw1" {
				if l.Source != SourcePosition {
					t.Fatalf("source %s, want position", l.Source)
				}
				sig = l.SignalDBm
			}
		}
		if want := int32(math.Round(PathLossSignal(DefaultTxPowerDBm, d))); sig != want {
			t.Fatalf("d=%v: signal %d, want %d", d, sig, want)
		}
		if sig >= prev {
			t.Fatalf("signal at %v m (%d) not below previous (%d)", d, sig, prev)
		}
		prev = sig
	}
	// 60 m: 20 - (40.2 + 30*log10(60)) = -73.5 dBm, still heard; 300 m (-94.5 dBm) is below sensitivity.
	tn.m.SetPosition("vw1", Position{X: 300})
	if r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{MaxAttempts: 2}); r.Acked || r.Attempts != 2 {
		t.Fatalf("out of range: %+v, want no ack", r)
	}
	if tn.radios[1].Drops(DropOutOfRange) == 0 {
		t.Fatal("out-of-range drop not counted")
	}
	// An explicit signal overrides positions.
	s := -40.0
	tn.m.SetLink("vw0", "vw1", &s, nil)
	if r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{}); !r.Acked {
		t.Fatalf("explicit signal over far positions: %+v", r)
	}
}

func TestOutcomeNoAckWhenAddr1Denied(t *testing.T) {
	tn := newNet(t, 2)
	tn.m.Deny("vw0", "vw1")
	r := tn.radios[0].Transmit(dataFrame(false, false, mac(1), mac(0), mac(0)), TxOptions{MaxAttempts: 4})
	if r.Acked || r.Attempts != 4 {
		t.Fatalf("%+v, want no ack, 4 attempts", r)
	}
	st := tn.radios[0].Stats()
	if st.TxFailed != 1 || st.TxRetries != 3 || st.TxAcked != 0 {
		t.Fatalf("tx stats %+v", st)
	}
}

func TestMalformedCountedNotPanicking(t *testing.T) {
	tn := newNet(t, 2)
	for _, b := range [][]byte{nil, {1}, {0x08, 0}, make([]byte, 23), {0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if r := tn.radios[0].Transmit(b, TxOptions{}); r.Acked || r.Delivered != 0 {
			t.Fatalf("malformed %x delivered: %+v", b, r)
		}
	}
	if got := tn.radios[0].Drops(DropMalformed); got != 5 {
		t.Fatalf("malformed drops = %d, want 5", got)
	}
}

func TestValidationLeavesStateUnchanged(t *testing.T) {
	tn := newNet(t, 2)
	before := tn.m.State()
	for _, v := range []float64{-0.1, 1.5, math.NaN()} {
		v := v
		if err := tn.m.SetLink("vw0", "vw1", nil, &v); !IsBadInput(err) {
			t.Fatalf("loss %v: err = %v, want bad input", v, err)
		}
	}
	bad := 99.0
	if err := tn.m.SetLink("vw0", "vw1", &bad, nil); !IsBadInput(err) {
		t.Fatalf("signal 99: err = %v", err)
	}
	if err := tn.m.SetLink("vw0", "vw0", nil, nil); !IsBadInput(err) {
		t.Fatalf("self link: err = %v", err)
	}
	if err := tn.m.SetPosition("vw9", Position{}); !IsBadInput(err) {
		t.Fatalf("unknown radio: err = %v", err)
	}
	after := tn.m.State()
	if len(after.Links) != len(before.Links) || len(after.Positions) != len(before.Positions) {
		t.Fatalf("state changed on bad input: %+v → %+v", before, after)
	}
}

func TestStateRoundTrip(t *testing.T) {
	tn := newNet(t, 3)
	s, l := -60.0, 0.25
	tn.m.SetLink("vw0", "vw1", &s, &l)
	tn.m.Deny("vw2", "vw1")
	tn.m.SetPosition("vw2", Position{X: 3, Y: 4})
	st := tn.m.State()

	other := newNet(t, 3)
	if err := other.m.Restore(st); err != nil {
		t.Fatal(err)
	}
	if got, want := other.m.Links(), tn.m.Links(); len(got) != len(want) {
		t.Fatalf("links len %d vs %d", len(got), len(want))
	} else {
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("link %d: %+v vs %+v", i, got[i], want[i])
			}
		}
	}
	// Restore of state naming radios that do not exist yet is accepted and
	// applies once they appear.
	m := New(Options{})
	if err := m.Restore(st); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddRadio(RadioConfig{Name: "vw1", Addr: mac(1)}, &recorder{}); err != nil {
		t.Fatal(err)
	}
	r2, _ := m.AddRadio(RadioConfig{Name: "vw2", Addr: mac(2)}, &recorder{})
	if r := r2.Transmit(dataFrame(false, false, mac(1), mac(2), mac(2)), TxOptions{}); r.Acked {
		t.Fatalf("restored deny vw2→vw1 not applied to radios added later: %+v", r)
	}
}

func TestRemoveRadio(t *testing.T) {
	tn := newNet(t, 3)
	tn.m.RemoveRadio(tn.radios[2])
	if r := tn.radios[0].Transmit(dataFrame(false, false, mac(2), mac(0), mac(0)), TxOptions{}); r.Acked {
		t.Fatal("frame to removed radio acked")
	}
	if r := tn.radios[2].Transmit(dataFrame(false, false, mac(1), mac(2), mac(2)), TxOptions{}); r.Delivered != 0 {
		t.Fatal("removed radio still transmits")
	}
	// Its slot is reused by the next radio.
	r3, err := tn.m.AddRadio(RadioConfig{Name: "vw3", Addr: mac(3), FreqMHz: 2437}, &recorder{})
	if err != nil || r3.slot != 2 {
		t.Fatalf("AddRadio after remove: slot %d err %v", r3.slot, err)
	}
	if _, err := tn.m.AddRadio(RadioConfig{Name: "vw3", Addr: mac(9)}, &recorder{}); !errors.Is(err, ErrDuplicateRadio) {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := tn.m.AddRadio(RadioConfig{Name: "vw9", Addr: mac(3)}, &recorder{}); !errors.Is(err, ErrDuplicateRadio) {
		t.Fatalf("duplicate address: %v", err)
	}
}

func TestPortErrorMeansNotReceived(t *testing.T) {
	m := New(Options{})
	a, _ := m.AddRadio(RadioConfig{Name: "a", Addr: mac(1)}, &recorder{})
	b, _ := m.AddRadio(RadioConfig{Name: "b", Addr: mac(2)}, PortFunc(func([]byte, RxInfo) error { return errors.New("radio down") }))
	if r := a.Transmit(dataFrame(false, false, mac(2), mac(1), mac(1)), TxOptions{MaxAttempts: 2}); r.Acked {
		t.Fatalf("refused frame acked: %+v", r)
	}
	if b.Stats().DispatchErr == 0 {
		t.Fatal("dispatch error not counted")
	}
}

type countObs struct{ tx, rx int }

func (c *countObs) Transmitted(*Radio, []byte, uint32)       { c.tx++ }
func (c *countObs) Received(_, _ *Radio, _ []byte, _ RxInfo) { c.rx++ }

func TestObservers(t *testing.T) {
	tn := newNet(t, 3)
	o := &countObs{}
	tn.m.AddObserver(o)
	tn.radios[0].Transmit(dataFrame(false, false, frames.Broadcast, mac(0), mac(0)), TxOptions{NoAck: true})
	tn.radios[0].Transmit(mgmtFrame(frames.SubtypeAuth, mac(1), mac(0)), TxOptions{})
	if o.tx != 2 || o.rx != 3 {
		t.Fatalf("observer saw tx=%d rx=%d, want 2 and 3", o.tx, o.rx)
	}
	tn.m.RemoveObserver(o)
	tn.radios[0].Transmit(dataFrame(false, false, frames.Broadcast, mac(0), mac(0)), TxOptions{NoAck: true})
	if o.tx != 2 {
		t.Fatal("removed observer still called")
	}
}

// statusPort is a port that describes its MAC itself (as sta/ap ports do).
type statusPort struct{ recorder }

func (*statusPort) MACStatus() MACStatus { return MACStatus{Role: "sta", State: "scanning"} }

func TestRadioStatusSource(t *testing.T) {
	m := New(Options{Seed: 1})
	plain, err := m.AddRadio(RadioConfig{Name: "vw0", Kind: KindLocal, Addr: mac(1)}, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	own, err := m.AddRadio(RadioConfig{Name: "vw1", Kind: KindLocal, Addr: mac(2)}, &statusPort{})
	if err != nil {
		t.Fatal(err)
	}
	byName := func() map[string]*MACStatus {
		out := map[string]*MACStatus{}
		for _, ri := range m.Radios() {
			out[ri.Name] = ri.MAC
		}
		return out
	}
	if st := byName(); st["vw0"] != nil || st["vw1"] == nil || st["vw1"].State != "scanning" {
		t.Fatalf("before: vw0 %+v (want none), vw1 %+v (want the port's)", st["vw0"], st["vw1"])
	}
	if _, ok := plain.MACStatus(); ok {
		t.Fatal("vw0 reports a status without a source")
	}
	sig := int32(-67)
	plain.SetStatusSource(func() MACStatus { return MACStatus{Role: "sta", State: "associated", SignalDBm: &sig} })
	own.SetStatusSource(func() MACStatus { return MACStatus{Role: "ap", State: "enabled"} })
	st := byName()
	if st["vw0"] == nil || st["vw0"].State != "associated" || *st["vw0"].SignalDBm != -67 {
		t.Fatalf("vw0 with a source: %+v", st["vw0"])
	}
	if st["vw1"] == nil || st["vw1"].Role != "ap" {
		t.Fatalf("vw1: the source must take precedence over the port: %+v", st["vw1"])
	}
	plain.SetStatusSource(nil)
	if st := byName(); st["vw0"] != nil {
		t.Fatalf("vw0 after removing the source: %+v", st["vw0"])
	}
}
