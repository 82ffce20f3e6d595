// SPDX-License-Identifier: MIT

package tap

import (
	"runtime"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/internal/procs"
)

// TestReaderReservesP: a serving device holds one extra P (package procs)
// and Close gives it back before it returns.
func TestRootReaderReservesP(t *testing.T) {
	needRoot(t)
	ns := testNS(t)
	d, err := Open(Config{Name: "vwt1", Netns: ns, MAC: frames.MAC{0x02, 0, 0, 0, 0xaa, 0x03}, MTU: 1500})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base, procsBase := procs.Reserved(), runtime.GOMAXPROCS(0)
	d.Serve(make(chanSender, 64))
	// The reader reserves its P when it starts running.
	for deadline := time.Now().Add(5 * time.Second); procs.Reserved() != base+1; {
		if time.Now().After(deadline) {
			t.Fatalf("serving reader: %d reservations, want %d", procs.Reserved(), base+1)
		}
		time.Sleep(time.Millisecond)
	}
	if got := runtime.GOMAXPROCS(0); got != procsBase+1 {
		t.Fatalf("GOMAXPROCS while serving = %d, want %d", got, procsBase+1)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got := procs.Reserved(); got != base {
		t.Fatalf("after Close: %d reservations, want %d", got, base)
	}
	if got := runtime.GOMAXPROCS(0); got != procsBase {
		t.Fatalf("GOMAXPROCS after Close = %d, want %d", got, procsBase)
	}
}
