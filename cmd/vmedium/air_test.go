// SPDX-License-Identifier: MIT

package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
)

// The air model of the saved runtime state wins over the config's; a
// state saved before the air model existed keeps the config's.
func TestRestoreRulesAirSavedWins(t *testing.T) {
	cfg := lab.DefaultConfig()
	cfg.Air = &lab.AirConfig{Errors: medium.ErrorsPER, Airtime: medium.AirtimeAccount}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	m := medium.New(medium.Options{})
	restoreRules(m, cfg, &medium.State{}, "state.json", log)
	if a := m.Air(); a.Errors != medium.ErrorsPER || a.Airtime != medium.AirtimeAccount {
		t.Fatalf("old state: air %+v, want the config's", a)
	}
	saved := &medium.State{Air: &medium.AirConfig{Errors: medium.ErrorsFlat, Airtime: medium.AirtimeTimed}}
	m2 := medium.New(medium.Options{})
	defer m2.Close()
	restoreRules(m2, cfg, saved, "state.json", log)
	if a := m2.Air(); a.Errors != medium.ErrorsFlat || a.Airtime != medium.AirtimeTimed {
		t.Fatalf("saved air %+v, want the saved one", a)
	}
}
