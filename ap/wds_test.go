// SPDX-License-Identifier: MIT

package ap_test

import (
	"bytes"
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

// host is an address bridged behind sta1 (a LAN host, a VM).
var host = mactest.Addr(9)

func wdsSTA(addr frames.MAC) sta.Config {
	c := staConfig(addr)
	c.WDS = true
	return c
}

// wdsLab starts an AP with WDSSta, a four-address station sta1 and an
// ordinary station sta2, and waits until the AP knows sta1 as a WDS
// station (its four-address null frame after associating). With sniff a
// sniffer records the air (it allocates per frame).
func wdsLab(t testing.TB, sniff bool, cfg ap.Config, sta1Cfg, sta2Cfg sta.Config) (a *ap.AP, s1, s2 *sta.STA, apUp, up1, up2 *mactest.Recorder, sn *mactest.Sniffer) {
	t.Helper()
	m := medium.New(medium.Options{})
	if sniff {
		// Every transmission on the medium, as a monitor would see it.
		sn = &mactest.Sniffer{}
		m.AddObserver(airLog{sn})
	}
	apUp, up1, up2 = &mactest.Recorder{}, &mactest.Recorder{}, &mactest.Recorder{}
	cfg.WDSSta = true
	a, _ = startAP(t, m, cfg, apUp)
	s1 = startSTA(t, m, "vw1", sta1Cfg, up1)
	s2 = startSTA(t, m, "vw2", sta2Cfg, up2)
	mactest.Eventually(t, waitLong, "sta1 known as a WDS station", func() bool { return a.Counters()["wds_stations"] == 1 })
	return
}

// airLog is a medium observer that keeps a copy of every transmission.
type airLog struct{ sn *mactest.Sniffer }

func (l airLog) Transmitted(_ *medium.Radio, frame []byte, _ uint32) {
	l.sn.Deliver(frame, medium.RxInfo{})
}

func (airLog) Received(_, _ *medium.Radio, _ []byte, _ medium.RxInfo) {}

// The relay rules of a four-address station and the hosts behind it:
// every direction, unicast and group, each frame delivered exactly once
// with its original addresses, and what reaches sta1 on the air is
// four-address.
func TestWDSBridging(t *testing.T) {
	testutil.CheckLeaks(t)
	a, s1, s2, apUp, up1, up2, sn := wdsLab(t, true, ap.Config{}, wdsSTA(sta1), staConfig(sta2))
	send := func(s interface{ SendEthernet([]byte) error }, eth []byte) {
		t.Helper()
		if err := s.SendEthernet(eth); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	check := func(what string, payload []byte, want map[string]int, dst, src frames.MAC) {
		t.Helper()
		for name, rec := range map[string]*mactest.Recorder{"ap": apUp, "sta1": up1, "sta2": up2} {
			if got := rec.Count(payload); got != want[name] {
				t.Errorf("%s: %s uplink got %d copies, want %d", what, name, got, want[name])
			}
			if f, ok := rec.Find(payload); ok && (!bytes.Equal(f[0:6], dst[:]) || !bytes.Equal(f[6:12], src[:])) {
				t.Errorf("%s: %s got dst %x src %x, want %s %s", what, name, f[0:6], f[6:12], dst, src)
			}
		}
	}

	p := []byte("host behind sta1 to sta2")
	send(s1, mactest.Eth(sta2, host, p))
	check("host→sta2", p, map[string]int{"sta2": 1}, sta2, host)
	if got := a.Learned(); len(got) != 1 || got[host] != sta1 {
		t.Fatalf("forwarding table %v, want %s behind %s", got, host, sta1)
	}

	p = []byte("sta2 to the host behind sta1")
	send(s2, mactest.Eth(host, sta2, p))
	check("sta2→host", p, map[string]int{"sta1": 1}, host, sta2)

	p = []byte("ap stack to the host behind sta1")
	send(a, mactest.Eth(host, apAddr, p))
	check("ap→host", p, map[string]int{"sta1": 1}, host, apAddr)

	p = []byte("sta2 to sta1 itself")
	send(s2, mactest.Eth(sta1, sta2, p))
	check("sta2→sta1", p, map[string]int{"sta1": 1}, sta1, sta2)

	p = []byte("sta1 itself to sta2")
	send(s1, mactest.Eth(sta2, sta1, p))
	check("sta1→sta2", p, map[string]int{"sta2": 1}, sta2, sta1)

	p = []byte("host to the ap stack")
	send(s1, mactest.Eth(apAddr, host, p))
	check("host→ap", p, map[string]int{"ap": 1}, apAddr, host)

	p = []byte("sta2 broadcast")
	send(s2, mactest.Eth(frames.Broadcast, sta2, p))
	check("sta2 broadcast", p, map[string]int{"ap": 1, "sta1": 1}, frames.Broadcast, sta2)

	p = []byte("host broadcast")
	send(s1, mactest.Eth(frames.Broadcast, host, p))
	check("host broadcast", p, map[string]int{"ap": 1, "sta2": 1}, frames.Broadcast, host)

	p = []byte("ap broadcast")
	send(a, mactest.Eth(frames.Broadcast, apAddr, p))
	check("ap broadcast", p, map[string]int{"sta1": 1, "sta2": 1}, frames.Broadcast, apAddr)

	// A frame for the host coming from behind sta1 itself is not sent back.
	send(s1, mactest.Eth(host, mactest.Addr(10), []byte("hairpin")))
	if n := a.Counters()["wds_hairpin_dropped"]; n != 1 {
		t.Errorf("wds_hairpin_dropped = %d, want 1", n)
	}

	// On the air: everything sta1 sent and everything sent to sta1 is
	// four-address; sta2's frames are three-address.
	data := func(f frames.Frame) bool { return f.IsData() && f.Subtype()&0x4 == 0 }
	var to1, from1, four2 int
	for _, f := range sn.Match(data) {
		four := f.ToDS() && f.FromDS()
		switch {
		case f.Addr1() == sta1:
			to1++
			if !four {
				t.Errorf("three-address frame to WDS station sta1: %s→%s", f.SA(), f.DA())
			}
		case f.Addr2() == sta1:
			from1++
			if !four {
				t.Errorf("three-address data frame from WDS station sta1: %s→%s", f.SA(), f.DA())
			}
		case four:
			four2++
		}
	}
	if to1 < 5 || from1 < 5 || four2 != 0 {
		t.Errorf("on the air: %d four-address frames to sta1, %d from it, %d four-address frames of others", to1, from1, four2)
	}
	c1 := s1.Counters()
	if c1["rx_group_3addr_dropped"] < 2 || c1["tx_4addr"] < 6 || c1["rx_4addr"] < 5 {
		t.Errorf("sta1 counters: %v", c1)
	}
	c := a.Counters()
	if c["wds_learned"] != 2 || c["wds_group_copies"] != 2 || c["wds_dropped"] != 0 {
		t.Errorf("AP counters: %v", c)
	}
}

// Without WDSSta the AP drops four-address frames (counted), so nothing
// of the four-address station passes; a station without WDS refuses to
// send a bridged host's frame at all.
func TestWDSRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	m := medium.New(medium.Options{})
	apUp, up2 := &mactest.Recorder{}, &mactest.Recorder{}
	a, _ := startAP(t, m, ap.Config{}, apUp)
	s1 := startSTA(t, m, "vw1", wdsSTA(sta1), &mactest.Recorder{})
	s3 := startSTA(t, m, "vw3", staConfig(mactest.Addr(3)), &mactest.Recorder{})
	startSTA(t, m, "vw2", staConfig(sta2), up2)

	if err := s1.SendEthernet(mactest.Eth(sta2, host, []byte("from the host"))); err != nil {
		t.Fatal(err)
	}
	if err := s1.SendEthernet(mactest.Eth(sta2, sta1, []byte("from sta1"))); err != nil {
		t.Fatal(err)
	}
	if up2.Count([]byte("from the host"))+up2.Count([]byte("from sta1")) != 0 {
		t.Error("an AP without WDSSta relayed a four-address frame")
	}
	c := a.Counters()
	if c["wds_dropped"] < 3 || c["wds_stations"] != 0 || len(a.Learned()) != 0 {
		t.Errorf("AP counters %v, want at least 3 four-address frames dropped (null, two data)", c)
	}

	if err := s3.SendEthernet(mactest.Eth(sta2, host, []byte("x"))); !errors.Is(err, sta.ErrForeignSource) {
		t.Errorf("three-address station sending a bridged host's frame: %v, want ErrForeignSource", err)
	}
	if n := s3.Counters()["tx_foreign_source"]; n != 1 {
		t.Errorf("tx_foreign_source = %d, want 1", n)
	}
}

// The forwarding table is bounded per station, and entries age out.
func TestWDSLearnedBoundsAndAgeing(t *testing.T) {
	testutil.CheckLeaks(t)
	a, s1, _, _, _, _, _ := wdsLab(t, false, ap.Config{MaxLearnedPerStation: 2, LearnedAge: 100 * time.Millisecond}, wdsSTA(sta1), staConfig(sta2))
	for i := byte(20); i < 23; i++ {
		if err := s1.SendEthernet(mactest.Eth(sta2, mactest.Addr(i), []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.Learned()); n != 2 {
		t.Errorf("%d addresses learned behind sta1, want the bound 2", n)
	}
	if n := a.Counters()["wds_learn_full"]; n != 1 {
		t.Errorf("wds_learn_full = %d, want 1", n)
	}
	mactest.Eventually(t, waitLong, "learned addresses aged out", func() bool { return len(a.Learned()) == 0 && a.Counters()["wds_aged"] == 2 })
	// Room again after ageing.
	if err := s1.SendEthernet(mactest.Eth(sta2, mactest.Addr(22), []byte("x"))); err != nil {
		t.Fatal(err)
	}
	if got := a.Learned(); got[mactest.Addr(22)] != sta1 {
		t.Errorf("forwarding table %v after ageing, want %s behind %s", got, mactest.Addr(22), sta1)
	}
}

// The four-address data paths allocate nothing per frame either.
func TestWDSDataPathAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	m := medium.New(medium.Options{})
	nop := func([]byte) error { return nil }
	a, _ := startAP(t, m, ap.Config{WDSSta: true}, ap.UplinkFunc(nop))
	s1 := startSTA(t, m, "vw1", wdsSTA(sta1), sta.UplinkFunc(nop))
	s2 := startSTA(t, m, "vw2", staConfig(sta2), sta.UplinkFunc(nop))
	mactest.Eventually(t, waitLong, "sta1 known as a WDS station", func() bool { return a.Counters()["wds_stations"] == 1 })
	if err := s1.SendEthernet(mactest.Eth(sta2, host, []byte("learn"))); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		send func([]byte) error
		eth  []byte
	}{
		"host to sta2":  {s1.SendEthernet, mactest.Eth(sta2, host, make([]byte, 1400))},
		"sta2 to host":  {s2.SendEthernet, mactest.Eth(host, sta2, make([]byte, 1400))},
		"ap to host":    {a.SendEthernet, mactest.Eth(host, apAddr, make([]byte, 1400))},
		"host group":    {s1.SendEthernet, mactest.Eth(frames.Broadcast, host, make([]byte, 1400))},
		"sta2 group":    {s2.SendEthernet, mactest.Eth(frames.Broadcast, sta2, make([]byte, 1400))},
		"ap group copy": {a.SendEthernet, mactest.Eth(frames.Broadcast, apAddr, make([]byte, 1400))},
	} {
		if n := testing.AllocsPerRun(200, func() {
			if err := c.send(c.eth); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations per frame, want 0", name, n)
		}
	}
}

// BenchmarkRelayUnicastWDS: a bridged host's frame through a four-address
// station, the AP and back down to the host through the four-address
// station is the WDS counterpart of BenchmarkRelayUnicast: sta2 → AP →
// host behind sta1.
func BenchmarkRelayUnicastWDS(b *testing.B) {
	var got int
	m := medium.New(medium.Options{})
	a, _ := startAP(b, m, ap.Config{WDSSta: true}, ap.UplinkFunc(func([]byte) error { return nil }))
	s1 := startSTA(b, m, "vw1", wdsSTA(sta1), sta.UplinkFunc(func([]byte) error { got++; return nil }))
	s2 := startSTA(b, m, "vw2", staConfig(sta2), sta.UplinkFunc(func([]byte) error { return nil }))
	mactest.Eventually(b, waitLong, "sta1 known as a WDS station", func() bool { return a.Counters()["wds_stations"] == 1 })
	if err := s1.SendEthernet(mactest.Eth(sta2, host, []byte("learn"))); err != nil {
		b.Fatal(err)
	}
	got = 0
	eth := mactest.Eth(host, sta2, make([]byte, 1486))
	sendFrames(b, s2.SendEthernet, eth, &got, "the host behind STA1")
}
