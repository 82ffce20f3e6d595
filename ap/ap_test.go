// SPDX-License-Identifier: MIT

package ap_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

const waitLong = 5 * time.Second

var (
	apAddr = mactest.Addr(0)
	sta1   = mactest.Addr(1)
	sta2   = mactest.Addr(2)
)

func startAP(t testing.TB, m *medium.Medium, cfg ap.Config, up ap.Uplink) (*ap.AP, *medium.Radio) {
	t.Helper()
	if cfg.SSID == "" {
		cfg.SSID = "vmedium"
	}
	if cfg.Channel == 0 {
		cfg.Channel = 6
	}
	if cfg.Addr.IsZero() {
		cfg.Addr = apAddr
	}
	if cfg.BeaconInterval == 0 {
		cfg.BeaconInterval = 20 * ap.TU
	}
	a, err := ap.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	r := mactest.AddRadio(t, m, "vw0", cfg.Addr, a)
	a.Attach(r)
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, r
}

func staConfig(addr frames.MAC) sta.Config {
	return sta.Config{SSID: "vmedium", Channel: 6, Addr: addr, BeaconLossTimeout: 300 * time.Millisecond,
		ScanDwell: 15 * time.Millisecond, MgmtTimeout: 30 * time.Millisecond, RetryDelay: 20 * time.Millisecond}
}

