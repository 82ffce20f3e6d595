// SPDX-License-Identifier: MIT

package contention

import (
	"sync"
	"time"
)

// Clock is the time source of a live scheduler: the wall clock in
// production, a simulated clock in tests. Times are durations since the
// clock's origin.
type Clock interface {
	Now() time.Duration
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer of a Clock.
type Timer interface {
	C() <-chan struct{}
	// Reset re-arms the timer to fire after d (whether or not it fired).
	Reset(d time.Duration)
	Stop()
}

// WallClock is the host's monotonic clock.
type WallClock struct{ origin time.Time }

// NewWallClock starts a wall clock at zero now.
func NewWallClock() *WallClock { return &WallClock{origin: time.Now()} }

// Now is the time since the clock started.
func (w *WallClock) Now() time.Duration { return time.Since(w.origin) }

// NewTimer wraps time.Timer.
func (w *WallClock) NewTimer(d time.Duration) Timer {
	t := &wallTimer{c: make(chan struct{}, 1)}
	t.t = time.AfterFunc(d, t.fire)
	return t
}

type wallTimer struct {
	t *time.Timer
	c chan struct{}
}

func (t *wallTimer) fire() {
	select {
	case t.c <- struct{}{}:
	default:
	}
}
func (t *wallTimer) C() <-chan struct{}    { return t.c }
func (t *wallTimer) Reset(d time.Duration) { t.t.Reset(d) }
func (t *wallTimer) Stop()                 { t.t.Stop() }

// SimClock is a manually advanced clock for tests: time only moves when
// Advance is called, and timers due by then fire.
type SimClock struct {
	mu     sync.Mutex
	now    time.Duration
	timers []*simTimer
}

// NewSimClock returns a simulated clock at zero.
func NewSimClock() *SimClock { return &SimClock{} }

// Now is the simulated time.
func (s *SimClock) Now() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// Advance moves time forward by d and fires the timers that fall due; it
// returns how many fired.
func (s *SimClock) Advance(d time.Duration) int {
	s.mu.Lock()
	s.now += d
	now := s.now
	var due []*simTimer
	for _, t := range s.timers {
		if t.armed && t.at <= now {
			t.armed = false
			due = append(due, t)
		}
	}
	s.mu.Unlock()
	for _, t := range due {
		select {
		case t.c <- struct{}{}:
		default:
		}
	}
	return len(due)
}

// NewTimer returns a timer firing when the simulated time reaches now+d.
func (s *SimClock) NewTimer(d time.Duration) Timer {
	t := &simTimer{s: s, c: make(chan struct{}, 1)}
	s.mu.Lock()
	s.timers = append(s.timers, t)
	s.mu.Unlock()
	t.Reset(d)
	return t
}

type simTimer struct {
	s     *SimClock
	c     chan struct{}
	at    time.Duration
	armed bool
}

func (t *simTimer) C() <-chan struct{} { return t.c }

func (t *simTimer) Reset(d time.Duration) {
	t.s.mu.Lock()
	t.at, t.armed = t.s.now+d, true
	fire := d <= 0
	if fire {
		t.armed = false
	}
	t.s.mu.Unlock()
	if fire {
		select {
		case t.c <- struct{}{}:
		default:
		}
	}
}

func (t *simTimer) Stop() {
	t.s.mu.Lock()
	t.armed = false
	t.s.mu.Unlock()
}
