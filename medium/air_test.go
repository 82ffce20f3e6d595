// SPDX-License-Identifier: MIT

package medium

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/contention"
)

func setAir(t testing.TB, m *Medium, errs, airtime string) {
	t.Helper()
	if err := m.SetAir(AirConfig{Errors: errs, Airtime: airtime}); err != nil {
		t.Fatal(err)
	}
}

func sig(v float64) *float64 { return &v }

func chainOf(stages ...air.Stage) *air.Chain {
	c := &air.Chain{N: len(stages)}
	copy(c.Stages[:], stages)
	return c
}

func TestSetAirRejectsBadValuesAndChangesNothing(t *testing.T) {
	tn := newNet(t, 2)
	for _, c := range []struct {
		cfg  AirConfig
		want string
	}{
		{AirConfig{Errors: "fancy"}, `"fancy"`},
		{AirConfig{Airtime: "sometimes"}, "off, account, timed"},
		{AirConfig{Propagation: air.Propagation{Model: "moon"}}, "free-space"},
		{AirConfig{NoiseFloorDBm: sig(10)}, "noise_floor_dbm"},
		{AirConfig{Fading: air.Fading{Kind: "wobbly"}}, "rayleigh"},
	} {
		err := tn.m.SetAir(c.cfg)
		var ive *InvalidValueError
		if !errors.As(err, &ive) || !IsBadInput(err) {
			t.Fatalf("SetAir(%+v) = %v, want an InvalidValueError", c.cfg, err)
		}
		if !contains([]string{err.Error()}, err.Error()) || !containsStr(err.Error(), c.want) {
			t.Errorf("error %q does not name %q", err, c.want)
		}
	}
	if got := tn.m.Air(); got != DefaultAirConfig() {
		t.Fatalf("air changed by refused settings: %+v", got)
	}
	if tn.m.snap.Load().air != nil {
		t.Fatal("default model compiled an air snapshot: the fast path would not be taken")
	}
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestPERCloseLinkDeliversFirstAttemptFarLinkFallsBack(t *testing.T) {
	tn := newNet(t, 2)
	setAir(t, tn.m, ErrorsPER, AirtimeOff)
	uni := dataFrame(true, false, mac(1), mac(0), mac(1))
	c := chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 2}, air.Stage{Mode: air.Legacy(air.Rate6), Count: 2})

	// −50 dBm: SNR 44 dB, clear at 54 Mbit/s.
	tn.m.SetLink("vw0", "vw1", sig(-50), nil)
	tn.m.SetLink("vw1", "vw0", sig(-50), nil)
	res := tn.radios[0].Transmit(uni, TxOptions{Chain: c})
	if !res.Air || !res.Acked || res.Attempts != 1 || res.StageAttempts != [4]uint8{1} || res.Stage != 0 {
		t.Fatalf("clear link: %+v", res)
	}
	if want := air.RxRateIndex(air.Legacy(air.Rate54), air.Band2GHz); res.RxRateIdx != want || tn.recs[1].infos[0].RateIdx != want {
		t.Fatalf("rx rate %d (port %d), want %d", res.RxRateIdx, tn.recs[1].infos[0].RateIdx, want)
	}

	// −82 dBm: SNR 12 dB: 54 Mbit/s dead, 6 Mbit/s clear.
	tn.m.SetLink("vw0", "vw1", sig(-82), nil)
	tn.m.SetLink("vw1", "vw0", sig(-82), nil)
	res = tn.radios[0].Transmit(uni, TxOptions{Chain: c})
	if !res.Acked || res.StageAttempts != [4]uint8{2, 1} || res.Stage != 1 || res.Attempts != 3 {
		t.Fatalf("far link: %+v", res)
	}
	if want := air.RxRateIndex(air.Legacy(air.Rate6), air.Band2GHz); res.RxRateIdx != want {
		t.Fatalf("rx rate %d, want the 6 Mbit/s index %d", res.RxRateIdx, want)
	}
	if got := tn.radios[0].Stats(); got.TxAcked != 2 || got.TxRetries != 2 {
		t.Fatalf("counters %+v", got)
	}
}

