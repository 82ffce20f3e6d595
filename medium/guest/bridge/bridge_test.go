// SPDX-License-Identifier: MIT

package bridge

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/guest/radioaddr"
	"github.com/vmedium/vmedium/medium/guest/session"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

const wait = 5 * time.Second

func hw(guest, idx byte) wire.HWAddr  { return wire.HWAddr{0x42, 0x76, 0x6d, guest, idx, 0} }
func vif(guest, idx byte) wire.HWAddr { return wire.HWAddr{0x02, 0x76, 0x6d, guest, idx, 0} }

func radio(guest, idx byte, ifname string) wire.Radio {
	return wire.Radio{HWAddr: hw(guest, idx), ID: uint32(idx), Ifname: ifname, Freq: 2412, Channels: 1,
		Addrs: []wire.HWAddr{vif(guest, idx)}}
}

// dataFrame is a unicast 802.11 data frame from src to dst.
func dataFrame(dst, src wire.HWAddr) []byte {
	f := make([]byte, 24+8)
	f[0] = 0x08 // data
	copy(f[4:], dst[:])
	copy(f[10:], src[:])
	copy(f[16:], src[:])
	return f
}

// chain is mac80211's usual MRR chain: 3 rates, 4+3+2 tries.
var chain = [wire.RateCount]wire.Rate{{Idx: 7, Count: 4}, {Idx: 5, Count: 3}, {Idx: 0, Count: 2}, {Idx: -1}}

type status struct {
	s     wire.TxStatus
	local bool
}

// fakeGuest is a real session.Agent standing in for a guest's agent,
// recording what the host sends.
type fakeGuest struct {
	*session.Agent
	statuses chan status
	rx       chan wire.Rx
	states   chan error
	cancel   context.CancelFunc
	done     chan error
}

