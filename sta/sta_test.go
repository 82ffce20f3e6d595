// SPDX-License-Identifier: MIT

package sta_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

// Short timings so the tests run fast; every wait polls with a deadline.
const (
	beaconInterval = 20 * ap.TU
	beaconLoss     = 200 * time.Millisecond
	waitLong       = 5 * time.Second
)

func fastSTA(ssid string, ch uint8, addr frames.MAC) sta.Config {
	return sta.Config{
		SSID: ssid, Channel: ch, Addr: addr,
		BeaconLossTimeout: beaconLoss, ScanDwell: 15 * time.Millisecond,
		MgmtTimeout: 30 * time.Millisecond, RetryDelay: 20 * time.Millisecond,
	}
}

func startAP(t *testing.T, m *medium.Medium, name string, cfg ap.Config) (*ap.AP, *mactest.Recorder, *medium.Radio) {
	t.Helper()
	if cfg.BeaconInterval == 0 {
		cfg.BeaconInterval = beaconInterval
	}
	up := &mactest.Recorder{}
	a, err := ap.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	r := mactest.AddRadio(t, m, name, cfg.Addr, a)
	a.Attach(r)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, up, r
}

func startSTA(t *testing.T, m *medium.Medium, name string, cfg sta.Config) (*sta.STA, *mactest.Recorder, *medium.Radio) {
	t.Helper()
	up := &mactest.Recorder{}
	s, err := sta.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	r := mactest.AddRadio(t, m, name, cfg.Addr, s)
	s.Attach(r)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, up, r
}

func waitAssoc(t *testing.T, s *sta.STA) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := s.WaitAssociated(ctx); err != nil {
		t.Fatal(err)
	}
}

func bssidOf(s *sta.STA) frames.MAC { b, _ := s.BSSID(); return b }

// events records a station's events.
type events struct {
	mu sync.Mutex
	ev []sta.Event
}

func (e *events) add(ev sta.Event) { e.mu.Lock(); e.ev = append(e.ev, ev); e.mu.Unlock() }

func (e *events) find(typ sta.EventType) (sta.Event, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.ev {
		if ev.Type == typ {
			return ev, true
		}
	}
	return sta.Event{}, false
}

func TestAssociation(t *testing.T) {
	m := medium.New(medium.Options{})
	apAddr := mactest.Addr(0)
	a, _, _ := startAP(t, m, "vw0", ap.Config{SSID: "vmedium", Channel: 6, Addr: apAddr})
	s1, _, r1 := startSTA(t, m, "vw1", fastSTA("vmedium", 6, mactest.Addr(1)))
	waitAssoc(t, s1)
	s2, _, _ := startSTA(t, m, "vw2", fastSTA("vmedium", 6, mactest.Addr(2)))
	waitAssoc(t, s2)

	if s1.State() != sta.Associated {
		t.Fatalf("state %v, want associated", s1.State())
	}
	link, ok := s1.Link()
	if !ok || link.BSSID != apAddr || link.SSID != "vmedium" || link.AID != 1 || link.Channel != 6 {
		t.Fatalf("link %+v ok=%v, want BSSID %s SSID vmedium AID 1 channel 6\nsta counters %v\nap counters %v", link, ok, apAddr, s1.Counters(), a.Counters())
	}
	if link.SignalDBm != int32(medium.DefaultSignalDBm) {
		t.Errorf("signal %d, want the medium's default %v", link.SignalDBm, medium.DefaultSignalDBm)
	}
	if r1.Freq() != 2437 {
		t.Errorf("radio frequency %d, want 2437 (channel 6)", r1.Freq())
	}
	l2, _ := s2.Link()
	if l2.AID != 2 {
		t.Errorf("second station AID %d, want 2", l2.AID)
	}
	st := a.Stations()
	if len(st) != 2 || st[0].Addr != mactest.Addr(1) || st[0].AID != 1 || st[1].Addr != mactest.Addr(2) || st[1].AID != 2 {
		t.Fatalf("AP stations %+v, want vw1 AID 1 and vw2 AID 2", st)
	}
	ms := s1.MACStatus()
	if ms.Role != "sta" || ms.State != "associated" || ms.BSSID != apAddr.String() || ms.SSID != "vmedium" || ms.SignalDBm == nil || ms.AID != 1 {
		t.Errorf("sta MACStatus %+v", ms)
	}
	as := a.MACStatus()
	if as.Role != "ap" || as.State != "beaconing" || len(as.Stations) != 2 || as.Counters["assoc_ok"] != 2 {
		t.Errorf("ap MACStatus %+v", as)
	}
	// The medium's radio listing shows the MAC status through StatusReporter.
	for _, ri := range m.Radios() {
		if ri.MAC == nil {
			t.Errorf("radio %s has no MAC status", ri.Name)
		}
	}
}

