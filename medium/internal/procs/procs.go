// SPDX-License-Identifier: MIT

// Package procs lends the Go scheduler one extra P (GOMAXPROCS) for each
// goroutine that sleeps in a system call on its own locked OS thread.
//
// Why: a P is the runtime's right to run Go code. A reader goroutine that
// handles a burst of frames and then sleeps in an ordinary blocking system
// call on a locked thread (the TAP reader in poll(2)) leaves its P marked
// "in a syscall". With GOMAXPROCS equal to the number of CPUs there is then
// no idle P, so the runtime's monitor thread retakes the sleeping reader's
// P after about 20 µs, hands it off, keeps polling every 20 µs instead of
// backing off, and the reader must win a P back on every wake-up. Measured
// on the lab benchmark (BENCHMARKS.md) the hand-offs cost 15–20 % of the
// process's CPU. So each such reader reserves one P while it runs and gives
// it back when it stops: the rest of the program keeps the Ps it had, and
// the OS, not the Go scheduler, shares the CPUs between the reader threads.
//
// It is not a cure for every scheduler cost: the hwsim receive loop (a raw
// recvmmsg(2) that keeps its P) measured no gain with a reserved P, since
// the monitor preempts a goroutine that has run for 10 ms whether or not a
// P is idle (BENCHMARKS.md, hwsim section). Measure before adding a user.
//
// Reservations are relative (GOMAXPROCS(0)+1 on Reserve, -1 on release) so
// they compose with any other setting the program made, and they are
// serialised by one lock so concurrent readers never lose an update.
package procs

import (
	"runtime"
	"sync"
)

var (
	mu       sync.Mutex
	reserved int // outstanding reservations, for Reserved
)

// Reserve raises GOMAXPROCS by one and returns the function that lowers it
// again. The release function is idempotent: calling it more than once
// gives the P back only once. Reserve and release are safe for concurrent
// use; each changes GOMAXPROCS, which stops the world briefly, so call
// them when a reader starts and stops, not per frame.
func Reserve() (release func()) {
	mu.Lock()
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	reserved++
	mu.Unlock()
	var once sync.Once
	return func() { once.Do(unreserve) }
}

func unreserve() {
	mu.Lock()
	defer mu.Unlock()
	reserved--
	if n := runtime.GOMAXPROCS(0) - 1; n >= 1 {
		runtime.GOMAXPROCS(n)
	}
}

// Reserved reports how many reservations are outstanding.
func Reserved() int {
	mu.Lock()
	defer mu.Unlock()
	return reserved
}
