// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
)

func TestMergeState(t *testing.T) {
	s1, s2, s3 := -40.0, -60.0, -70.0
	cur := medium.State{
		Links:     []medium.LinkState{{Src: "a", Dst: "b", SignalDBm: &s1}, {Src: "b", Dst: "c", SignalDBm: &s2}},
		Positions: map[string]medium.Position{"a": {X: 1}, "c": {Z: 3}},
		Deny:      []denylist.Pair{{Src: "a", Dst: "c"}},
	}
	saved := medium.State{
		Links:     []medium.LinkState{{Src: "a", Dst: "b", SignalDBm: &s3}},
		Positions: map[string]medium.Position{"a": {X: 9}},
		Deny:      []denylist.Pair{{Src: "b", Dst: "a"}},
	}
	got := mergeState(cur, saved)
	links := map[string]float64{}
	for _, l := range got.Links {
		links[l.Src+l.Dst] = *l.SignalDBm
	}
	if !reflect.DeepEqual(links, map[string]float64{"ab": -70, "bc": -60}) {
		t.Errorf("links %v", links)
	}
	if !reflect.DeepEqual(got.Positions, map[string]medium.Position{"a": {X: 9}, "c": {Z: 3}}) {
		t.Errorf("positions %v", got.Positions)
	}
	if !reflect.DeepEqual(got.Deny, saved.Deny) {
		t.Errorf("deny %v", got.Deny)
	}
}

func TestRunFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--backend", "wifi"}, `invalid --backend "wifi": accepted are auto, kmod, hwsim, tap`},
		{[]string{"--log-level", "loud"}, `invalid --log-level "loud": accepted are debug, info, warn, error`},
		{[]string{"--metrics-addr", "9380"}, `invalid --metrics-addr "9380"`},
		{[]string{"--seed", "x"}, `invalid value "x" for flag -seed`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--attach", "--backend", "tap"}, "--attach serves existing vmedium.ko or mac80211_hwsim radios: it works with --backend kmod, hwsim (or auto), not --backend tap"},
		{[]string{"--attach", "--config", "lab.yaml"}, "--attach builds no lab, so --config has nothing to describe"},
		{[]string{"--attach", "--reuse-netns"}, "--attach creates no namespaces, so --reuse-netns has no meaning"},
		{[]string{"--no-lab"}, "without --guests ADDR the medium would stay empty"},
		{[]string{"--no-lab", "--guests", "unix:/tmp/g", "--attach"}, "--no-lab and --attach both replace the lab"},
		{[]string{"--no-lab", "--guests", "unix:/tmp/g", "--backend", "tap"}, "--no-lab builds no radios of kind tap"},
		{[]string{"--guests", "virtio:org.vmedium.air"}, "the host listens on unix:PATH or tcp:HOST:PORT"},
		{[]string{"--guests", "vsock:3:1"}, `unknown transport scheme "vsock"`},
		{[]string{"--backend", "guest"}, `invalid --backend "guest": accepted are auto, kmod, hwsim, tap`},
	} {
		var o, e bytes.Buffer
		if code := dispatch(append([]string{"run"}, c.args...), &o, &e); code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("run %v: exit %d stderr %q, want 2 and %q", c.args, code, e.String(), c.want)
		}
	}
	f, err := parseRunFlags([]string{"--metrics-addr", "off", "--reset", "--seed", "42"}, &bytes.Buffer{})
	if err != nil || f.metricsAddr != "" || !f.reset || f.seed != 42 || f.socket != "/run/vmedium/vmedium.sock" || f.stateDir != "/var/lib/vmedium" {
		t.Fatalf("flags %+v %v", f, err)
	}
	f, err = parseRunFlags([]string{"--attach"}, &bytes.Buffer{})
	if err != nil || !f.attach || f.backend != "auto" {
		t.Fatalf("--attach: flags %+v %v, want attach with backend auto (every loaded kind)", f, err)
	}
	var o, e bytes.Buffer
	if code := dispatch([]string{"run", "-h"}, &o, &e); code != 0 || !strings.Contains(e.String(), "-attach") {
		t.Errorf("run -h: exit %d, help without -attach:\n%s", code, e.String())
	}
}

func TestRunWithBadConfigFails(t *testing.T) {
	dir := t.TempDir()
	cfg := dir + "/lab.yaml"
	os.WriteFile(cfg, []byte("radios:\n  - {name: vw0, role: ap, bogus: 1}\n"), 0o644)
	var o, e bytes.Buffer
	code := dispatch([]string{"run", "--config", cfg, "--socket", dir + "/s.sock", "--state-dir", dir, "--metrics-addr", "off"}, &o, &e)
	if code != 2 || !strings.Contains(e.String(), "line 2") {
		t.Fatalf("exit %d stderr %q: want 2 (bad input) and an error with the line number", code, e.String())
	}
	if _, err := os.Stat(dir + "/s.sock"); !os.IsNotExist(err) {
		t.Fatal("socket created although the config was refused")
	}
}