func TestPERGroupFrameJudgedPerReceiver(t *testing.T) {
	tn := newNet(t, 3)
	setAir(t, tn.m, ErrorsPER, AirtimeOff)
	tn.m.SetLink("vw0", "vw1", sig(-50), nil)
	tn.m.SetLink("vw0", "vw2", sig(-85), nil) // SNR 9 dB: dead at 54, clear at 1
	bc := dataFrame(false, true, frames.Broadcast, mac(0), mac(0))
	res := tn.radios[0].Transmit(bc, TxOptions{NoAck: true, Chain: chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 1})})
	if res.Delivered != 1 || !eq(tn.counts(), []int{0, 1, 0}) || tn.radios[2].Drops(DropPER) != 1 {
		t.Fatalf("54 Mbit/s broadcast: %+v counts %v", res, tn.counts())
	}
	res = tn.radios[0].Transmit(bc, TxOptions{NoAck: true, Chain: chainOf(air.Stage{Mode: air.Legacy(air.Rate1), Count: 1})})
	if res.Delivered != 2 || res.Acked {
		t.Fatalf("1 Mbit/s broadcast: %+v", res)
	}
}

// A grey link delivers each unacknowledged frame with probability
// 1 − PER: 20 000 frames land within 4σ.
func TestPERGreyLinkStatistics(t *testing.T) {
	tn := newNet(t, 2)
	setAir(t, tn.m, ErrorsPER, AirtimeOff)
	md := air.Legacy(air.Rate24)
	m := tn.m.airModel
	// Find a signal where PER(1500 B) is near 0.3.
	s := -90.0
	for ; s < -40; s += 0.25 {
		if m.PER(md, s, 1504) < 0.3 {
			break
		}
	}
	p := m.PER(md, s, 1504)
	if p < 0.05 || p > 0.5 {
		t.Fatalf("no grey signal found (PER %g at %g dBm)", p, s)
	}
	tn.m.SetLink("vw0", "vw1", &s, nil)
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	f = append(f, make([]byte, 1500-len(f))...)
	const n = 20000
	for i := 0; i < n; i++ {
		tn.radios[0].Transmit(f, TxOptions{NoAck: true, Chain: chainOf(air.Stage{Mode: md, Count: 1})})
	}
	got := float64(tn.recs[1].count())
	want := n * (1 - p)
	sd := math.Sqrt(n * p * (1 - p))
	if math.Abs(got-want) > 4*sd {
		t.Fatalf("delivered %v of %d, want %.0f ± %.0f (PER %.3f)", got, n, want, 4*sd, p)
	}
}

func TestFlatWithAccountKeepsFlatSemanticsAndChargesAirtime(t *testing.T) {
	tn := newNet(t, 2)
	setAir(t, tn.m, ErrorsFlat, AirtimeAccount)
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	f = append(f, make([]byte, 1500-len(f))...)
	c := chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 4})
	tn.m.SetLink("vw0", "vw1", sig(-88), nil) // hopeless for 54 with per, fine with flat
	res := tn.radios[0].Transmit(f, TxOptions{Chain: c})
	if !res.Acked || res.Attempts != 1 {
		t.Fatalf("flat: %+v", res)
	}
	o := air.Outcome{Attempts: [4]uint8{1}, Acked: true, Delivered: true}
	want := air.DefaultTiming(2437).Airtime(air.DefaultBasicRates, c, &o, 1504, true)
	if got := time.Duration(tn.radios[0].airc.airtimeNs.Load()); got != want || want == 0 {
		t.Fatalf("airtime charged %v, want %v", got, want)
	}
	if got := time.Duration(tn.m.acct.chanNs[chanSlot(2437)].Load()); got != want {
		t.Fatalf("channel airtime %v, want %v", got, want)
	}
	if tn.radios[0].airc.rateAttempts[air.FormatOFDM][air.Rate54].Load() != 1 {
		t.Fatal("attempt at 54 Mbit/s not counted")
	}
}

