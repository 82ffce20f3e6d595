// SPDX-License-Identifier: MIT

package medium

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/contention"
)

func discard([]byte, RxInfo) error { return nil }

func benchNet(b *testing.B, n int) (*Medium, []*Radio) {
	m := New(Options{Seed: 1})
	rs := make([]*Radio, n)
	for i := range rs {
		r, err := m.AddRadio(RadioConfig{Name: fmt.Sprintf("vw%d", i), Kind: KindLocal, Addr: frames.MAC{2, 0, 0, 0, byte(i >> 8), byte(i)}, FreqMHz: 2437}, PortFunc(discard))
		if err != nil {
			b.Fatal(err)
		}
		rs[i] = r
	}
	// A deny rule and a lossy link elsewhere, so the checks are exercised.
	m.Deny("vw1", "vw0")
	p := 0.1
	m.SetLink("vw2", "vw0", nil, &p)
	return m, rs
}

// BenchmarkDispatch measures the per-frame dispatch decision and delivery
// to a no-op port: a 1500-byte data frame, unicast (STA→AP) and broadcast.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{3, 100} {
		for _, kind := range []string{"unicast", "broadcast"} {
			b.Run(fmt.Sprintf("radios=%d/%s", n, kind), func(b *testing.B) {
				_, rs := benchNet(b, n)
				dst := rs[0].Addr()
				opt := TxOptions{MaxAttempts: 4}
				if kind == "broadcast" {
					dst = frames.Broadcast
					opt = TxOptions{NoAck: true}
				}
				f := dataFrame(true, false, dst, rs[n-1].Addr(), dst)
				f = append(f, make([]byte, 1500)...)
				tx := rs[n-1]
				b.ReportAllocs()
				b.SetBytes(int64(len(f)))
				b.ResetTimer()
				c0 := testutil.CPUTime()
				for i := 0; i < b.N; i++ {
					tx.Transmit(f, opt)
				}
				testutil.ReportCPU(b, c0, b.N)
			})
		}
	}
}

// BenchmarkDispatchParallel transmits from every radio at once, to show the
// path has no global lock.
func BenchmarkDispatchParallel(b *testing.B) {
	_, rs := benchNet(b, 3)
	fs := make([][]byte, 3)
	for i := range fs {
		tx, rx := rs[i], rs[(i+1)%3]
		fs[i] = dataFrame(false, false, rx.Addr(), tx.Addr(), tx.Addr())
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rs[i%3].Transmit(fs[i%3], TxOptions{MaxAttempts: 4})
			i++
		}
	})
}

func TestDispatchAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	m := New(Options{Seed: 1})
	var rs []*Radio
	for i := 0; i < 3; i++ {
		r, _ := m.AddRadio(RadioConfig{Name: fmt.Sprintf("vw%d", i), Addr: mac(byte(i)), FreqMHz: 2437}, PortFunc(discard))
		rs = append(rs, r)
	}
	p := 0.2
	m.SetLink("vw0", "vw1", nil, &p)
	uni := dataFrame(true, false, mac(1), mac(0), mac(2))
	bc := dataFrame(false, true, frames.Broadcast, mac(0), mac(1))
	allocs := testing.AllocsPerRun(1000, func() {
		rs[0].Transmit(uni, TxOptions{MaxAttempts: 4})
		rs[0].Transmit(bc, TxOptions{NoAck: true})
	})
	if allocs != 0 {
		t.Fatalf("dispatch allocates %.1f times per frame pair, want 0", allocs)
	}
}

// BenchmarkDispatchPER is BenchmarkDispatch with errors per (and airtime
// accounted): each unicast frame walks a two-stage rate chain over a link
// that is grey at its first rate, so the draws are exercised.
func BenchmarkDispatchPER(b *testing.B) {
	for _, n := range []int{3, 100} {
		for _, kind := range []string{"unicast", "broadcast"} {
			for _, at := range []string{AirtimeOff, AirtimeAccount} {
				for _, lk := range []string{"clear", "grey"} {
					b.Run(fmt.Sprintf("radios=%d/%s/airtime=%s/link=%s", n, kind, at, lk), func(b *testing.B) {
						m, rs := benchNet(b, n)
						if err := m.SetAir(AirConfig{Errors: ErrorsPER, Airtime: at}); err != nil {
							b.Fatal(err)
						}
						// benchNet's lossy link is the transmitter's: the model alone here.
						m.ResetLink(rs[2].Name(), rs[0].Name())
						if lk == "grey" {
							grey := -76.0 // SNR 18 dB: grey at 54 Mbit/s, clear at 24
							m.SetLink(rs[n-1].Name(), rs[0].Name(), &grey, nil)
						}
						c := &air.Chain{N: 2}
						c.Stages[0] = air.Stage{Mode: air.Legacy(air.Rate54), Count: 2}
						c.Stages[1] = air.Stage{Mode: air.Legacy(air.Rate24), Count: 2}
						dst := rs[0].Addr()
						opt := TxOptions{MaxAttempts: 4, Chain: c}
						if kind == "broadcast" {
							dst = frames.Broadcast
							opt = TxOptions{NoAck: true, Chain: c}
						}
						f := dataFrame(true, false, dst, rs[n-1].Addr(), dst)
						f = append(f, make([]byte, 1500)...)
						tx := rs[n-1]
						b.ReportAllocs()
						b.SetBytes(int64(len(f)))
						b.ResetTimer()
						c0 := testutil.CPUTime()
						for i := 0; i < b.N; i++ {
							tx.Transmit(f, opt)
						}
						testutil.ReportCPU(b, c0, b.N)
					})
				}
			}
		}
	}
}