// Bad air and mobility settings in the lab config: exit 2, the bad value
// and the accepted ones named, nothing started.
func TestRunBadAirConfigExits2(t *testing.T) {
	const radios = "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: v, channel: 6, address: 10.0.0.1/24%s}\n"
	for _, c := range []struct{ air, radio, want string }{
		{"air: {errors: fancy}\n", "", `invalid errors model "fancy": accepted is flat, per`},
		{"air: {airtime: sometimes}\n", "", "accepted is off, account, timed"},
		{"air: {propagation: moon}\n", "", `invalid propagation model "moon": accepted is log-distance, free-space`},
		{"air: {propagation: {model: log-distance, exponent: -3}}\n", "", "exponent -3: accepted is [1, 8]"},
		{"air: {noise_floor_dbm: 10}\n", "", "noise_floor_dbm 10: accepted is [-130, -30]"},
		{"air: {fading: {kind: rayleigh, sigma_db: 3}}\n", "", "sigma_db 3: accepted is 0 with fading rayleigh"},
		{"air: {bogus: 1}\n", "", `unknown setting "bogus": accepted are errors, airtime`},
		{"", ", path: [{x: 1, y: 0, z: 0, speed: -1}]", "invalid speed -1: accepted is metres per second"},
		{"", ", mobility: {model: brownian}", `invalid mobility model "brownian": accepted is random-waypoint`},
	} {
		dir := t.TempDir()
		cfg := dir + "/lab.yaml"
		if err := os.WriteFile(cfg, []byte(c.air+fmt.Sprintf(radios, c.radio)), 0o644); err != nil {
			t.Fatal(err)
		}
		var o, e bytes.Buffer
		code := dispatch([]string{"run", "--config", cfg, "--socket", dir + "/s.sock", "--state-dir", dir, "--metrics-addr", "off"}, &o, &e)
		if code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("%q%q: exit %d stderr %q, want 2 and %q", c.air, c.radio, code, e.String(), c.want)
		}
		if _, err := os.Stat(dir + "/s.sock"); !os.IsNotExist(err) {
			t.Fatalf("%q%q: socket created although the config was refused", c.air, c.radio)
		}
	}
}

func TestDoctorAndVersion(t *testing.T) {
	checks := lab.CheckKinds()
	if len(checks) != len(lab.Kinds) {
		t.Fatalf("checks %+v, want one per kind of the table", checks)
	}
	for i, k := range lab.Kinds {
		if checks[i].Kind != k.Name {
			t.Fatalf("check %d is %s, want the table's order (%s)", i, checks[i].Kind, k.Name)
		}
	}
	usable := false
	for _, c := range checks {
		if c.Usable != (len(c.Reasons) == 0) {
			t.Errorf("%s: usable=%v with reasons %q", c.Kind, c.Usable, c.Reasons)
		}
		if c.NoLab {
			// Guest and VM NIC radios need nothing on the host; they do
			// not make the machine able to build a lab.
			if !c.Usable || (c.Kind != medium.KindGuest && c.Kind != medium.KindVMNIC) {
				t.Errorf("%s: %+v, want the usable guest or vmnic kind", c.Kind, c)
			}
			continue
		}
		usable = usable || c.Usable
		if os.Geteuid() != 0 && (c.Usable || !strings.Contains(c.Reasons[0], "not root")) {
			t.Errorf("%s as non-root: %+v, want a not-root reason", c.Kind, c)
		}
	}
	if _, err := os.Stat("/proc/modules"); err != nil {
		// This machine: no module support, so the kernel kinds cannot run
		// and doctor must say so.
		for _, c := range checks {
			if c.Kind == medium.KindTap || c.NoLab {
				continue
			}
			if c.Usable || !strings.Contains(strings.Join(c.Reasons, "\n"), "no loadable module support") {
				t.Errorf("%s without module support: %+v", c.Kind, c)
			}
		}
	}
	var o, e bytes.Buffer
	code := dispatch([]string{"doctor", "--json"}, &o, &e)
	var doc struct {
		Kinds  []lab.Check `json:"kinds"`
		Usable bool        `json:"usable"`
	}
	if err := json.Unmarshal(o.Bytes(), &doc); err != nil {
		t.Fatalf("doctor --json: %v in %q", err, o.String())
	}
	if doc.Usable != usable || (code == 0) != usable || len(doc.Kinds) != len(lab.Kinds) {
		t.Fatalf("doctor --json: exit %d %+v (usable %v)", code, doc, usable)
	}
	o.Reset()
	dispatch([]string{"doctor"}, &o, &e)
	if !strings.Contains(o.String(), "tap:") || !strings.Contains(o.String(), "kmod:") {
		t.Fatalf("doctor:\n%s", o.String())
	}
	o.Reset()
	if code := dispatch([]string{"version"}, &o, &e); code != 0 || !strings.HasPrefix(o.String(), "vmedium dev (go1.") {
		t.Fatalf("version: %d %q", code, o.String())
	}
	if code := dispatch([]string{"fly"}, &o, &e); code != 2 {
		t.Fatalf("unknown verb: exit %d", code)
	}
}