func TestAirModelOffIsTheFastPath(t *testing.T) {
	tn := newNet(t, 2)
	setAir(t, tn.m, ErrorsPER, AirtimeOff)
	setAir(t, tn.m, ErrorsFlat, AirtimeOff)
	if tn.m.snap.Load().air != nil {
		t.Fatal("flat/off still compiles an air snapshot")
	}
	res := tn.radios[0].Transmit(dataFrame(true, false, mac(1), mac(0), mac(1)), TxOptions{MaxAttempts: 4})
	if res.Air || !res.Acked {
		t.Fatalf("%+v", res)
	}
}

func TestPropagationModelDrivesPositionLinks(t *testing.T) {
	tn := newNet(t, 2)
	tn.m.SetPosition("vw0", Position{})
	tn.m.SetPosition("vw1", Position{X: 10})
	before := tn.m.Links()[0].SignalDBm
	if want := int32(math.Round(PathLossSignal(DefaultTxPowerDBm, 10))); before != want {
		t.Fatalf("default propagation gives %d dBm, want today's %d", before, want)
	}
	p, _ := air.DefaultPropagation(air.ModelFreeSpace)
	if err := tn.m.SetAir(AirConfig{Propagation: p}); err != nil {
		t.Fatal(err)
	}
	after := tn.m.Links()[0]
	if want := int32(math.Round(p.SignalDBm(DefaultTxPowerDBm, 10, 2437, 0))); after.SignalDBm != want {
		t.Fatalf("free-space gives %d dBm, want %d", after.SignalDBm, want)
	}
	if after.MaxRate == "" || after.SNRDB <= 0 {
		t.Fatalf("links show no SNR or rate: %+v", after)
	}
}

func TestStateCarriesAirAndOldStateKeepsIt(t *testing.T) {
	tn := newNet(t, 2)
	if tn.m.State().Air != nil {
		t.Fatal("default air saved")
	}
	setAir(t, tn.m, ErrorsPER, AirtimeAccount)
	st := tn.m.State()
	if st.Air == nil || st.Air.Errors != ErrorsPER {
		t.Fatalf("state air %+v", st.Air)
	}
	m2 := New(Options{})
	if err := m2.Restore(st); err != nil {
		t.Fatal(err)
	}
	if m2.Air().Errors != ErrorsPER || m2.Air().Airtime != AirtimeAccount {
		t.Fatalf("restored %+v", m2.Air())
	}
	// A state from before the air model leaves it alone.
	if err := m2.Restore(State{}); err != nil || m2.Air().Errors != ErrorsPER {
		t.Fatalf("restore without air: %v %+v", err, m2.Air())
	}
	bad := st
	bad.Air = &AirConfig{Errors: "nope"}
	if err := m2.Restore(bad); !IsBadInput(err) {
		t.Fatalf("bad saved air: %v", err)
	}
}

