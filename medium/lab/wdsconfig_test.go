// SPDX-License-Identifier: MIT

package lab

import (
	"strings"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

// The four-address keys and lans: parse, and every misuse is refused with
// the field's line and what is accepted.
func TestWDSConfig(t *testing.T) {
	const good = `radios:
  - {name: vw0, role: ap,  netns: ns0, ssid: x, channel: 6, address: 10.0.0.1/24, wds_sta: true}
  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, address: 10.0.0.2/24, wds: true}
lans:
  - {name: lan1, station: vw1, address: 10.0.0.10/24}
  - {name: lan2, station: vw1, address: 10.0.0.11/24, mac: 02:00:00:0a:00:01}
`
	c, err := ParseConfig("t.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Radios[0].WDSSta || c.Radios[0].WDS || !c.Radios[1].WDS || len(c.LANsOf("vw1")) != 2 || len(c.LANsOf("vw0")) != 0 {
		t.Fatalf("parsed %+v", c)
	}
	if m, _ := c.LANs[0].HWAddr(0); m != (frames.MAC{2, 0, 0, 1, 0, 0}) {
		t.Errorf("default LAN MAC %s", m)
	}
	if m, _ := c.LANs[1].HWAddr(1); m != (frames.MAC{2, 0, 0, 0x0a, 0, 1}) {
		t.Errorf("LAN MAC %s", m)
	}

	const head = "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6, address: 10.0.0.1/24}\n  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, address: 10.0.0.2/24}\n"
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"wds on an AP", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6, wds: true}\n", []string{"t.yaml:2:", "radios[0].wds", "is an AP", "wds_sta: true"}},
		{"wds_sta on a station", head + "  - {name: vw2, role: sta, netns: ns2, ssid: x, channel: 6, wds_sta: true}\n", []string{"t.yaml:4:", "radios[2].wds_sta", "is a station", "wds: true"}},
		{"wds on hwsim", head + "  - {name: vw2, kind: hwsim, role: sta, netns: ns2, ssid: x, channel: 6, wds: true}\n", []string{"radios[2].wds", "tap and vmnic radios only", "4addr"}},
		{"wds not a bool", head + "  - {name: vw2, role: sta, netns: ns2, ssid: x, channel: 6, wds: maybe}\n", []string{"line 4", "maybe"}},
		{"lan unknown station", head + "lans:\n  - {name: lan1, station: vw9, address: 10.0.0.10/24}\n", []string{"t.yaml:5:", `unknown radio "vw9"`, "vw0, vw1"}},
		{"lan behind an AP", head + "lans:\n  - {name: lan1, station: vw0, address: 10.0.0.10/24}\n", []string{"lans[0].station", "is an AP", "a station"}},
		{"lan outside subnet", head + "lans:\n  - {name: lan1, station: vw1, address: 10.1.0.10/24}\n", []string{"lans[0].address", "outside", "10.0.0.0/24"}},
		{"lan address taken", head + "lans:\n  - {name: lan1, station: vw1, address: 10.0.0.2/24}\n", []string{"also vw1's"}},
		{"lan bad address", head + "lans:\n  - {name: lan1, station: vw1, address: nope}\n", []string{"lans[0].address", "IPv4"}},
		{"lan in a radio's netns", head + "lans:\n  - {name: ns1, station: vw1, address: 10.0.0.10/24}\n", []string{"radio vw1's namespace"}},
		{"lan twice", head + "lans:\n  - {name: lan1, station: vw1, address: 10.0.0.10/24}\n  - {name: lan1, station: vw1, address: 10.0.0.11/24}\n", []string{"listed twice"}},
		{"lan mac clash", head + "lans:\n  - {name: lan1, station: vw1, address: 10.0.0.10/24, mac: 02:00:00:00:01:00}\n", []string{"also vw1's"}},
		{"lan long name", head + "lans:\n  - {name: averylongname, station: vw1, address: 10.0.0.10/24}\n", []string{"1 to 12 characters"}},
		{"lan station without address", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6}\n  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6}\nlans:\n  - {name: lan1, station: vw1, address: 10.0.0.10/24}\n", []string{"has no address"}},
		{"lan unknown key", head + "lans:\n  - {name: lan1, station: vw1, address: 10.0.0.10/24, vlan: 3}\n", []string{"vlan"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("t.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Four-address keys and lans: need tap radios; the check names the
// radio, its kind and what is accepted, before anything is built.
func TestWDSKinds(t *testing.T) {
	c, err := ParseConfig("t.yaml", []byte(`radios:
  - {name: vw0, role: ap,  netns: ns0, ssid: x, channel: 6, address: 10.0.0.1/24, wds_sta: true}
  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, address: 10.0.0.2/24}
lans:
  - {name: lan1, station: vw1, address: 10.0.0.10/24}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.checkWDSKinds("tap"); err != nil {
		t.Errorf("tap lab: %v", err)
	}
	err = c.checkWDSKinds("hwsim")
	if err == nil || !strings.Contains(err.Error(), "radios[0].wds_sta") || !strings.Contains(err.Error(), "hwsim radio") || !strings.Contains(err.Error(), "tap and vmnic radios only") {
		t.Errorf("hwsim lab: %v", err)
	}
	c.Radios[0].WDSSta = false
	if err := c.checkWDSKinds("hwsim"); err == nil || !strings.Contains(err.Error(), "radio vw1") || !strings.Contains(err.Error(), "lans: are accepted behind tap stations only") {
		t.Errorf("hwsim lab with a LAN behind vw1: %v", err)
	}
	c.Radios[1].Kind = "tap"
	if err := c.checkWDSKinds("hwsim"); err != nil {
		t.Errorf("mixed lab, vw1 a tap radio: %v", err)
	}
}
