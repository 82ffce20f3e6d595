// SPDX-License-Identifier: MIT

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

// TestRadioStateRoundTrip: the agent's record of its radios survives a
// write and read, and a damaged file reads as what it still holds.
func TestRadioStateRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sub", "agent-vmA.radios")
	a := frames.MAC{0x06, 0x35, 0x06, 0x90, 0xba, 0}
	b := frames.MAC{0x06, 0x35, 0x06, 0x90, 0xba, 1}
	if err := saveRadioState(p, []ownRadio{{id: 3, addr: a}, {id: 7, addr: b}}); err != nil {
		t.Fatal(err)
	}
	got := loadRadioState(p)
	if len(got) != 2 || got[3] != a || got[7] != b {
		t.Fatalf("read back %v", got)
	}
	if err := os.WriteFile(p, []byte("3 06:35:06:90:ba:00\ngarbage\n9 not-a-mac\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := loadRadioState(p); len(got) != 1 || got[3] != a {
		t.Fatalf("damaged file read as %v", got)
	}
	if got := loadRadioState(filepath.Join(t.TempDir(), "none")); len(got) != 0 {
		t.Fatalf("missing file read as %v", got)
	}
}
