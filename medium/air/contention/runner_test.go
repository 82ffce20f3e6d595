// SPDX-License-Identifier: MIT

package contention

import (
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/air"
)

type recorder struct {
	mu      sync.Mutex
	deliver []time.Duration
	done    []time.Duration
	doneCh  chan struct{}
}

func (r *recorder) Deliver(j *Job, rx int, md air.Mode, sig float64, at time.Duration) {
	r.mu.Lock()
	r.deliver = append(r.deliver, at)
	r.mu.Unlock()
}

func (r *recorder) Done(j *Job, o *air.Outcome, at time.Duration) {
	r.mu.Lock()
	r.done = append(r.done, at)
	r.mu.Unlock()
	if r.doneCh != nil {
		r.doneCh <- struct{}{}
	}
}

// On the simulated clock the runner delivers at the end of the data PPDU
// and reports at the end of the exchange, never earlier than the clock.
func TestRunnerSimClock(t *testing.T) {
	clk := NewSimClock()
	rec := &recorder{}
	d, err := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -40), Seed: 1}, rec)
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(d, clk, RunnerOptions{})
	idle := make(chan struct{}, 1)
	r.idle = func() {
		select {
		case idle <- struct{}{}:
		default:
		}
	}
	r.Start()
	defer r.Stop()
	<-idle
	md := air.Legacy(air.Rate54)
	r.Submit(Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 4, air.ProtectNone), AC: air.ACLegacy})
	<-idle
	// Data PPDU 244 µs after DIFS (34) + backoff (0…15 slots of 9).
	step := time.Microsecond
	var deliveredAt, clockAtDeliver time.Duration
	for range 2000 {
		if clk.Advance(step) > 0 {
			<-idle
		}
		rec.mu.Lock()
		n := len(rec.deliver)
		if n > 0 && deliveredAt == 0 {
			deliveredAt, clockAtDeliver = rec.deliver[0], clk.Now()
		}
		doneN := len(rec.done)
		rec.mu.Unlock()
		if doneN > 0 {
			break
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.deliver) != 1 || len(rec.done) != 1 {
		t.Fatalf("delivered %d, done %d", len(rec.deliver), len(rec.done))
	}
	lo, hi := (34+244)*time.Microsecond, (34+15*9+244)*time.Microsecond
	if deliveredAt < lo || deliveredAt > hi {
		t.Errorf("delivered at %v, want within [%v, %v]", deliveredAt, lo, hi)
	}
	if clockAtDeliver < deliveredAt {
		t.Errorf("delivered before its time: clock %v, event %v", clockAtDeliver, deliveredAt)
	}
	// TX status after SIFS + ACK (24 Mbit/s, 28 µs).
	if got := rec.done[0] - deliveredAt; got != 44*time.Microsecond {
		t.Errorf("status %v after delivery, want 44µs", got)
	}
	if m := time.Duration(r.Lateness().MaxNs.Load()); m > step {
		t.Errorf("lateness %v with 1 µs clock steps", m)
	}
}

// On the wall clock, timed delivery really takes the air's time, and the
// lateness is measured.
func TestRunnerWallClock(t *testing.T) {
	rec := &recorder{doneCh: make(chan struct{}, 256)}
	d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -40), Seed: 1}, rec)
	r := NewRunner(d, NewWallClock(), DefaultRunnerOptions())
	r.Start()
	defer r.Stop()
	md := air.Legacy(air.Rate6)
	const n = 20
	start := time.Now()
	for range n {
		r.Submit(Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 4, air.ProtectNone), AC: air.ACLegacy})
	}
	for range n {
		select {
		case <-rec.doneCh:
		case <-time.After(5 * time.Second):
			t.Fatal("frames not done")
		}
	}
	el := time.Since(start)
	// Each exchange is at least DIFS + 2024 µs + SIFS + 44 µs.
	if min := n * 2118 * time.Microsecond; el < min {
		t.Errorf("%d frames at 6 Mbit/s took %v, air needs at least %v", n, el, min)
	}
	l := r.Lateness()
	if l.Count.Load() == 0 {
		t.Error("no lateness recorded")
	}
	t.Logf("%d frames in %v; lateness mean %v max %v p99 ≤ %v", n, el,
		time.Duration(l.SumNs.Load()/int64(l.Count.Load())), time.Duration(l.MaxNs.Load()), l.Quantile(0.99))
}

// With SpinOnDemand the runner sleeps through short waits unless a caller
// waits for an exchange (AddWaiter): then it spins and does not sleep
// between the events of back-to-back exchanges.
func TestRunnerSpinOnDemand(t *testing.T) {
	for _, waiter := range []bool{false, true} {
		rec := &recorder{doneCh: make(chan struct{}, 256)}
		d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -40), Seed: 1}, rec)
		opts := DefaultRunnerOptions()
		opts.SpinOnDemand = true
		r := NewRunner(d, NewWallClock(), opts)
		var mu sync.Mutex
		sleeps := 0
		r.idle = func() { mu.Lock(); sleeps++; mu.Unlock() }
		if waiter {
			r.AddWaiter(1)
		}
		// Every wait of a 54 Mbit/s exchange is under SpinBelow.
		const n = 50
		for range n {
			r.Submit(Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(air.Legacy(air.Rate54), 4, air.ProtectNone), AC: air.ACLegacy})
		}
		r.Start()
		for range n {
			select {
			case <-rec.doneCh:
			case <-time.After(5 * time.Second):
				t.Fatal("frames not done")
			}
		}
		r.Stop()
		mu.Lock()
		got := sleeps
		mu.Unlock()
		switch {
		case waiter && got > 2:
			t.Errorf("with a waiter the runner slept %d times during %d exchanges, want it to spin", got, n)
		case !waiter && got <= 2:
			t.Errorf("without waiters the runner slept %d times during %d exchanges, want it to sleep between events", got, n)
		}
	}
}