func TestReassociationAfterAPRestart(t *testing.T) {
	apAddr := mactest.Addr(0)
	apCfg := ap.Config{SSID: "vmedium", Channel: 6, Addr: apAddr}
	t.Run("graceful", func(t *testing.T) {
		m := medium.New(medium.Options{})
		a, _, r := startAP(t, m, "vw0", apCfg)
		ev := &events{}
		cfg := fastSTA("vmedium", 6, mactest.Addr(1))
		cfg.OnEvent = ev.add
		s, _, _ := startSTA(t, m, "vw1", cfg)
		waitAssoc(t, s)
		a.Close() // broadcast deauth
		m.RemoveRadio(r)
		mactest.Eventually(t, waitLong, "station to leave after the AP's deauth", func() bool { return s.State() != sta.Associated })
		if e, ok := ev.find(sta.EventDisconnected); !ok || e.Locally || e.Reason != frames.ReasonDeauthLeaving {
			t.Errorf("disconnect event %+v ok=%v, want reason %d from the AP", e, ok, frames.ReasonDeauthLeaving)
		}
		a2, _, _ := startAP(t, m, "vw0", apCfg)
		mactest.Eventually(t, waitLong, "reassociation with the restarted AP", func() bool {
			return s.State() == sta.Associated && len(a2.Stations()) == 1
		})
		if bssidOf(s) != apAddr {
			t.Errorf("BSSID %s, want %s", bssidOf(s), apAddr)
		}
	})
	t.Run("crash and immediate restart", func(t *testing.T) {
		// The old AP vanishes without a word and a new one with the same
		// BSSID comes up before beacon loss: the new AP's start-up flush
		// (broadcast deauth, as hostapd does) makes the station rejoin.
		m := medium.New(medium.Options{})
		a, _, r := startAP(t, m, "vw0", apCfg)
		s, _, _ := startSTA(t, m, "vw1", fastSTA("vmedium", 6, mactest.Addr(1)))
		waitAssoc(t, s)
		m.RemoveRadio(r)
		a.Close()
		a2, _, _ := startAP(t, m, "vw0", apCfg)
		mactest.Eventually(t, waitLong, "reassociation with the restarted AP", func() bool {
			return s.Counters()["connects"] == 2 && len(a2.Stations()) == 1
		})
		if c := s.Counters(); c["deauth_received"] != 1 || c["beacon_loss"] != 0 {
			t.Errorf("counters %v, want one deauth and no beacon loss", c)
		}
	})
	t.Run("crash", func(t *testing.T) {
		m := medium.New(medium.Options{})
		a, _, r := startAP(t, m, "vw0", apCfg)
		s, _, _ := startSTA(t, m, "vw1", fastSTA("vmedium", 6, mactest.Addr(1)))
		waitAssoc(t, s)
		m.RemoveRadio(r) // off the air first: its deauth is never heard
		a.Close()
		start := time.Now()
		mactest.Eventually(t, waitLong, "beacon loss after the AP vanished", func() bool { return s.State() != sta.Associated })
		if d := time.Since(start); d < beaconLoss/2 {
			t.Errorf("lost the AP after %v, before the beacon loss timeout %v", d, beaconLoss)
		}
		if s.Counters()["beacon_loss"] != 1 {
			t.Errorf("beacon_loss counter %d, want 1", s.Counters()["beacon_loss"])
		}
		a2, _, _ := startAP(t, m, "vw0", apCfg)
		mactest.Eventually(t, waitLong, "reassociation with the restarted AP", func() bool {
			return s.State() == sta.Associated && len(a2.Stations()) == 1
		})
	})
}