func TestMoveToAtSpeedAndMobilityTicks(t *testing.T) {
	tn := newNet(t, 2)
	tn.m.SetPosition("vw0", Position{})
	tn.m.SetPosition("vw1", Position{X: 1})
	if err := tn.m.MoveTo("vw1", Position{X: 11}, -1); !IsBadInput(err) {
		t.Fatalf("negative speed: %v", err)
	}
	if err := tn.m.MoveTo("vw1", Position{X: 11}, 2); err != nil {
		t.Fatal(err)
	}
	s0 := tn.m.Links()[0].SignalDBm
	tn.m.Tick(time.Second)
	if p := tn.m.State().Positions["vw1"]; math.Abs(p.X-3) > 1e-9 {
		t.Fatalf("after 1 s at 2 m/s: %+v, want x=3", p)
	}
	if s1 := tn.m.Links()[0].SignalDBm; s1 >= s0 {
		t.Fatalf("signal did not fall moving away: %d → %d", s0, s1)
	}
	tn.m.Tick(10 * time.Second)
	if p := tn.m.State().Positions["vw1"]; p.X != 11 || tn.m.Moving("vw1") {
		t.Fatalf("did not arrive: %+v moving=%v", p, tn.m.Moving("vw1"))
	}
	// A path of waypoints, then random waypoint inside a box.
	if err := tn.m.SetMobility("vw0", Mobility{Path: []Waypoint{{X: 0, Speed: 0}, {X: 4, Speed: 1}, {X: 4, Y: 4, Speed: 2}}}); err != nil {
		t.Fatal(err)
	}
	tn.m.Tick(2 * time.Second)
	if p := tn.m.State().Positions["vw0"]; math.Abs(p.X-2) > 1e-9 {
		t.Fatalf("path after 2 s: %+v", p)
	}
	tn.m.Tick(4 * time.Second)
	if p := tn.m.State().Positions["vw0"]; p != (Position{X: 4, Y: 4}) {
		t.Fatalf("path end: %+v", p)
	}
	box := RandomWaypoint{Min: Position{}, Max: Position{X: 10, Y: 10}, Speed: 3}
	if err := tn.m.SetMobility("vw0", Mobility{RandomWaypoint: &box}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		tn.m.Tick(500 * time.Millisecond)
		p := tn.m.State().Positions["vw0"]
		if p.X < 0 || p.X > 10 || p.Y < 0 || p.Y > 10 || p.Z != 0 {
			t.Fatalf("left the box: %+v", p)
		}
	}
	bad := RandomWaypoint{Min: Position{X: 5}, Max: Position{}, Speed: 1}
	if err := tn.m.SetMobility("vw0", Mobility{RandomWaypoint: &bad}); !IsBadInput(err) {
		t.Fatalf("inverted box: %v", err)
	}
}

// timedNet is a 2-radio medium on the simulated clock.
func timedNet(t *testing.T) (*testNet, *contention.SimClock) {
	tn := newNet(t, 2)
	clk := contention.NewSimClock()
	tn.m.clock = clk
	setAir(t, tn.m, ErrorsPER, AirtimeTimed)
	t.Cleanup(tn.m.Close)
	return tn, clk
}

// advanceUntil moves the simulated clock in small steps until cond holds.
func advanceUntil(t *testing.T, clk *contention.SimClock, cond func() bool) time.Duration {
	t.Helper()
	start := clk.Now()
	for i := 0; i < 20000; i++ {
		if cond() {
			return clk.Now() - start
		}
		clk.Advance(50 * time.Microsecond)
		time.Sleep(20 * time.Microsecond)
	}
	t.Fatal("condition not reached on the simulated clock")
	return 0
}

func TestTimedDeliversAtTheEndOfTheExchange(t *testing.T) {
	testutil.CheckLeaks(t)
	tn, clk := timedNet(t)
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	f = append(f, make([]byte, 1500-len(f))...)
	var mu sync.Mutex
	var got []TxResult
	done := func(r TxResult) { mu.Lock(); got = append(got, r); mu.Unlock() }
	c := chainOf(air.Stage{Mode: air.Legacy(air.Rate6), Count: 4})
	res := tn.radios[0].Transmit(f, TxOptions{Chain: c, Done: done})
	if !res.Pending || tn.recs[1].count() != 0 {
		t.Fatalf("timed transmit delivered at once: %+v", res)
	}
	took := advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	// 1504 B at 6 Mbit/s is a 2036 µs PPDU: the exchange cannot end sooner.
	if ppdu := air.Legacy(air.Rate6).Duration(1504, air.Band2GHz); took < ppdu {
		t.Fatalf("exchange ended after %v, shorter than the PPDU %v", took, ppdu)
	}
	if r := got[0]; !r.Acked || r.Pending || r.Stage != 0 || tn.recs[1].count() != 1 {
		t.Fatalf("result %+v, delivered %d", r, tn.recs[1].count())
	}
	if st := tn.m.Timed(); len(st) != 1 || st[0].FreqMHz != 2437 || st[0].LateCount == 0 {
		t.Fatalf("timed stats %+v", st)
	}
}