// BenchmarkTimed100 drives 100 radios on one channel under airtime timed
// on the wall clock for one second per op: radios 1–99 each keep one
// 100-byte frame at 54 Mbit/s to radio 0 queued at all times (saturated;
// a frame's Done submits the next). It reports the frames per second
// delivered through the medium (the air caps it, 99 contenders at CWmin 15
// collide often), the channel's busy ratio, and how late the scheduler
// ran behind the wall clock (p99, max).
func BenchmarkTimed100(b *testing.B) {
	const n = 100
	m := New(Options{Seed: 1})
	rs := make([]*Radio, n)
	for i := range rs {
		r, err := m.AddRadio(RadioConfig{Name: fmt.Sprintf("vw%d", i), Kind: KindLocal, Addr: frames.MAC{2, 0, 0, 0, byte(i >> 8), byte(i)}, FreqMHz: 2437}, PortFunc(discard))
		if err != nil {
			b.Fatal(err)
		}
		rs[i] = r
	}
	if err := m.SetAir(AirConfig{Errors: ErrorsPER, Airtime: AirtimeTimed}); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	c := &air.Chain{N: 1}
	c.Stages[0] = air.Stage{Mode: air.Legacy(air.Rate54), Count: 4}
	var stop atomic.Bool
	var frames atomic.Int64
	var wg sync.WaitGroup
	var send func(src int)
	send = func(src int) {
		f := append(dataFrame(true, false, rs[0].Addr(), rs[src].Addr(), rs[0].Addr()), make([]byte, 64)...)
		wg.Add(1)
		res := rs[src].Transmit(f, TxOptions{Chain: c, Done: func(TxResult) {
			frames.Add(1)
			if !stop.Load() {
				send(src)
			}
			wg.Done()
		}})
		if !res.Pending {
			wg.Done()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var el time.Duration
	for range b.N {
		stop.Store(false)
		start := time.Now()
		for src := 1; src < n; src++ {
			send(src)
		}
		time.Sleep(time.Second)
		stop.Store(true)
		wg.Wait()
		el += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(frames.Load())/el.Seconds(), "frames/s")
	if st := m.Timed(); len(st) == 1 {
		b.ReportMetric(float64(st[0].LateSum.Microseconds())/float64(max(st[0].LateCount, 1)), "late-mean-µs")
		b.ReportMetric(float64(st[0].LateP99.Microseconds()), "late-p99-µs")
		b.ReportMetric(float64(st[0].LateMax.Microseconds()), "late-max-µs")
		b.ReportMetric(st[0].BusyRatio, "busy")
	}
}

// BenchmarkTimedCPU100 is BenchmarkTimed100 on a simulated clock that the
// benchmark moves on as fast as the medium keeps up: with -cpu 1 its
// frames/s is how many frames one core carries through the whole timed
// path (Transmit, the scheduler's exchange, delivery, Done) for 100 radios
// on one channel, whatever the air's own limit. One op is one frame.
func BenchmarkTimedCPU100(b *testing.B) {
	const n = 100
	m := New(Options{Seed: 1})
	clk := contention.NewSimClock()
	m.clock = clk
	rs := make([]*Radio, n)
	for i := range rs {
		r, err := m.AddRadio(RadioConfig{Name: fmt.Sprintf("vw%d", i), Kind: KindLocal, Addr: frames.MAC{2, 0, 0, 0, byte(i >> 8), byte(i)}, FreqMHz: 2437}, PortFunc(discard))
		if err != nil {
			b.Fatal(err)
		}
		rs[i] = r
	}
	if err := m.SetAir(AirConfig{Errors: ErrorsPER, Airtime: AirtimeTimed}); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	c := &air.Chain{N: 1}
	c.Stages[0] = air.Stage{Mode: air.Legacy(air.Rate54), Count: 4}
	var stop atomic.Bool
	var done atomic.Int64
	var wg sync.WaitGroup
	fs := make([][]byte, n)
	dones := make([]func(TxResult), n)
	for src := 1; src < n; src++ {
		fs[src] = append(dataFrame(true, false, rs[0].Addr(), rs[src].Addr(), rs[0].Addr()), make([]byte, 64)...)
	}
	send := func(src int) {
		wg.Add(1)
		if res := rs[src].Transmit(fs[src], TxOptions{Chain: c, Done: dones[src]}); !res.Pending {
			wg.Done()
		}
	}
	for src := 1; src < n; src++ {
		dones[src] = func(TxResult) {
			done.Add(1)
			if !stop.Load() {
				send(src)
			}
			wg.Done()
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for src := 1; src < n; src++ {
		send(src)
	}
	// Steps of 200 µs: the runner handles the events of each step in one
	// wake-up, as a live runner does when it runs late.
	for done.Load() < int64(b.N) {
		clk.Advance(200 * time.Microsecond)
		runtime.Gosched()
	}
	stop.Store(true)
	b.StopTimer()
	m.Close() // the frames still queued are reported failed
	wg.Wait()
	b.ReportMetric(float64(done.Load())/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkMobilityTick100 is one mobility tick with 100 radios under
// errors per, one of them moving: positions advance and the links
// (signals and their compiled PER classes) are recompiled.
func BenchmarkMobilityTick100(b *testing.B) {
	m, rs := benchNet(b, 100)
	if err := m.SetAir(AirConfig{Errors: ErrorsPER}); err != nil {
		b.Fatal(err)
	}
	for i, r := range rs {
		m.SetPosition(r.Name(), Position{X: float64(i)})
	}
	m.MoveTo(rs[0].Name(), Position{X: 1e6}, 1)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := testutil.CPUTime()
	for i := 0; i < b.N; i++ {
		m.Tick(DefaultMobilityTick)
	}
	testutil.ReportCPU(b, c0, b.N)
}
