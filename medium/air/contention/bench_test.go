// SPDX-License-Identifier: MIT

package contention

import (
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/air"
)

// loopHandler refills every station's queue (saturation) without
// allocating.
type loopHandler struct {
	d    *Domain
	jobs []Job
	done int
}

func (h *loopHandler) Deliver(j *Job, rx int, md air.Mode, sig float64, at time.Duration) {}
func (h *loopHandler) Done(j *Job, o *air.Outcome, at time.Duration) {
	h.done++
	h.d.Enqueue(h.jobs[j.Src], at)
}

func saturated(b testing.TB, n int, md air.Mode) (*Domain, *loopHandler) {
	h := &loopHandler{}
	d, err := New(Config{Model: model(b), Timing: air.Timing11a, SignalDBm: matrix(n, -50), Seed: 7}, h)
	if err != nil {
		b.Fatal(err)
	}
	h.d = d
	h.jobs = make([]Job, n)
	for i := range n {
		h.jobs[i] = Job{Src: i, Dst: (i + 1) % n, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACBestEffort}
		d.Enqueue(h.jobs[i], 0)
	}
	return d, h
}

// How many frame exchanges per second one core simulates for 100
// saturated radios on one channel (no clock: pure scheduler cost).
func BenchmarkDomain100Radios(b *testing.B) {
	d, h := saturated(b, 100, air.Legacy(air.Rate54))
	b.ReportAllocs()
	b.ResetTimer()
	start, c0 := time.Now(), testutil.CPUTime()
	for h.done < b.N {
		d.Step()
	}
	el, cpu := time.Since(start), testutil.CPUTime()-c0
	b.ReportMetric(float64(h.done)/el.Seconds(), "frames/s")
	b.ReportMetric(float64(h.done)/cpu.Seconds(), "frames/cpu-s")
	b.ReportMetric(float64(h.done)/d.Now().Seconds(), "air-frames/s")
}

// The live runner on the wall clock with 100 saturated radios on one
// channel at 54 Mbit/s: does one core keep up with the air, and how late
// do events run. Each op is one second of wall time.
func BenchmarkRunner100RadiosLateness(b *testing.B) {
	for range b.N {
		d, h := saturated(b, 100, air.Legacy(air.Rate54))
		r := NewRunner(d, NewWallClock(), DefaultRunnerOptions())
		c0 := testutil.CPUTime()
		r.Start()
		time.Sleep(time.Second)
		r.Stop()
		b.ReportMetric((testutil.CPUTime() - c0).Seconds(), "cpu-s/s")
		l := r.Lateness()
		n := l.Count.Load()
		if n == 0 {
			b.Fatal("no events")
		}
		b.ReportMetric(float64(h.done), "frames/s")
		b.ReportMetric(float64(l.SumNs.Load())/float64(n)/1e3, "late-mean-µs")
		b.ReportMetric(float64(l.Quantile(0.99))/1e3, "late-p99-µs")
		b.ReportMetric(float64(l.MaxNs.Load())/1e3, "late-max-µs")
		// The share of the second the channel was busy (a kept-up
		// saturated channel is busy most of the time).
		b.ReportMetric(float64(d.Counters().BusyNs.Load())/1e9, "busy-ratio")
	}
}