// A configuration change that moves a signal replaces the schedulers; a
// frame still queued goes on under the new signals, and one whose radio
// left is reported failed.
func TestTimedRebuildRequeuesQueuedFrames(t *testing.T) {
	testutil.CheckLeaks(t)
	tn, clk := timedNet(t)
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	var got []TxResult
	var mu sync.Mutex
	done := func(r TxResult) { mu.Lock(); got = append(got, r); mu.Unlock() }
	tn.radios[0].Transmit(f, TxOptions{Done: done})
	tn.m.SetLink("vw0", "vw1", sig(-60), nil)
	mu.Lock()
	n := len(got)
	mu.Unlock()
	if n != 0 {
		t.Fatalf("queued frame reported at the rebuild: %+v", got)
	}
	advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	if !got[0].Acked || tn.recs[1].count() != 1 || tn.recs[1].infos[0].SignalDBm != -60 {
		t.Fatalf("requeued frame: %+v, delivered %d", got[0], tn.recs[1].count())
	}
	// The receiver leaves while a frame to it waits: failed, not lost.
	tn.radios[0].Transmit(f, TxOptions{Done: done})
	tn.m.RemoveRadio(tn.radios[1])
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[1].Acked || got[1].Pending {
		t.Fatalf("frame to a removed radio: %+v", got)
	}
}

func TestDispatchPERAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	tn := newNet(t, 3)
	for _, r := range tn.radios {
		r.port = PortFunc(discard) // the recorder copies
	}
	setAir(t, tn.m, ErrorsPER, AirtimeAccount)
	s := -80.0
	tn.m.SetLink("vw0", "vw1", &s, nil) // grey at 54
	uni := dataFrame(true, false, mac(1), mac(0), mac(2))
	bc := dataFrame(false, true, frames.Broadcast, mac(0), mac(1))
	c := chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 2}, air.Stage{Mode: air.Legacy(air.Rate6), Count: 2})
	allocs := testing.AllocsPerRun(1000, func() {
		tn.radios[0].Transmit(uni, TxOptions{Chain: c})
		tn.radios[0].Transmit(uni, TxOptions{MaxAttempts: 4})
		tn.radios[0].Transmit(bc, TxOptions{NoAck: true, Chain: c})
	})
	if allocs != 0 {
		t.Fatalf("per dispatch allocates %.1f times per frame triple, want 0", allocs)
	}
}

func TestAirMetrics(t *testing.T) {
	testutil.CheckLeaks(t)
	tn, clk := timedNet(t)
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	var mu sync.Mutex
	n := 0
	done := func(TxResult) { mu.Lock(); n++; mu.Unlock() }
	tn.radios[0].Transmit(f, TxOptions{Chain: chainOf(air.Stage{Mode: air.Legacy(air.Rate6), Count: 2}), Done: done})
	advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return n == 1 })
	out := gatherText(t, tn.m)
	for _, want := range []string{
		`vmedium_air_airtime_seconds_total{kind="local",radio="vw0"}`,
		`vmedium_air_attempts_total{kind="local",radio="vw0",rate="6M"} 1`,
		`vmedium_air_channel_busy_ratio{freq_mhz="2437"}`,
		`vmedium_air_collisions_total{freq_mhz="2437"} 0`,
		`vmedium_air_scheduler_lateness_seconds_count{freq_mhz="2437"}`,
	} {
		if !containsStr(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Under account, the busy ratio is the offered airtime over wall time.
	setAir(t, tn.m, ErrorsPER, AirtimeAccount)
	tn.radios[0].Transmit(f, TxOptions{})
	if out := gatherText(t, tn.m); !containsStr(out, `vmedium_air_channel_busy_ratio{freq_mhz="2437"}`) {
		t.Errorf("account: no busy ratio in\n%s", out)
	}
}

func gatherText(t *testing.T, m *Medium) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(m))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			var ls []string
			for _, l := range mt.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			lab := "{" + strings.Join(ls, ",") + "}"
			switch {
			case mt.Counter != nil:
				fmt.Fprintf(&b, "%s%s %g\n", mf.GetName(), lab, mt.GetCounter().GetValue())
			case mt.Gauge != nil:
				fmt.Fprintf(&b, "%s%s %g\n", mf.GetName(), lab, mt.GetGauge().GetValue())
			case mt.Histogram != nil:
				fmt.Fprintf(&b, "%s_count%s %d\n", mf.GetName(), lab, mt.GetHistogram().GetSampleCount())
			}
		}
	}
	return b.String()
}