func TestDeauthHandling(t *testing.T) {
	m := medium.New(medium.Options{})
	a, _, _ := startAP(t, m, "vw0", ap.Config{SSID: "vmedium", Channel: 6, Addr: mactest.Addr(0)})
	ev := &events{}
	cfg := fastSTA("vmedium", 6, mactest.Addr(1))
	cfg.OnEvent = ev.add
	s, _, _ := startSTA(t, m, "vw1", cfg)
	waitAssoc(t, s)
	if !a.Deauth(mactest.Addr(1), frames.ReasonUnspecified) {
		t.Fatal("AP did not know the associated station")
	}
	mactest.Eventually(t, waitLong, "deauth to reach the station", func() bool { return s.Counters()["deauth_received"] == 1 })
	mactest.Eventually(t, waitLong, "reconnection after deauth", func() bool {
		return s.State() == sta.Associated && s.Counters()["connects"] == 2 && len(a.Stations()) == 1
	})
	e, ok := ev.find(sta.EventDisconnected)
	if !ok || e.Locally || e.Reason != frames.ReasonUnspecified || e.BSSID != mactest.Addr(0) {
		t.Errorf("disconnect event %+v ok=%v, want reason 1 from the AP", e, ok)
	}
}

func TestBeaconLoss(t *testing.T) {
	m := medium.New(medium.Options{})
	a, _, _ := startAP(t, m, "vw0", ap.Config{SSID: "vmedium", Channel: 6, Addr: mactest.Addr(0)})
	s, _, _ := startSTA(t, m, "vw1", fastSTA("vmedium", 6, mactest.Addr(1)))
	waitAssoc(t, s)
	if _, err := m.Deny("vw0", "vw1"); err != nil {
		t.Fatal(err)
	}
	denied := time.Now()
	mactest.Eventually(t, waitLong, "beacon loss", func() bool { return s.State() != sta.Associated })
	// Loss is declared after the timeout plus one directed probe (a
	// quarter timeout); the upper bound leaves room for a loaded machine.
	if d := time.Since(denied); d < beaconLoss || d > 4*beaconLoss+500*time.Millisecond {
		t.Errorf("noticed after %v, timeout is %v", d, beaconLoss)
	}
	// The station told the AP it left (vw1→vw0 is not denied).
	mactest.Eventually(t, waitLong, "AP to drop the station", func() bool { return len(a.Stations()) == 0 })
	// While denied it cannot reconnect.
	time.Sleep(3 * beaconLoss)
	if s.State() == sta.Associated {
		t.Fatal("associated while the AP is denied")
	}
	if _, err := m.Allow("vw0", "vw1"); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "reassociation after allow", func() bool { return s.State() == sta.Associated && len(a.Stations()) == 1 })
}

