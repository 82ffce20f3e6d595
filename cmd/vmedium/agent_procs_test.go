// SPDX-License-Identifier: MIT

package main

import (
	"runtime"
	"testing"
)

// A 1-vCPU guest starts the agent with one P; it must run with two, or the
// host's answers wait behind the hwsim loop's blocking receive. A GOMAXPROCS
// the user set is left alone.
func TestEnsureAgentProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	t.Setenv("GOMAXPROCS", "")
	runtime.GOMAXPROCS(1)
	if n, raised := ensureAgentProcs(); n != minAgentProcs || !raised {
		t.Fatalf("from 1 P: got %d, raised %v; want %d, raised", n, raised, minAgentProcs)
	}
	if got := runtime.GOMAXPROCS(0); got != minAgentProcs {
		t.Fatalf("GOMAXPROCS after: %d, want %d", got, minAgentProcs)
	}

	runtime.GOMAXPROCS(4)
	if n, raised := ensureAgentProcs(); n != 4 || raised {
		t.Fatalf("from 4 Ps: got %d, raised %v; want 4 untouched", n, raised)
	}

	t.Setenv("GOMAXPROCS", "1")
	runtime.GOMAXPROCS(1)
	if n, raised := ensureAgentProcs(); n != 1 || raised {
		t.Fatalf("GOMAXPROCS=1 set by the user: got %d, raised %v; want 1 untouched", n, raised)
	}
}
