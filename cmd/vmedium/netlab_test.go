// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunNATDHCPBadInputExit2NothingBuilt: a lab config with a bad uplink
// or DHCP setting is refused with exit 2, a message naming the value and
// what is accepted, and nothing built (no control socket, no lab.json).
func TestRunNATDHCPBadInputExit2NothingBuilt(t *testing.T) {
	lab := func(apExtra, vw2 string) string {
		return `radios:
  - {name: vw0, role: ap, netns: vmbad0, ssid: lab, channel: 6, address: 10.0.0.1/24` + apExtra + `}
  - {name: vw1, role: sta, netns: vmbad1, ssid: lab, channel: 6, address: dhcp}
  - {name: vw2, role: sta, netns: vmbad2, ssid: lab, channel: 6, address: ` + vw2 + `}
`
	}
	for _, c := range []struct{ name, yaml, want string }{
		{"range overlaps a static address", lab(", dhcp: {range: 10.0.0.2-10.0.0.50}", "10.0.0.3/24"),
			"radios[0].dhcp.range: radio vw0: dhcp range 10.0.0.2-10.0.0.50 overlaps the static address 10.0.0.3 of radio vw2: accepted is a range that leaves the lab's static addresses out"},
		{"range includes the AP", lab(", dhcp: {range: 10.0.0.1-10.0.0.50}", "dhcp"),
			"dhcp range 10.0.0.1-10.0.0.50 includes the AP's own address 10.0.0.1: accepted is a range that leaves it out"},
		{"range outside the subnet", lab(", dhcp: {range: 192.168.1.10-192.168.1.20}", "dhcp"),
			"192.168.1.10 is outside the AP's subnet 10.0.0.0/24: accepted is a range inside it"},
		{"start after end", lab(", dhcp: {range: 10.0.0.90-10.0.0.80}", "dhcp"),
			"start 10.0.0.90 is after end 10.0.0.80: accepted is A-B with A ≤ B"},
		{"unknown mode", lab(", uplink: masquerade, dhcp: {range: 10.0.0.100-10.0.0.199}", "dhcp"),
			`radios[0].uplink.mode: radio vw0: invalid uplink mode "masquerade": accepted are nat and routed`},
		{"via missing", lab(", uplink: {mode: nat, via: vmnosuch0}, dhcp: {range: 10.0.0.100-10.0.0.199}", "dhcp"),
			`radios[0].uplink.via: radio vw0: uplink interface "vmnosuch0" not found in the host: accepted is an existing interface (there: `},
		{"uplink netns missing", lab(", uplink: {mode: nat, netns: vmnosuchwan}, dhcp: {range: 10.0.0.100-10.0.0.199}", "dhcp"),
			`uplink netns "vmnosuchwan" does not exist: accepted is an existing namespace (create it: ip netns add vmnosuchwan), or none for the host`},
		{"dhcp station without a server", lab(", uplink: nat", "dhcp"),
			"radios[1].address: radio vw1: address dhcp, but its AP vw0 serves no DHCP"},
	} {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "lab.yaml")
		if err := os.WriteFile(cfg, []byte(c.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var o, e bytes.Buffer
		code := dispatch([]string{"run", "--backend", "tap", "--config", cfg, "--socket", dir + "/s.sock", "--state-dir", dir, "--metrics-addr", "off"}, &o, &e)
		if code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("%s: exit %d stderr %q, want 2 and %q", c.name, code, e.String(), c.want)
		}
		for _, f := range []string{"s.sock", "lab.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
				t.Errorf("%s: %s created although the config was refused", c.name, f)
			}
		}
	}
}