func newGuest(t testing.TB, addr transport.Addr, name string, radios ...wire.Radio) *fakeGuest {
	t.Helper()
	fg := &fakeGuest{statuses: make(chan status, 64), rx: make(chan wire.Rx, 64), states: make(chan error, 64)}
	a, err := session.NewAgent(session.AgentConfig{
		Addr: addr, Name: name, Software: "bridge-test",
		Status: func(s *wire.TxStatus, local bool) { fg.statuses <- status{*s, local} },
		Rx: func(r *wire.Rx) {
			c := *r
			c.Data = append([]byte(nil), r.Data...)
			fg.rx <- c
		},
		State:      func(up bool, err error) { fg.states <- err },
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range radios {
		if err := a.AddRadio(r); err != nil {
			t.Fatal(err)
		}
	}
	fg.Agent = a
	return fg
}

func (fg *fakeGuest) start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	fg.cancel, fg.done = cancel, make(chan error, 1)
	go func() { fg.done <- fg.Run(ctx) }()
	t.Cleanup(fg.stop)
	deadline := time.After(wait)
	for {
		select {
		case err := <-fg.states:
			if err == nil {
				return
			}
		case <-deadline:
			t.Fatal("guest not connected")
		}
	}
}

func (fg *fakeGuest) stop() {
	if fg.cancel != nil {
		fg.cancel()
		<-fg.done
		fg.cancel = nil
	}
}

// send transmits a frame from radio tx and returns its status.
func (fg *fakeGuest) send(t *testing.T, tx wire.HWAddr, cookie uint64, data []byte, flags uint32) status {
	t.Helper()
	fg.SendFrame(&wire.Frame{Transmitter: tx, Flags: flags | wire.FlagReqTxStatus, Freq: 2412, Cookie: cookie, Rates: chain, Data: data})
	select {
	case s := <-fg.statuses:
		if s.s.Cookie != cookie || s.s.Transmitter != tx {
			t.Fatalf("status for %v/%d, want %v/%d", s.s.Transmitter, s.s.Cookie, tx, cookie)
		}
		return s
	case <-time.After(wait):
		t.Fatalf("no status for frame %d", cookie)
	}
	return status{}
}

func (fg *fakeGuest) noRx(t *testing.T) {
	t.Helper()
	select {
	case r := <-fg.rx:
		t.Fatalf("unexpected rx to %v", r.Receiver)
	case <-time.After(100 * time.Millisecond):
	}
}

func (fg *fakeGuest) wantRx(t *testing.T, to wire.HWAddr, data []byte) wire.Rx {
	t.Helper()
	for {
		select {
		case r := <-fg.rx:
			if r.Receiver == to && string(r.Data) == string(data) {
				return r
			}
		case <-time.After(wait):
			t.Fatalf("no rx to %v", to)
		}
	}
}

func startBridge(t testing.TB, m *medium.Medium) (*Bridge, transport.Addr) {
	t.Helper()
	b := New(m, Options{Software: "host-test", Host: session.HostConfig{Keepalive: -1}})
	addr, err := b.Serve(transport.Addr{Scheme: "unix", Target: filepath.Join(t.TempDir(), "g.sock")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, addr
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func names(m *medium.Medium) string {
	var out []string
	for _, r := range m.Radios() {
		out = append(out, r.Name+"="+string(r.Kind))
	}
	return strings.Join(out, " ")
}

func TestNamesAndStatus(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	b, addr := startBridge(t, m)
	g := newGuest(t, addr, "vmA", radio(1, 0, "wlan0"), radio(1, 1, ""))
	g.start(t)
	want := "vmA/radio1=guest vmA/wlan0=guest"
	waitFor(t, "radios "+want, func() bool { return names(m) == want })
	st, ok := b.MACStatus("vmA/wlan0")
	if !ok || !strings.Contains(st.State, "in guest vmA") {
		t.Fatalf("MACStatus: %+v %v", st, ok)
	}
	if s := b.Summary(); !strings.Contains(s, "2 radios in 1 guest (vmA)") {
		t.Fatalf("summary %q", s)
	}
	r, _ := m.Radio("vmA/wlan0")
	if r.Addr() != frames.MAC(vif(1, 0)) {
		t.Fatalf("vmA/wlan0 address %v, want its interface's %v", r.Addr(), frames.MAC(vif(1, 0)))
	}
	// A second guest under the same name is refused; the first stays.
	dup := newGuest(t, addr, "vmA", radio(2, 0, "wlan0"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dup.Run(ctx) }()
	select {
	case err := <-dup.states:
		if err == nil || !strings.Contains(err.Error(), "already connected") {
			t.Fatalf("duplicate guest: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("duplicate guest neither refused nor connected")
	}
	cancel()
	<-done
	if names(m) != want {
		t.Fatalf("radios after a refused duplicate: %s", names(m))
	}
}

// TestTxStatusTruth: the status the guest gets is the medium's decision:
// ACK and one attempt when heard, the whole chain and no ACK when denied
// or lost, one attempt and no ACK for no-ack frames; RX reaches the
// receiving guest radio only when the medium delivers.
func TestTxStatusTruth(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	_, addr := startBridge(t, m)
	g := newGuest(t, addr, "vmA", radio(1, 0, "wlan0"), radio(1, 1, "wlan1"))
	g.start(t)
	waitFor(t, "two radios", func() bool { return len(m.Radios()) == 2 })
	data := dataFrame(vif(1, 1), vif(1, 0))

	s := g.send(t, hw(1, 0), 1, data, 0)
	if s.local || s.s.Flags&wire.FlagAck == 0 || s.s.Rates[0] != (wire.Rate{Idx: 7, Count: 1}) || s.s.Rates[1].Idx != -1 {
		t.Fatalf("heard frame: %+v", s)
	}
	rx := g.wantRx(t, hw(1, 1), data)
	if rx.Freq != 2412 || rx.Rate != 7 {
		t.Fatalf("rx info %+v", rx)
	}

	if _, err := m.Deny("vmA/wlan0", "vmA/wlan1"); err != nil {
		t.Fatal(err)
	}
	s = g.send(t, hw(1, 0), 2, data, 0)
	if s.local || s.s.Flags&wire.FlagAck != 0 || s.s.Rates != chain {
		t.Fatalf("denied frame: %+v, want every attempt of the chain %v and no ACK", s, chain)
	}
	g.noRx(t)
	m.ClearDeny()

	loss := 1.0
	if err := m.SetLink("vmA/wlan0", "vmA/wlan1", nil, &loss); err != nil {
		t.Fatal(err)
	}
	s = g.send(t, hw(1, 0), 3, data, 0)
	if s.s.Flags&wire.FlagAck != 0 || s.s.Rates != chain {
		t.Fatalf("lost frame: %+v", s)
	}
	if err := m.ResetLink("vmA/wlan0", "vmA/wlan1"); err != nil {
		t.Fatal(err)
	}

	s = g.send(t, hw(1, 0), 4, data, wire.FlagNoAck)
	if s.s.Flags&wire.FlagAck != 0 || s.s.Rates[0].Count != 1 || s.s.Flags&wire.FlagNoAck == 0 {
		t.Fatalf("no-ack frame: %+v", s)
	}
	g.wantRx(t, hw(1, 1), data)

	// A radio the guest never announced: answered, not acknowledged.
	s = g.send(t, hw(1, 9), 5, data, 0)
	if s.s.Flags&wire.FlagAck != 0 {
		t.Fatalf("unknown radio acked: %+v", s)
	}
}

// TestLocalAndGuest: a local radio and a guest radio on one medium hear
// each other.
func TestLocalAndGuest(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	_, addr := startBridge(t, m)
	got := make(chan []byte, 8)
	local := frames.MAC{0x02, 0, 0, 0, 0x99, 0}
	lr, err := m.AddRadio(medium.RadioConfig{Name: "sta0", Kind: medium.KindLocal, Addr: local},
		medium.PortFunc(func(f []byte, _ medium.RxInfo) error { got <- append([]byte(nil), f...); return nil }))
	if err != nil {
		t.Fatal(err)
	}
	g := newGuest(t, addr, "vmB", radio(2, 0, "wlan0"))
	g.start(t)
	waitFor(t, "guest radio", func() bool { _, ok := m.Radio("vmB/wlan0"); return ok })
	up := dataFrame(wire.HWAddr(local), vif(2, 0))
	if s := g.send(t, hw(2, 0), 1, up, 0); s.s.Flags&wire.FlagAck == 0 {
		t.Fatalf("guest → local not acked: %+v", s)
	}
	select {
	case f := <-got:
		if string(f) != string(up) {
			t.Fatal("local radio got another frame")
		}
	case <-time.After(wait):
		t.Fatal("local radio heard nothing")
	}
	down := dataFrame(vif(2, 0), wire.HWAddr(local))
	if res := lr.Transmit(down, medium.TxOptions{MaxAttempts: 3}); !res.Acked || res.Attempts != 1 {
		t.Fatalf("local → guest: %+v", res)
	}
	g.wantRx(t, hw(2, 0), down)
}

// TestLeaveRejoin: a guest that goes away leaves with its radios (counted);
// back under the same name, its radios obey the deny rule set on their
// names before they left.
func TestLeaveRejoin(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	b, addr := startBridge(t, m)
	g := newGuest(t, addr, "vmA", radio(1, 0, "wlan0"), radio(1, 1, "wlan1"))
	g.start(t)
	waitFor(t, "two radios", func() bool { return len(m.Radios()) == 2 })
	if _, err := m.Deny("vmA/wlan0", "vmA/wlan1"); err != nil {
		t.Fatal(err)
	}
	g.stop()
	waitFor(t, "radios removed", func() bool { return len(m.Radios()) == 0 })
	if c := b.Counters(); c.Left != 1 || c.RadiosRemoved != 2 || c.Guests != 0 {
		t.Fatalf("counters after leave: %+v", c)
	}
	g2 := newGuest(t, addr, "vmA", radio(1, 0, "wlan0"), radio(1, 1, "wlan1"))
	g2.start(t)
	waitFor(t, "radios back", func() bool { return names(m) == "vmA/wlan0=guest vmA/wlan1=guest" })
	data := dataFrame(vif(1, 1), vif(1, 0))
	if s := g2.send(t, hw(1, 0), 1, data, 0); s.s.Flags&wire.FlagAck != 0 {
		t.Fatalf("denied pair acked after rejoin: %+v", s)
	}
	g2.noRx(t)
	back := dataFrame(vif(1, 0), vif(1, 1))
	if s := g2.send(t, hw(1, 1), 2, back, 0); s.s.Flags&wire.FlagAck == 0 {
		t.Fatalf("the other direction is not denied: %+v", s)
	}
	if c := b.Counters(); c.Joined != 2 || c.Frames != 2 {
		t.Fatalf("counters: %+v", c)
	}
}

// TestSavedRulesOnJoin: a host restarted with saved rules (a fresh medium,
// Restore) applies them to guest radios when they join.
func TestSavedRulesOnJoin(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	if err := m.Restore(medium.State{Deny: []denylist.Pair{{Src: "vmA/wlan0", Dst: "vmA/wlan1"}}}); err != nil {
		t.Fatal(err)
	}
	_, addr := startBridge(t, m)
	g := newGuest(t, addr, "vmA", radio(1, 0, "wlan0"), radio(1, 1, "wlan1"))
	g.start(t)
	waitFor(t, "two radios", func() bool { return len(m.Radios()) == 2 })
	if s := g.send(t, hw(1, 0), 1, dataFrame(vif(1, 1), vif(1, 0)), 0); s.s.Flags&wire.FlagAck != 0 || s.s.Rates != chain {
		t.Fatalf("saved deny not applied: %+v", s)
	}
	g.noRx(t)
}

// TestRadioAddresses: a guest radio answers to the addresses its guest
// lists, and stops when a change drops one.
func TestRadioAddresses(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	_, addr := startBridge(t, m)
	extra := wire.HWAddr{0x06, 1, 2, 3, 4, 5}
	r1 := radio(1, 1, "wlan1")
	r1.Addrs = append(r1.Addrs, extra)
	g := newGuest(t, addr, "vmA", radio(1, 0, "wlan0"), r1)
	g.start(t)
	owner := func(a wire.HWAddr) string {
		if r, ok := m.RadioByAddr(frames.MAC(a)); ok {
			return r.Name()
		}
		return ""
	}
	waitFor(t, "extra address on vmA/wlan1", func() bool { return owner(extra) == "vmA/wlan1" })
	if s := g.send(t, hw(1, 0), 1, dataFrame(extra, vif(1, 0)), 0); s.s.Flags&wire.FlagAck == 0 {
		t.Fatalf("frame to the extra address not acked: %+v", s)
	}
	g.wantRx(t, hw(1, 1), dataFrame(extra, vif(1, 0)))
	if err := g.AddRadio(radio(1, 1, "wlan1")); err != nil { // the extra address dropped
		t.Fatal(err)
	}
	waitFor(t, "extra address gone", func() bool { return owner(extra) == "" })
	if owner(vif(1, 1)) != "vmA/wlan1" {
		t.Fatal("vmA/wlan1 lost its own address")
	}
}

// TestAddressCollision: two guests whose radios have the same addresses
// (mac80211_hwsim's defaults, alike in every guest) — the second guest's
// radio is refused and counted, the first keeps working; with addresses
// derived from the guest names (vmedium agent --radios) both join.
func TestAddressCollision(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	b, addr := startBridge(t, m)
	same := radio(0, 0, "wlan0")
	a := newGuest(t, addr, "vmA", same)
	a.start(t)
	waitFor(t, "vmA/wlan0", func() bool { return names(m) == "vmA/wlan0=guest" })
	c := newGuest(t, addr, "vmB", same)
	c.start(t)
	waitFor(t, "the clash counted", func() bool { return b.Counters().RadioErrors == 1 })
	if names(m) != "vmA/wlan0=guest" {
		t.Fatalf("radios after the clash: %s", names(m))
	}
	if got := b.addrOwner(frames.MAC(vif(0, 0))); got != "vmA/wlan0" {
		t.Fatalf("owner of the clashing address: %q", got)
	}
	c.stop()

	derived := func(guest string) wire.Radio {
		a, err := radioaddr.For(guest, 0)
		if err != nil {
			t.Fatal(err)
		}
		return wire.Radio{HWAddr: wire.HWAddr(a), Ifname: "wlan0", Freq: 2412, Channels: 1, Addrs: []wire.HWAddr{wire.HWAddr(a)}}
	}
	d := newGuest(t, addr, "vmC", derived("vmC"))
	d.start(t)
	e := newGuest(t, addr, "vmD", derived("vmD"))
	e.start(t)
	want := "vmA/wlan0=guest vmC/wlan0=guest vmD/wlan0=guest"
	waitFor(t, want, func() bool { return names(m) == want })
	if b.Counters().RadioErrors != 1 {
		t.Fatalf("radio errors %d, want still 1", b.Counters().RadioErrors)
	}
}