func startSTA(t testing.TB, m *medium.Medium, name string, cfg sta.Config, up sta.Uplink) *sta.STA {
	t.Helper()
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
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := s.WaitAssociated(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRelayRules(t *testing.T) {
	m := medium.New(medium.Options{})
	apUp, up1, up2 := &mactest.Recorder{}, &mactest.Recorder{}, &mactest.Recorder{}
	a, _ := startAP(t, m, ap.Config{}, apUp)
	s1 := startSTA(t, m, "vw1", staConfig(sta1), up1)
	startSTA(t, m, "vw2", staConfig(sta2), up2)

	send := func(s interface{ SendEthernet([]byte) error }, eth []byte) {
		t.Helper()
		if err := s.SendEthernet(eth); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	check := func(what string, payload []byte, want map[string]int) {
		t.Helper()
		for name, rec := range map[string]*mactest.Recorder{"ap": apUp, "sta1": up1, "sta2": up2} {
			if got := rec.Count(payload); got != want[name] {
				t.Errorf("%s: %s uplink got %d copies, want %d", what, name, got, want[name])
			}
		}
	}

	// Unicast STA1→STA2: relayed on the medium, not up the AP's stack.
	p := []byte("sta1 to sta2")
	send(s1, mactest.Eth(sta2, sta1, p))
	check("unicast sta→sta", p, map[string]int{"sta2": 1})
	if f, _ := up2.Find(p); !bytes.Equal(f[0:6], sta2[:]) || !bytes.Equal(f[6:12], sta1[:]) {
		t.Errorf("relayed frame addresses dst %x src %x, want %s %s", f[0:6], f[6:12], sta2, sta1)
	}

	// Unicast STA1→AP: up the AP's stack only.
	p = []byte("sta1 to ap")
	send(s1, mactest.Eth(apAddr, sta1, p))
	check("unicast sta→ap", p, map[string]int{"ap": 1})

	// Broadcast and multicast from STA1: STA2 and the AP's stack, not STA1.
	p = []byte("sta1 broadcast")
	send(s1, mactest.Eth(frames.Broadcast, sta1, p))
	check("broadcast", p, map[string]int{"ap": 1, "sta2": 1})
	p = []byte("sta1 multicast")
	send(s1, mactest.Eth(frames.MAC{0x33, 0x33, 0, 0, 0, 1}, sta1, p))
	check("multicast", p, map[string]int{"ap": 1, "sta2": 1})
	if n := s1.Counters()["rx_own_echo"]; n != 2 {
		t.Errorf("sta1 dropped %d echoes of its own group frames, want 2", n)
	}

	// From the AP's stack: unicast to STA2 only, broadcast to both.
	p = []byte("ap to sta2")
	send(a, mactest.Eth(sta2, apAddr, p))
	check("ap unicast", p, map[string]int{"sta2": 1})
	p = []byte("ap broadcast")
	send(a, mactest.Eth(frames.Broadcast, apAddr, p))
	check("ap broadcast", p, map[string]int{"sta1": 1, "sta2": 1})

	// Unicast to an address that is not associated.
	if err := a.SendEthernet(mactest.Eth(mactest.Addr(9), apAddr, []byte("x"))); !errors.Is(err, ap.ErrUnknownStation) {
		t.Errorf("send to unknown station: %v, want ErrUnknownStation", err)
	}

	c := a.Counters()
	if c["relayed_unicast"] != 1 || c["relayed_group"] != 2 || c["uplink_frames"] != 3 || c["from_stack_unicast"] != 1 || c["from_stack_group"] != 1 {
		t.Errorf("AP counters %v", c)
	}
	st, ok := a.Station(sta2)
	if !ok || st.TxPackets != 2 || st.RxPackets != 0 {
		t.Errorf("station sta2 %+v, want 2 frames sent to it", st)
	}
	st, _ = a.Station(sta1)
	if st.RxPackets != 4 || st.SignalDBm != -50 {
		t.Errorf("station sta1 %+v, want 4 frames received at -50 dBm", st)
	}
	if l, _ := s1.Link(); l.TxPackets != 4 || l.TxFailed != 0 {
		t.Errorf("sta1 link %+v, want 4 acked frames", l)
	}

	// A denied STA1→STA2 pair blocks the relayed frame (deny follows SA)
	// while STA1→AP still works.
	if _, err := m.Deny("vw1", "vw2"); err != nil {
		t.Fatal(err)
	}
	p = []byte("denied")
	send(s1, mactest.Eth(sta2, sta1, p))
	check("denied sta→sta", p, map[string]int{})
	p = []byte("still to ap")
	send(s1, mactest.Eth(apAddr, sta1, p))
	check("sta→ap while sta1→sta2 denied", p, map[string]int{"ap": 1})
}

func TestBeaconsAndProbes(t *testing.T) {
	m := medium.New(medium.Options{})
	sn := &mactest.Sniffer{}
	raw := mactest.AddRadio(t, m, "sniff", mactest.Addr(7), sn)
	a, _ := startAP(t, m, ap.Config{SSID: "lab", Channel: 3}, &mactest.Recorder{})
	isBeacon := func(f frames.Frame) bool { return f.IsMgmt() && f.Subtype() == frames.SubtypeBeacon }
	mactest.Eventually(t, waitLong, "three beacons", func() bool { return len(sn.Match(isBeacon)) >= 3 })
	b := sn.Match(isBeacon)[0]
	ts, interval, capab, ies, err := b.BeaconFields()
	if err != nil {
		t.Fatal(err)
	}
	_ = ts
	if interval != 20 || capab&frames.CapESS == 0 || b.Addr3() != apAddr || b.Addr1() != frames.Broadcast {
		t.Errorf("beacon interval %d capability %#x BSSID %s", interval, capab, b.Addr3())
	}
	var order []uint8
	frames.IterIEs(ies, func(id uint8, data []byte) bool { order = append(order, id); return true })
	if want := []uint8{frames.IESSID, frames.IESupportedRates, frames.IEDSParams, frames.IETIM, frames.IEExtRates}; !bytes.Equal(order, want) {
		t.Errorf("beacon elements %v, want %v", order, want)
	}
	if ssid, _ := frames.FindIE(ies, frames.IESSID); string(ssid) != "lab" {
		t.Errorf("SSID %q", ssid)
	}
	if ds, _ := frames.FindIE(ies, frames.IEDSParams); len(ds) != 1 || ds[0] != 3 {
		t.Errorf("DS parameter set %v, want channel 3", ds)
	}
	if tim, _ := frames.FindIE(ies, frames.IETIM); len(tim) != 4 || tim[1] != ap.DefaultDTIMPeriod {
		t.Errorf("TIM %v", tim)
	}
	// Beacons go out every interval: never faster (TSF steps of at least
	// one interval), and keep coming. The lower bound on the count is
	// loose: a loaded machine delays timers, never speeds them up.
	sn.Reset()
	start := time.Now()
	mactest.Eventually(t, waitLong, "five more beacons", func() bool { return len(sn.Match(isBeacon)) >= 5 })
	bs := sn.Match(isBeacon)
	if max := int(time.Since(start)/(20*ap.TU)) + 2; len(bs) > max {
		t.Errorf("%d beacons in %v: more than one per 20 TU", len(bs), time.Since(start))
	}
	for i := 1; i < len(bs); i++ {
		t0, _, _, _, _ := bs[i-1].BeaconFields()
		t1, _, _, _, _ := bs[i].BeaconFields()
		if d := time.Duration(t1-t0) * time.Microsecond; d < 15*ap.TU {
			t.Errorf("beacon TSF step %v, want ≈ 20 TU", d)
		}
	}

	// Probe requests: wildcard and own SSID are answered, others not.
	isResp := func(f frames.Frame) bool { return f.IsMgmt() && f.Subtype() == frames.SubtypeProbeResp }
	raw.SetFreq(frames.ChannelToFreq(3))
	for i, ssid := range []string{"", "lab", "other"} {
		sn.Reset()
		frm := frames.AppendProbeRequest(nil, frames.MgmtHeader{DA: frames.Broadcast, SA: mactest.Addr(7), BSSID: frames.Broadcast}, frames.AppendSSID(nil, ssid))
		raw.Transmit(frm, medium.TxOptions{NoAck: true})
		if i < 2 {
			mactest.Eventually(t, waitLong, "probe response to "+ssid, func() bool { return len(sn.Match(isResp)) == 1 })
			r := sn.Match(isResp)[0]
			if r.Addr1() != mactest.Addr(7) {
				t.Errorf("probe response to %s", r.Addr1())
			}
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(sn.Match(isResp)); n != 0 {
		t.Errorf("%d probe responses to another SSID", n)
	}
	if a.Counters()["probe_responses"] != 2 {
		t.Errorf("probe_responses %d, want 2", a.Counters()["probe_responses"])
	}
}

// TestMgmtRefusals drives the AP with hand-made frames from a raw radio.
func TestMgmtRefusals(t *testing.T) {
	m := medium.New(medium.Options{})
	sn := &mactest.Sniffer{}
	me := mactest.Addr(7)
	raw := mactest.AddRadio(t, m, "raw", me, sn)
	raw.SetFreq(frames.ChannelToFreq(6))
	a, _ := startAP(t, m, ap.Config{}, &mactest.Recorder{})
	h := frames.MgmtHeader{DA: apAddr, SA: me, BSSID: apAddr}
	find := func(sub uint8) func() []frames.Frame {
		return func() []frames.Frame {
			return sn.Match(func(f frames.Frame) bool { return f.IsMgmt() && f.Subtype() == sub && f.Addr1() == me })
		}
	}
	deauths, auths, assocs := find(frames.SubtypeDeauth), find(frames.SubtypeAuth), find(frames.SubtypeAssocResp)

	// Data without association: class-3 deauth, reason 7.
	eth := mactest.Eth(sta2, me, []byte("x"))
	frm, _ := frames.EthernetToData(nil, frames.DataHeader{ToDS: true, Addr1: apAddr, Addr2: me, Addr3: sta2}, eth)
	raw.Transmit(frm, medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "class-3 deauth", func() bool { return len(deauths()) == 1 })
	if r, _ := deauths()[0].ReasonCode(); r != frames.ReasonClass3FromNonAssoc {
		t.Errorf("reason %d, want 7", r)
	}

	// Association before authentication: deauth, reason 6.
	raw.Transmit(frames.AppendAssocRequest(nil, h, 0, 10, frames.AppendSSID(nil, "vmedium")), medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "class-2 deauth", func() bool { return len(deauths()) == 2 })
	if r, _ := deauths()[1].ReasonCode(); r != frames.ReasonClass2FromNonAuth {
		t.Errorf("reason %d, want 6", r)
	}

	// Shared key authentication is refused with status 13.
	raw.Transmit(frames.AppendAuth(nil, h, frames.AuthSharedKey, 1, 0), medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "auth response", func() bool { return len(auths()) == 1 })
	if _, tr, st, _ := auths()[0].AuthFields(); tr != 2 || st != frames.StatusNotSupportedAuthAlg {
		t.Errorf("auth response transaction %d status %d, want 2 and 13", tr, st)
	}

	// Open auth, then association to the wrong SSID: status 1; right SSID: AID 1.
	raw.Transmit(frames.AppendAuth(nil, h, frames.AuthOpenSystem, 1, 0), medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "auth response", func() bool { return len(auths()) == 2 })
	raw.Transmit(frames.AppendAssocRequest(nil, h, 0, 10, frames.AppendSSID(nil, "wrong")), medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "assoc response", func() bool { return len(assocs()) == 1 })
	if _, st, _, _, _ := assocs()[0].AssocRespFields(); st != frames.StatusUnspecified {
		t.Errorf("wrong SSID association status %d, want 1", st)
	}
	raw.Transmit(frames.AppendAssocRequest(nil, h, 0, 10, frames.AppendSSID(nil, "vmedium")), medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "assoc response", func() bool { return len(assocs()) == 2 })
	if _, st, aid, _, _ := assocs()[1].AssocRespFields(); st != 0 || aid != 1 {
		t.Errorf("association status %d AID %d, want 0 and 1", st, aid)
	}
	if len(a.Stations()) != 1 {
		t.Fatalf("stations %+v", a.Stations())
	}
	// Disassociation removes it from the table.
	raw.Transmit(frames.AppendDisassoc(nil, h, frames.ReasonDisassocLeaving), medium.TxOptions{MaxAttempts: 1})
	mactest.Eventually(t, waitLong, "station removal", func() bool { return len(a.Stations()) == 0 })

	// Malformed frames are counted, never a panic.
	before := a.Counters()["malformed"]
	for _, b := range [][]byte{nil, {0x08}, {0xb0, 0, 0, 0}, make([]byte, 5000)} {
		if err := a.Deliver(b, medium.RxInfo{}); err != nil {
			t.Errorf("Deliver(%d bytes) = %v", len(b), err)
		}
	}
	if got := a.Counters()["malformed"] - before; got < 3 {
		t.Errorf("malformed counted %d, want ≥3", got)
	}
}

func TestInactivityTimeout(t *testing.T) {
	m := medium.New(medium.Options{})
	const timeout = time.Second
	a, _ := startAP(t, m, ap.Config{InactivityTimeout: timeout}, &mactest.Recorder{})
	silent := staConfig(sta1)
	silent.KeepAlive = -1
	chatty := staConfig(sta2)
	chatty.KeepAlive = timeout / 20
	s1 := startSTA(t, m, "vw1", silent, &mactest.Recorder{})
	s2 := startSTA(t, m, "vw2", chatty, &mactest.Recorder{})
	mactest.Eventually(t, waitLong, "silent station deauthenticated for inactivity", func() bool {
		return s1.Counters()["deauth_received"] >= 1
	})
	if a.Counters()["inactivity_deauth"] < 1 {
		t.Errorf("inactivity_deauth %d", a.Counters()["inactivity_deauth"])
	}
	if s2.Counters()["deauth_received"] != 0 || s2.Counters()["connects"] != 1 {
		t.Errorf("station with keepalives was disconnected: %v\nAP: %v", s2.Counters(), a.Counters())
	}
	if _, ok := a.Station(sta2); !ok {
		t.Error("station with keepalives left the table")
	}
	// The silent one reconnects by itself.
	mactest.Eventually(t, waitLong, "silent station to reconnect", func() bool { return s1.Counters()["connects"] >= 2 })
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []ap.Config{
		{SSID: "", Channel: 6, Addr: apAddr},
		{SSID: "012345678901234567890123456789012", Channel: 6, Addr: apAddr},
		{SSID: "x", Channel: 0, Addr: apAddr},
		{SSID: "x", Channel: 6},
		{SSID: "x", Channel: 6, Addr: frames.Broadcast},
		{SSID: "x", Channel: 6, Addr: apAddr, BeaconInterval: time.Microsecond},
	} {
		if _, err := ap.New(c, &mactest.Recorder{}); err == nil || !medium.IsBadInput(err) {
			t.Errorf("New(%+v) = %v, want a bad-input error", c, err)
		}
	}
	a, err := ap.New(ap.Config{SSID: "x", Channel: 6, Addr: apAddr}, &mactest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); !errors.Is(err, ap.ErrNotAttached) {
		t.Errorf("Start without radio: %v", err)
	}
	if err := a.SendEthernet(mactest.Eth(sta1, apAddr, nil)); !errors.Is(err, ap.ErrNotAttached) {
		t.Errorf("SendEthernet without radio: %v", err)
	}
}

// BenchmarkRelayUnicast measures one Ethernet frame STA1 → AP → STA2
// through a real medium: STA1's SendEthernet, the AP's relay, STA2's
// conversion and uplink write, all synchronous.
func BenchmarkRelayUnicast(b *testing.B) {
	m := medium.New(medium.Options{})
	var got int
	a, _ := startAP(b, m, ap.Config{}, ap.UplinkFunc(func([]byte) error { return nil }))
	s1 := startSTA(b, m, "vw1", staConfig(sta1), sta.UplinkFunc(func([]byte) error { return nil }))
	startSTA(b, m, "vw2", staConfig(sta2), sta.UplinkFunc(func(eth []byte) error { got++; return nil }))
	eth := mactest.Eth(sta2, sta1, make([]byte, 1486)) // 1500-byte MTU payload
	sendFrames(b, s1.SendEthernet, eth, &got, "STA2")
	if a.Counters()["uplink_frames"] != 0 {
		b.Fatal("relayed unicast went up the AP's stack")
	}
}

// BenchmarkSTAToAP measures STA → AP stack (no relay).
func BenchmarkSTAToAP(b *testing.B) {
	m := medium.New(medium.Options{})
	var got int
	startAP(b, m, ap.Config{}, ap.UplinkFunc(func([]byte) error { got++; return nil }))
	s1 := startSTA(b, m, "vw1", staConfig(sta1), sta.UplinkFunc(func([]byte) error { return nil }))
	eth := mactest.Eth(apAddr, sta1, make([]byte, 1486))
	sendFrames(b, s1.SendEthernet, eth, &got, "AP stack")
}

// TestDataPathAllocs pins the zero-allocation claim of the data path:
// STA→AP→STA relay, STA→AP stack, AP stack→STA, and group relay.
func TestDataPathAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	m := medium.New(medium.Options{})
	nop := func([]byte) error { return nil }
	a, _ := startAP(t, m, ap.Config{}, ap.UplinkFunc(nop))
	s1 := startSTA(t, m, "vw1", staConfig(sta1), sta.UplinkFunc(nop))
	startSTA(t, m, "vw2", staConfig(sta2), sta.UplinkFunc(nop))
	checkDataPathAllocs(t, a, s1, "")
}

// sendFrames sends eth b.N times through send (the timed part of a data
// path benchmark) and checks that got, counted at the far end (where),
// saw every frame.
func sendFrames(b *testing.B, send func([]byte) error, eth []byte, got *int, where string) {
	b.Helper()
	b.SetBytes(int64(len(eth)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := send(eth); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if *got != b.N {
		b.Fatalf("%s received %d of %d frames", where, *got, b.N)
	}
}

// checkDataPathAllocs pins 0 allocations per frame on each data path of a
// running AP a with station s1 (and a second station sta2): STA→AP→STA
// relay, STA→AP stack, group relay, AP stack→STA. what names the setup
// in the failure (e.g. " with CCMP").
func checkDataPathAllocs(t *testing.T, a *ap.AP, s1 *sta.STA, what string) {
	t.Helper()
	var batch [4][]byte
	sendBatch := func(eth []byte) error { // four frames at once, as a TAP's reader hands them over
		for i := range batch {
			batch[i] = eth
		}
		if s1.SendEthernetBatch(batch[:]) != 0 {
			return errors.New("batch refused")
		}
		return nil
	}
	for name, c := range map[string]struct {
		send func([]byte) error
		eth  []byte
	}{
		"relay unicast":       {s1.SendEthernet, mactest.Eth(sta2, sta1, make([]byte, 1400))},
		"relay unicast batch": {sendBatch, mactest.Eth(sta2, sta1, make([]byte, 1400))},
		"sta to ap":           {s1.SendEthernet, mactest.Eth(apAddr, sta1, make([]byte, 1400))},
		"relay group":         {s1.SendEthernet, mactest.Eth(frames.Broadcast, sta1, make([]byte, 1400))},
		"ap to sta":           {a.SendEthernet, mactest.Eth(sta2, apAddr, make([]byte, 1400))},
	} {
		if n := testing.AllocsPerRun(200, func() {
			if err := c.send(c.eth); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per frame%s, want 0", name, n, what)
		}
	}
}
