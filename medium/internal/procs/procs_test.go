// SPDX-License-Identifier: MIT

package procs

import (
	"runtime"
	"sync"
	"testing"
)

func TestReserveRelease(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	r1 := Reserve()
	r2 := Reserve()
	if got := runtime.GOMAXPROCS(0); got != base+2 {
		t.Fatalf("GOMAXPROCS after two reservations = %d, want %d", got, base+2)
	}
	if got := Reserved(); got != 2 {
		t.Fatalf("Reserved() = %d, want 2", got)
	}
	r1()
	r1() // idempotent: must not give back a second P
	if got := runtime.GOMAXPROCS(0); got != base+1 {
		t.Fatalf("GOMAXPROCS after releasing one reservation twice = %d, want %d", got, base+1)
	}
	r2()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS after releasing all = %d, want %d", got, base)
	}
	if got := Reserved(); got != 0 {
		t.Fatalf("Reserved() = %d, want 0", got)
	}
}

// TestConcurrent checks that concurrent reservations and releases never
// lose an update (they are read-modify-write on GOMAXPROCS).
func TestConcurrent(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	const n = 16
	rels := make([]func(), n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { rels[i] = Reserve() })
	}
	wg.Wait()
	if got := runtime.GOMAXPROCS(0); got != base+n {
		t.Fatalf("GOMAXPROCS after %d concurrent reservations = %d, want %d", n, got, base+n)
	}
	for i := range n {
		wg.Go(rels[i])
	}
	wg.Wait()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Fatalf("GOMAXPROCS after concurrent releases = %d, want %d", got, base)
	}
}

// TestFloor: a release never takes GOMAXPROCS below one, even when the
// program lowered it in between.
func TestFloor(t *testing.T) {
	base := runtime.GOMAXPROCS(0)
	defer runtime.GOMAXPROCS(base)
	r := Reserve()
	runtime.GOMAXPROCS(1)
	r()
	if got := runtime.GOMAXPROCS(0); got != 1 {
		t.Fatalf("GOMAXPROCS after release at 1 = %d, want 1", got)
	}
}
