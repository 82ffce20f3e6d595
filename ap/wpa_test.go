// SPDX-License-Identifier: MIT

package ap_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

const labPass = "vmedium-lab-pass"

// air records every frame transmitted on the medium (an observer hears
// unicast frames too, which a sniffing radio would not).
type air struct {
	mu     sync.Mutex
	frames [][]byte
}

func (o *air) Transmitted(_ *medium.Radio, frame []byte, _ uint32) {
	cp := append([]byte(nil), frame...)
	o.mu.Lock()
	o.frames = append(o.frames, cp)
	o.mu.Unlock()
}

func (o *air) Received(_, _ *medium.Radio, _ []byte, _ medium.RxInfo) {}

func (o *air) data(keep func(f frames.Frame) bool) []frames.Frame {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []frames.Frame
	for _, b := range o.frames {
		if f, err := frames.Parse(b); err == nil && f.IsData() && keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// logBuffer is a concurrency-safe log sink for checking log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// waitAuthorized waits for the AP's side of n 4-way handshakes: a station
// is done when it sends message 4, the AP when it has processed it.
func waitAuthorized(t testing.TB, a *ap.AP, n uint64) {
	t.Helper()
	mactest.Eventually(t, waitLong, "AP-side handshakes", func() bool { return a.Counters()["handshakes_completed"] >= n })
}

func wpaAP(cfg ap.Config) ap.Config {
	cfg.Passphrase = labPass
	if cfg.EAPOLTimeout == 0 {
		cfg.EAPOLTimeout = 100 * time.Millisecond
	}
	return cfg
}

func wpaSTA(addr frames.MAC, pass string) sta.Config {
	c := staConfig(addr)
	c.Passphrase = pass
	return c
}

func TestWPA2HandshakeAndProtectedData(t *testing.T) {
	m := medium.New(medium.Options{})
	o := &air{}
	m.AddObserver(o)
	apUp, up1, up2 := &mactest.Recorder{}, &mactest.Recorder{}, &mactest.Recorder{}
	a, _ := startAP(t, m, wpaAP(ap.Config{}), apUp)
	s1 := startSTA(t, m, "vw1", wpaSTA(sta1, labPass), up1)
	startSTA(t, m, "vw2", wpaSTA(sta2, labPass), up2)

	if c := a.MACStatus().Cipher; c != "CCMP" {
		t.Errorf("AP cipher %q, want CCMP", c)
	}
	if st := s1.MACStatus(); st.Cipher != "CCMP" || st.State != "associated" {
		t.Errorf("station status %+v, want associated with CCMP", st)
	}
	waitAuthorized(t, a, 2)
	if len(o.data(func(f frames.Frame) bool { _, ok := rsn.EAPOLPayload(f); return ok })) < 8 {
		t.Error("fewer than 8 EAPOL frames (two 4-way handshakes) on the air")
	}

	secret := []byte("this payload must never appear in the clear on the air")
	for _, c := range []struct {
		send func([]byte) error
		eth  []byte
		up   *mactest.Recorder
	}{
		{s1.SendEthernet, mactest.Eth(sta2, sta1, append([]byte("relay "), secret...)), up2},
		{s1.SendEthernet, mactest.Eth(apAddr, sta1, append([]byte("to ap "), secret...)), apUp},
		{a.SendEthernet, mactest.Eth(sta1, apAddr, append([]byte("to sta "), secret...)), up1},
		{s1.SendEthernet, mactest.Eth(frames.Broadcast, sta1, append([]byte("group "), secret...)), up2},
	} {
		if err := c.send(c.eth); err != nil {
			t.Fatal(err)
		}
		mactest.Eventually(t, waitLong, "delivery of "+string(c.eth[14:20]), func() bool { return c.up.Count(c.eth[14:]) == 1 })
	}
	var protected int
	for _, f := range o.data(func(f frames.Frame) bool { return f.Subtype()&0x4 == 0 }) {
		if bytes.Contains(f.Bytes(), secret) {
			t.Fatalf("plaintext on the air: %x", f.Bytes())
		}
		if _, eapol := rsn.EAPOLPayload(f); !eapol && !f.Protected() {
			t.Errorf("unprotected data frame on the air: %x", f.Bytes())
		}
		if f.Protected() {
			protected++
		}
	}
	// 4 sends; the relay and the group frame cross the air twice.
	if protected < 6 {
		t.Errorf("%d protected data frames on the air, want at least 6", protected)
	}
}

func TestWPA2WrongPassphrase(t *testing.T) {
	m := medium.New(medium.Options{})
	apLog, staLog := &logBuffer{}, &logBuffer{}
	apUp, up := &mactest.Recorder{}, &mactest.Recorder{}
	a, _ := startAP(t, m, wpaAP(ap.Config{EAPOLTimeout: 50 * time.Millisecond, EAPOLAttempts: 3, Log: apLog.logger()}), apUp)
	cfg := wpaSTA(sta1, "not-the-lab-passphrase")
	cfg.HandshakeTimeout = time.Second
	cfg.Log = staLog.logger()
	s, err := sta.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	s.Attach(mactest.AddRadio(t, m, "vw1", sta1, s))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	mactest.Eventually(t, waitLong, "the AP's MIC failure and handshake timeout", func() bool {
		c := a.Counters()
		return c["mic_failures"] > 0 && c["handshake_timeouts"] > 0
	})
	mactest.Eventually(t, waitLong, "the station's handshake failure", func() bool { return s.Counters()["handshake_failures"] > 0 })
	// The counters move just before the lines are logged: wait for them.
	mactest.Eventually(t, waitLong, "the station's wrong-passphrase line", func() bool {
		return strings.Contains(staLog.String(), "4-way handshake failed: wrong passphrase?")
	})
	mactest.Eventually(t, waitLong, "the AP's MIC failure line", func() bool {
		return strings.Contains(apLog.String(), "MIC failure on message 2 (wrong passphrase?)")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if s.WaitAssociated(ctx) == nil {
		t.Fatal("station with a wrong passphrase became connected")
	}
	for i := 0; i < 20; i++ {
		err := s.SendEthernet(mactest.Eth(apAddr, sta1, []byte("let me in")))
		if err != nil && !errors.Is(err, sta.ErrNotAuthorized) && !errors.Is(err, sta.ErrNotAssociated) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if a.SendEthernet(mactest.Eth(sta1, apAddr, []byte("secret"))) == nil {
		// Unknown or unauthorized: either way, nothing may reach it.
		t.Error("AP accepted a frame for an unauthorized station")
	}
	if n := len(apUp.Frames()); n != 0 {
		t.Errorf("%d frames from the station went up the AP's stack", n)
	}
	if n := len(up.Frames()); n != 0 {
		t.Errorf("%d frames reached the station's stack", n)
	}
	if st := s.MACStatus(); st.Cipher == "CCMP" || st.State == "associated" {
		t.Errorf("station status %+v", st)
	}
}

func TestWPA2ReplayDropped(t *testing.T) {
	m := medium.New(medium.Options{})
	o := &air{}
	m.AddObserver(o)
	apUp := &mactest.Recorder{}
	a, _ := startAP(t, m, wpaAP(ap.Config{}), apUp)
	s1 := startSTA(t, m, "vw1", wpaSTA(sta1, labPass), &mactest.Recorder{})
	// The attacker's radio: it retransmits what it recorded.
	evil := mactest.AddRadio(t, m, "evil", mactest.Addr(9), &mactest.Sniffer{})
	evil.SetFreq(frames.ChannelToFreq(6))
	waitAuthorized(t, a, 1)

	payload := []byte("pay me once")
	if err := s1.SendEthernet(mactest.Eth(apAddr, sta1, payload)); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "the genuine frame", func() bool { return apUp.Count(payload) == 1 })
	var rec []byte
	for _, f := range o.data(func(f frames.Frame) bool { return f.Protected() && f.Addr2() == sta1 }) {
		rec = f.Bytes()
	}
	if rec == nil {
		t.Fatal("no protected frame from the station recorded")
	}
	before := a.Counters()["ccmp_replays"]
	evil.Transmit(rec, medium.TxOptions{NoAck: true})
	mactest.Eventually(t, waitLong, "the replay counted", func() bool { return a.Counters()["ccmp_replays"] == before+1 })
	if n := apUp.Count(payload); n != 1 {
		t.Fatalf("payload went up %d times, want once", n)
	}
	// A forged frame (bit flipped) fails the MIC.
	forged := append([]byte(nil), rec...)
	forged[len(forged)-20] ^= 1
	forged[24] ^= 0x10 // a higher PN, so it is not a replay
	evil.Transmit(forged, medium.TxOptions{NoAck: true})
	mactest.Eventually(t, waitLong, "the forgery counted", func() bool { return a.Counters()["ccmp_mic_errors"] == 1 })
}

func TestWPA2GroupRekey(t *testing.T) {
	m := medium.New(medium.Options{})
	o := &air{}
	m.AddObserver(o)
	a, _ := startAP(t, m, wpaAP(ap.Config{GroupRekey: 150 * time.Millisecond}), &mactest.Recorder{})
	s1 := startSTA(t, m, "vw1", wpaSTA(sta1, labPass), &mactest.Recorder{})
	up2 := &mactest.Recorder{}
	s2 := startSTA(t, m, "vw2", wpaSTA(sta2, labPass), up2)
	waitAuthorized(t, a, 2)
	// Rekeys started before both stations were authorized handed the
	// new key out in message 3: count from here.
	base := a.Counters()["group_rekeys"]
	mactest.Eventually(t, waitLong, "two group rekeys", func() bool { return a.Counters()["group_rekeys"] >= base+2 })
	if s2.Counters()["group_rekeys"] < 2 || s1.Counters()["group_rekeys"] < 2 {
		t.Fatalf("stations installed %d and %d group keys", s1.Counters()["group_rekeys"], s2.Counters()["group_rekeys"])
	}
	ids := map[uint8]bool{}
	for i := 0; i < 3; i++ {
		msg := []byte{'g', byte('0' + i)}
		if err := s1.SendEthernet(mactest.Eth(frames.Broadcast, sta1, msg)); err != nil {
			t.Fatal(err)
		}
		mactest.Eventually(t, waitLong, "group frame after rekeys", func() bool { return up2.Count(msg) == 1 })
		time.Sleep(200 * time.Millisecond)
	}
	for _, f := range o.data(func(f frames.Frame) bool { return f.Protected() && f.Addr1().IsGroup() }) {
		_, id, _ := rsn.FramePN(f.Bytes())
		ids[id] = true
	}
	if !ids[1] || !ids[2] {
		t.Errorf("group frames used key IDs %v, want both 1 and 2 across rekeys", ids)
	}
	if c := a.Counters(); c["handshake_timeouts"] != 0 || c["group_key_timeouts"] != 0 {
		t.Error("a handshake timed out")
	}
}

func TestWPA2OpenStationIgnoresProtectedNetwork(t *testing.T) {
	m := medium.New(medium.Options{})
	startAP(t, m, wpaAP(ap.Config{}), &mactest.Recorder{})
	s, err := sta.New(staConfig(sta1), &mactest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	s.Attach(mactest.AddRadio(t, m, "vw1", sta1, s))
	s.Start(context.Background())
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if s.WaitAssociated(ctx) == nil {
		t.Fatal("an open station joined a WPA2 network")
	}
}

// BenchmarkRelayUnicastCCMP is BenchmarkRelayUnicast on a WPA2 network:
// STA1 encrypts, the AP decrypts and re-encrypts for STA2, STA2 decrypts.
func BenchmarkRelayUnicastCCMP(b *testing.B) {
	m := medium.New(medium.Options{})
	var got int
	a, _ := startAP(b, m, wpaAP(ap.Config{}), ap.UplinkFunc(func([]byte) error { return nil }))
	s1 := startSTA(b, m, "vw1", wpaSTA(sta1, labPass), sta.UplinkFunc(func([]byte) error { return nil }))
	startSTA(b, m, "vw2", wpaSTA(sta2, labPass), sta.UplinkFunc(func(eth []byte) error { got++; return nil }))
	waitAuthorized(b, a, 2)
	eth := mactest.Eth(sta2, sta1, make([]byte, 1486))
	sendFrames(b, s1.SendEthernet, eth, &got, "STA2")
}

func TestDataPathCCMPAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	m := medium.New(medium.Options{})
	nop := func([]byte) error { return nil }
	a, _ := startAP(t, m, wpaAP(ap.Config{}), ap.UplinkFunc(nop))
	s1 := startSTA(t, m, "vw1", wpaSTA(sta1, labPass), sta.UplinkFunc(nop))
	startSTA(t, m, "vw2", wpaSTA(sta2, labPass), sta.UplinkFunc(nop))
	waitAuthorized(t, a, 2)
	checkDataPathAllocs(t, a, s1, " with CCMP")
}