func TestSSIDSelection(t *testing.T) {
	m := medium.New(medium.Options{})
	startAP(t, m, "apA", ap.Config{SSID: "net", Channel: 6, Addr: mactest.Addr(10)})
	startAP(t, m, "apB", ap.Config{SSID: "net", Channel: 6, Addr: mactest.Addr(11)})
	startAP(t, m, "apC", ap.Config{SSID: "other", Channel: 6, Addr: mactest.Addr(12)})
	sig := func(v float64) *float64 { return &v }
	// The STA radio does not exist yet: configure the links by name first.
	up := &mactest.Recorder{}
	s, err := sta.New(fastSTA("", 6, mactest.Addr(1)), up)
	if err != nil {
		t.Fatal(err)
	}
	r := mactest.AddRadio(t, m, "vw1", mactest.Addr(1), s)
	s.Attach(r)
	for src, v := range map[string]float64{"apA": -70, "apB": -40, "apC": -20} {
		if err := m.SetLink(src, "vw1", sig(v), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	list, err := s.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].BSSID != mactest.Addr(12) || list[1].BSSID != mactest.Addr(11) || list[2].BSSID != mactest.Addr(10) {
		t.Fatalf("scan %+v, want apC, apB, apA strongest first", list)
	}
	if list[1].SSID != "net" || list[1].SignalDBm != -40 || list[1].Channel != 6 || list[1].FreqMHz != 2437 {
		t.Errorf("scan entry %+v", list[1])
	}

	if err := s.Connect("net"); err != nil {
		t.Fatal(err)
	}
	waitAssoc(t, s)
	if b := bssidOf(s); b != mactest.Addr(11) {
		t.Fatalf("joined %s, want the stronger apB %s", b, mactest.Addr(11))
	}
	// Swap the signals and reconnect: now apA wins.
	m.SetLink("apA", "vw1", sig(-30), nil)
	s.Disconnect()
	mactest.Eventually(t, waitLong, "disconnect", func() bool { return s.State() == sta.Idle })
	s.Connect("net")
	waitAssoc(t, s)
	if b := bssidOf(s); b != mactest.Addr(10) {
		t.Fatalf("joined %s, want the now stronger apA %s", b, mactest.Addr(10))
	}
}

func TestScanAllChannels(t *testing.T) {
	m := medium.New(medium.Options{})
	startAP(t, m, "vw0", ap.Config{SSID: "far", Channel: 11, Addr: mactest.Addr(0)})
	s, _, r := startSTA(t, m, "vw1", fastSTA("far", 0, mactest.Addr(1)))
	waitAssoc(t, s)
	if r.Freq() != 2462 {
		t.Errorf("radio on %d MHz, want 2462 (channel 11)", r.Freq())
	}
	if l, _ := s.Link(); l.Channel != 11 {
		t.Errorf("link channel %d, want 11", l.Channel)
	}
}

func TestConnectDisconnectEvents(t *testing.T) {
	m := medium.New(medium.Options{})
	a, _, _ := startAP(t, m, "vw0", ap.Config{SSID: "vmedium", Channel: 1, Addr: mactest.Addr(0)})
	ev := &events{}
	cfg := fastSTA("", 1, mactest.Addr(1))
	cfg.OnEvent = ev.add
	s, _, _ := startSTA(t, m, "vw1", cfg)
	time.Sleep(50 * time.Millisecond)
	if s.State() != sta.Idle {
		t.Fatalf("state %v without an SSID, want idle", s.State())
	}
	if err := s.Connect("nosuchnet"); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "connect failure event", func() bool { _, ok := ev.find(sta.EventConnectFailed); return ok })
	if err := s.Connect("vmedium"); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "connected event", func() bool { _, ok := ev.find(sta.EventConnected); return ok })
	e, _ := ev.find(sta.EventConnected)
	if e.BSSID != mactest.Addr(0) || e.AID != 1 || e.SSID != "vmedium" || e.SignalDBm != -50 {
		t.Errorf("connected event %+v", e)
	}
	s.Disconnect()
	mactest.Eventually(t, waitLong, "disconnected event", func() bool { _, ok := ev.find(sta.EventDisconnected); return ok })
	if e, _ := ev.find(sta.EventDisconnected); !e.Locally || e.Reason != frames.ReasonDeauthLeaving {
		t.Errorf("disconnect event %+v, want local, reason 3", e)
	}
	mactest.Eventually(t, waitLong, "AP to drop the station after its deauth", func() bool { return len(a.Stations()) == 0 })
	if err := s.Connect(""); err == nil || !medium.IsBadInput(err) {
		t.Errorf("Connect(\"\") = %v, want a bad-input error", err)
	}
}

func TestSendErrors(t *testing.T) {
	m := medium.New(medium.Options{})
	s, _, _ := startSTA(t, m, "vw1", fastSTA("", 6, mactest.Addr(1)))
	eth := mactest.Eth(mactest.Addr(2), mactest.Addr(1), []byte("x"))
	if err := s.SendEthernet(eth); !errors.Is(err, sta.ErrNotAssociated) {
		t.Errorf("send while idle: %v, want ErrNotAssociated", err)
	}
	startAP(t, m, "vw0", ap.Config{SSID: "n", Channel: 6, Addr: mactest.Addr(0)})
	s.Connect("n")
	waitAssoc(t, s)
	if err := s.SendEthernet(mactest.Eth(mactest.Addr(2), mactest.Addr(9), []byte("x"))); !errors.Is(err, sta.ErrForeignSource) {
		t.Errorf("send with a foreign source: %v, want ErrForeignSource", err)
	}
	if err := s.SendEthernet(eth[:10]); err == nil {
		t.Error("send of a 10-byte frame succeeded")
	}
	// Malformed frames from the air are counted, never a panic.
	for _, b := range [][]byte{nil, {0x08}, {0x88, 0x02, 0, 0}, make([]byte, 5000)} {
		if err := s.Deliver(b, medium.RxInfo{}); err != nil {
			t.Errorf("Deliver(%d bytes) = %v", len(b), err)
		}
	}
	if s.Counters()["malformed"] < 3 {
		t.Errorf("malformed counter %d, want ≥3", s.Counters()["malformed"])
	}
}