// A MAC that gives no rate chain (tap and kmod radios) gets one from the
// medium's rate control: it settles on a fast rate on a strong link and a
// slow one on a weak link.
func TestRateControlForGoMACs(t *testing.T) {
	for _, c := range []struct {
		signal   float64
		min, max air.LegacyRate
	}{
		{-40, air.Rate48, air.Rate54},
		{-83, air.Rate6, air.Rate24}, // SNR 11 dB
	} {
		tn := newNet(t, 2)
		setAir(t, tn.m, ErrorsPER, AirtimeOff)
		tn.m.SetLink("vw0", "vw1", &c.signal, nil)
		f := dataFrame(true, false, mac(1), mac(0), mac(1))
		f = append(f, make([]byte, 1200)...)
		for i := 0; i < 2000; i++ {
			tn.radios[0].Transmit(f, TxOptions{MaxAttempts: 4})
		}
		// The rate of the last 200 deliveries, in Mbit/s (2.4 GHz table).
		infos := tn.recs[1].infos
		hist := map[air.LegacyRate]int{}
		for _, in := range infos[len(infos)-200:] {
			hist[air.LegacyRate(in.RateIdx)]++
		}
		best, n := air.LegacyRate(0), 0
		for r, k := range hist {
			if k > n {
				best, n = r, k
			}
		}
		if best < c.min || best > c.max {
			t.Errorf("signal %g dBm: settled on %v (histogram %v), want %v…%v", c.signal, best, hist, c.min, c.max)
		}
	}
}

// Without Done a timed Transmit waits for the exchange and returns its
// outcome; a radio relaying from inside a delivery does not wait.
func TestTimedTransmitWithoutDoneWaits(t *testing.T) {
	testutil.CheckLeaks(t)
	tn, clk := timedNet(t)
	stop := make(chan struct{})
	ticked := make(chan struct{})
	go func() {
		defer close(ticked)
		for {
			select {
			case <-stop:
				return
			default:
				clk.Advance(20 * time.Microsecond)
				time.Sleep(10 * time.Microsecond)
			}
		}
	}()
	defer func() { close(stop); <-ticked }()
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	res := tn.radios[0].Transmit(f, TxOptions{})
	if res.Pending || !res.Acked || tn.recs[1].count() != 1 {
		t.Fatalf("blocking timed transmit: %+v, delivered %d", res, tn.recs[1].count())
	}
	tn.radios[1].inCallback.Add(1)
	res = tn.radios[1].Transmit(dataFrame(true, false, mac(0), mac(1), mac(0)), TxOptions{})
	tn.radios[1].inCallback.Add(-1)
	if !res.Pending {
		t.Fatalf("transmit from inside a delivery waited: %+v", res)
	}
}

// A mobility tick that moves a signal by less than signalSlack keeps the
// running schedulers (and their queued frames); a larger move rebuilds.
func TestTimedKeepsSchedulersForSmallMoves(t *testing.T) {
	tn, _ := timedNet(t)
	tn.m.SetPosition("vw0", Position{})
	tn.m.SetPosition("vw1", Position{X: 50})
	tn.m.mu.Lock()
	before := tn.m.timed
	tn.m.mu.Unlock()
	if err := tn.m.MoveTo("vw1", Position{X: 60}, 1); err != nil {
		t.Fatal(err)
	}
	tn.m.Tick(100 * time.Millisecond) // 0.1 m: 0.026 dB
	tn.m.mu.Lock()
	same := tn.m.timed == before
	tn.m.mu.Unlock()
	if !same {
		t.Fatal("a 0.1 m move rebuilt the schedulers")
	}
	tn.m.Tick(10 * time.Second) // 10 m: 2.4 dB
	tn.m.mu.Lock()
	same = tn.m.timed == before
	tn.m.mu.Unlock()
	if same {
		t.Fatal("a 10 m move kept schedulers built for the old signals")
	}
}
