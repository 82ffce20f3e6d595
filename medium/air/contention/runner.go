// SPDX-License-Identifier: MIT

package contention

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Runner runs one Domain live: one goroutine that sleeps on the clock
// until the domain's next event, processes every event that is due, and
// takes frames submitted from other goroutines. It never scales time:
// when the host cannot keep up, events run late and the lateness is
// measured and exported (see Lateness).
type Runner struct {
	d     *Domain
	clock Clock

	mu    sync.Mutex
	inbox []Job
	spare []Job

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	once sync.Once

	late Lateness
	opts RunnerOptions
	// waiters counts callers blocked until an exchange ends (SpinOnDemand).
	waiters atomic.Int32
	// idle, when set (tests), is called each time the loop goes to sleep.
	idle func()
}

// Lateness is how far behind its schedule a runner processes events:
// wall time at processing minus the event's simulated time.
type Lateness struct {
	Count atomic.Uint64
	SumNs atomic.Int64
	MaxNs atomic.Int64
	// Buckets[i] counts events late by [2^(i−1), 2^i) µs; Buckets[0] is
	// under 1 µs, the last bucket everything from 2^14 µs (16 ms) up.
	Buckets [16]atomic.Uint64
}

func (l *Lateness) record(d time.Duration) {
	l.Count.Add(1)
	l.SumNs.Add(int64(d))
	for {
		m := l.MaxNs.Load()
		if int64(d) <= m || l.MaxNs.CompareAndSwap(m, int64(d)) {
			break
		}
	}
	b := bits.Len64(uint64(d / time.Microsecond))
	if b >= len(l.Buckets) {
		b = len(l.Buckets) - 1
	}
	l.Buckets[b].Add(1)
}

// Quantile returns an upper bound of the q-quantile (0 < q ≤ 1) from the
// buckets.
func (l *Lateness) Quantile(q float64) time.Duration {
	n := l.Count.Load()
	if n == 0 {
		return 0
	}
	want := uint64(q * float64(n))
	var acc uint64
	for i := range l.Buckets {
		acc += l.Buckets[i].Load()
		if acc >= want {
			if i == 0 {
				return time.Microsecond
			}
			return time.Duration(1<<i) * time.Microsecond
		}
	}
	return time.Duration(l.MaxNs.Load())
}

// RunnerOptions tune a Runner.
type RunnerOptions struct {
	// SpinBelow: waits this short are spent polling the clock (yielding
	// the processor between polls) instead of sleeping on a timer. Go's
	// timers wake about 1 ms late on Linux for short sleeps, which would
	// make every event of a busy channel 1 ms late; spinning buys µs
	// accuracy with CPU while the domain has traffic. 0 never spins (use
	// it with a SimClock, whose time does not move while polled).
	SpinBelow time.Duration
	// SpinOnDemand: spin only while a caller waits synchronously for an
	// exchange to end (AddWaiter). A radio that gets its TX status by
	// callback keeps several frames queued and needs no µs accuracy, and
	// on a machine with one or two CPUs (a TCG guest) the spinning takes
	// the CPU its own frames need: a QEMU guest's hwsim link at 6 Mbit/s
	// carried 2–3 Mbit/s with the runner spinning (events 40 ms late on
	// average), 5.2 Mbit/s without (1.7 ms).
	SpinOnDemand bool
}

// DefaultRunnerOptions spins for waits under 1 ms.
func DefaultRunnerOptions() RunnerOptions { return RunnerOptions{SpinBelow: time.Millisecond} }

// NewRunner wraps d; Start begins the goroutine.
func NewRunner(d *Domain, c Clock, opts RunnerOptions) *Runner {
	return &Runner{d: d, clock: c, opts: opts, wake: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{}), inbox: make([]Job, 0, 64), spare: make([]Job, 0, 64)}
}

// Lateness returns the runner's lateness metrics.
func (r *Runner) Lateness() *Lateness { return &r.late }

// Domain returns the domain (its Counters are safe to read concurrently).
func (r *Runner) Domain() *Domain { return r.d }

// Submit hands a frame to the air from any goroutine. The handler's
// callbacks run later on the runner's goroutine.
func (r *Runner) Submit(j Job) {
	r.mu.Lock()
	r.inbox = append(r.inbox, j)
	r.mu.Unlock()
	r.kick()
}

// AddWaiter counts a caller that blocks until its frame's exchange ends
// (+1 before Submit, −1 once woken): with SpinOnDemand the runner spins
// through short waits only while one does.
func (r *Runner) AddWaiter(delta int) {
	if r.waiters.Add(int32(delta)) == int32(delta) && delta > 0 {
		r.kick() // a sleeping loop re-decides how to wait
	}
}

func (r *Runner) kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// spinning reports whether short waits are spun now.
func (r *Runner) spinning() bool {
	return r.opts.SpinBelow > 0 && (!r.opts.SpinOnDemand || r.waiters.Load() > 0)
}

// Start runs the loop on a new goroutine.
func (r *Runner) Start() { go r.loop() }

// Stop ends the loop and waits for it.
func (r *Runner) Stop() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}

const idleWait = time.Hour

func (r *Runner) loop() {
	defer close(r.done)
	timer := r.clock.NewTimer(idleWait)
	defer timer.Stop()
	for {
		now := r.clock.Now()
		// Everything due, in order; lateness is measured per event.
		for {
			at, ok := r.d.Next()
			if !ok || at > now {
				break
			}
			r.late.record(now - at)
			r.d.Step()
		}
		r.mu.Lock()
		jobs := r.inbox
		r.inbox, r.spare = r.spare[:0], jobs
		r.mu.Unlock()
		for _, j := range jobs {
			r.d.Enqueue(j, now)
		}
		if len(jobs) > 0 {
			continue // enqueuing may have made events due now
		}
		wait := idleWait
		if at, ok := r.d.Next(); ok {
			wait = at - now
			if r.spinning() {
				if wait <= r.opts.SpinBelow {
					if !r.spin(at) {
						return
					}
					continue
				}
				// Sleep until shortly before, then spin the rest.
				wait -= r.opts.SpinBelow
			}
		}
		timer.Reset(wait)
		if r.idle != nil {
			r.idle()
		}
		select {
		case <-timer.C():
		case <-r.wake:
		case <-r.stop:
			return
		}
	}
}

// spin polls the clock until at, a submission or Stop (false).
func (r *Runner) spin(at time.Duration) bool {
	for r.clock.Now() < at {
		select {
		case <-r.wake:
			return true
		case <-r.stop:
			return false
		default:
		}
		runtime.Gosched()
	}
	return true
}
