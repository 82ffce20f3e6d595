// SPDX-License-Identifier: MIT

package main

import (
	"strings"
	"testing"
)

func TestAirVerbPrintsChangesAndRefuses(t *testing.T) {
	e := start(t, sockPath(t), t.TempDir(), false)
	out := e.ok("air")
	for _, want := range []string{"errors: flat", "airtime: off", "propagation: log-distance exponent=3 ref_loss_db=40.2", "fading: none"} {
		if !strings.Contains(out, want) {
			t.Fatalf("vmctl air: %q lacks %q", out, want)
		}
	}
	out = e.ok("air", "--errors", "per", "--airtime", "account", "--propagation", "free-space", "--system-loss-db", "2")
	if !strings.Contains(out, "errors: per") || !strings.Contains(out, "propagation: free-space system_loss_db=2") {
		t.Fatalf("after change: %q", out)
	}
	if st := e.ok("status"); !strings.Contains(st, "air: errors per, airtime account, propagation free-space") {
		t.Fatalf("status: %q", st)
	}
	before := e.state()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"air", "--errors", "magic"}, `invalid --errors "magic": accepted is flat, per`},
		{[]string{"air", "--airtime", "now"}, `invalid --airtime "now": accepted is off, account, timed`},
		{[]string{"air", "--propagation", "tachyon"}, "accepted is log-distance, free-space, log-normal-shadowing, two-ray-ground, itu-indoor"},
		{[]string{"air", "--exponent", "2"}, "accepted is system_loss_db, ref_distance"},
		{[]string{"air", "--system-loss-db", "-5"}, "system_loss_db -5"},
		{[]string{"air", "--noise-floor", "loud"}, `invalid --noise-floor "loud"`},
		{[]string{"air", "--noise-floor", "0"}, "noise_floor_dbm 0"},
		{[]string{"air", "--fading", "log-normal", "--fading-sigma", "99"}, "sigma_db 99"},
		{[]string{"air", "--fading", "sometimes"}, "none, log-normal, rayleigh"},
		{[]string{"move", "vw1", "1", "2", "3", "--speed", "-2"}, "invalid speed -2: accepted is metres per second"},
		{[]string{"move", "vw1", "1", "2", "3", "--speed", "fast"}, `invalid speed "fast"`},
		{[]string{"move", "vw1", "1", "2", "3", "--speed", "1e9"}, "invalid speed 1e+09: accepted is metres per second from 0 (jump) to 1000"},
		{[]string{"move", "vw1", "1", "2", "NaN"}, `invalid coordinate z "NaN": accepted is a finite number of metres`},
		{[]string{"move", "vw1", "1", "2"}, "move takes a radio name and three coordinates"},
		{[]string{"move", "vw1", "1", "2", "3", "--fast"}, "accepted: --speed M/S, --json"},
		{[]string{"move", "nosuch", "1", "2", "3"}, `unknown radio "nosuch"`},
		{[]string{"air", "--fading-sigma", "3"}, "invalid fading sigma_db 3: accepted is 0 with fading none"},
		{[]string{"air", "--fading", "rayleigh", "--fading-sigma", "3"}, "invalid fading sigma_db 3: accepted is 0 with fading rayleigh"},
		{[]string{"air", "--fading", "log-normal", "--fading-sigma", "-1"}, "sigma_db -1: accepted is [0, 30]"},
		{[]string{"air", "--errors", ""}, `invalid --errors "": accepted is flat, per`},
		{[]string{"air", "--propagation", ""}, `invalid --propagation "": accepted is log-distance, free-space`},
		{[]string{"air", "--exponent", ""}, `invalid --exponent "": accepted is a number`},
		{[]string{"air", "--exponent", "NaN"}, `invalid --exponent "NaN": accepted is a number`},
		{[]string{"air", "--colour", "blue"}, "accepted: --airtime, --errors, --exponent"},
		{[]string{"air", "--propagation", "itu-indoor", "--floors", "1.5"}, "floors 1.5: accepted is a whole number from 0 to 20"},
		{[]string{"air", "--propagation", "log-normal-shadowing", "--seed", "-1"}, "seed -1: accepted is a whole number"},
		{[]string{"air", "--propagation", "two-ray-ground", "--tx-height", "0"}, "tx_height 0: accepted is [0.01, 1000]"},
		{[]string{"air", "--noise-floor", "-200"}, "noise_floor_dbm -200: accepted is [-130, -30]"},
		{[]string{"air", "extra"}, `unexpected argument "extra"`},
	} {
		code, stdout, stderr := e.vmctl(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("vmctl %v: exit %d stderr %q stdout %q, want 2 and %q", c.args, code, stderr, stdout, c.want)
		}
		if after := e.state(); after != before {
			t.Fatalf("vmctl %v changed the state", c.args)
		}
	}
	// Moving at a speed, with negative coordinates after the name.
	e.ok("move", "vw0", "0", "0", "0")
	e.ok("move", "vw1", "-1", "0", "0")
	if out := e.ok("move", "vw1", "-30", "0", "0", "--speed", "5"); !strings.Contains(out, "vw1 moving to (-30, 0, 0) m at 5 m/s") {
		t.Fatalf("move at speed: %q", out)
	}
	// links show SNR and the fastest rate.
	if out := e.ok("links"); !strings.Contains(out, "SNR") || !strings.Contains(out, "MAX RATE") || !strings.Contains(out, "Mbit/s") {
		t.Fatalf("links: %q", out)
	}
	// The air model survives a restart.
	e.shutdown()
}