func TestConfigValidation(t *testing.T) {
	up := &mactest.Recorder{}
	for _, c := range []sta.Config{
		{Addr: frames.MAC{}},
		{Addr: frames.Broadcast},
		{Addr: mactest.Addr(1), Channel: 200},
		{Addr: mactest.Addr(1), SSID: "012345678901234567890123456789012"},
		{Addr: mactest.Addr(1), BeaconLossTimeout: -time.Second},
	} {
		if _, err := sta.New(c, up); err == nil || !medium.IsBadInput(err) {
			t.Errorf("New(%+v) = %v, want a bad-input error", c, err)
		}
	}
	s, err := sta.New(sta.Config{Addr: mactest.Addr(1)}, up)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); !errors.Is(err, sta.ErrNotAttached) {
		t.Errorf("Start without radio: %v", err)
	}
}

// TestForgottenStation: the AP drops the station without the station
// hearing it; the station's next data frame is a class-3 frame, the AP
// answers with a deauthentication (reason 7) and the station rejoins.
func TestForgottenStation(t *testing.T) {
	m := medium.New(medium.Options{})
	a, apUp, _ := startAP(t, m, "vw0", ap.Config{SSID: "vmedium", Channel: 6, Addr: mactest.Addr(0)})
	ev := &events{}
	cfg := fastSTA("vmedium", 6, mactest.Addr(1))
	cfg.BeaconLossTimeout = 3 * time.Second // only the class-3 path may end this association
	cfg.OnEvent = ev.add
	s, _, _ := startSTA(t, m, "vw1", cfg)
	waitAssoc(t, s)
	m.Deny("vw0", "vw1")
	a.Deauth(mactest.Addr(1), frames.ReasonUnspecified)
	m.Allow("vw0", "vw1")
	if s.State() != sta.Associated {
		t.Fatal("the station heard the deauth through the deny rule")
	}
	lost := []byte("lost")
	if err := s.SendEthernet(mactest.Eth(mactest.Addr(0), mactest.Addr(1), lost)); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "class-3 deauth and rejoin", func() bool {
		return s.Counters()["connects"] == 2 && s.State() == sta.Associated
	})
	if e, _ := ev.find(sta.EventDisconnected); e.Reason != frames.ReasonClass3FromNonAssoc {
		t.Errorf("disconnect event %+v, want reason 7", e)
	}
	if apUp.Count(lost) != 0 {
		t.Error("the AP passed up a frame from a station it does not know")
	}
	ok := []byte("ok")
	if err := s.SendEthernet(mactest.Eth(mactest.Addr(0), mactest.Addr(1), ok)); err != nil {
		t.Fatal(err)
	}
	if apUp.Count(ok) != 1 {
		t.Error("data after rejoining did not reach the AP")
	}
}

// TestLossyLink: management frames are retried (by the medium on no ACK,
// by the station on response timeout), so association succeeds over a
// link that loses most frames.
func TestLossyLink(t *testing.T) {
	m := medium.New(medium.Options{Seed: 7})
	a, _, _ := startAP(t, m, "vw0", ap.Config{SSID: "vmedium", Channel: 6, Addr: mactest.Addr(0)})
	up := &mactest.Recorder{}
	cfg := fastSTA("vmedium", 6, mactest.Addr(1))
	cfg.BeaconLossTimeout = 3 * time.Second
	s, err := sta.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	r := mactest.AddRadio(t, m, "vw1", mactest.Addr(1), s)
	s.Attach(r)
	loss := 0.8
	m.SetLink("vw0", "vw1", nil, &loss)
	m.SetLink("vw1", "vw0", nil, &loss)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	waitAssoc(t, s)
	if len(a.Stations()) != 1 {
		t.Fatalf("AP stations %+v", a.Stations())
	}
	if st := r.Stats(); st.TxRetries == 0 {
		t.Errorf("no retries on an 80%% loss link: %+v", st)
	}
}
