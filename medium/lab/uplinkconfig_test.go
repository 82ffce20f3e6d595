// SPDX-License-Identifier: MIT

package lab

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/uplink"
)

// natLab builds a lab config with the AP's extra keys and vw2's address.
func natLab(apExtra, vw2Addr string) string {
	return `passphrase: vmedium-lab
radios:
  - {name: vw0, role: ap, netns: ns0, ssid: lab, channel: 6, address: 10.0.0.1/24` + apExtra + `}
  - {name: vw1, role: sta, netns: ns1, ssid: lab, channel: 6, address: dhcp}
  - {name: vw2, role: sta, netns: ns2, ssid: lab, channel: 6, address: ` + vw2Addr + `}
`
}

func TestNetConfigParses(t *testing.T) {
	cfg, err := ParseConfig("lab.yaml", []byte(natLab(", uplink: nat, dhcp: {range: 10.0.0.100-10.0.0.199, lease: 10m}", "10.0.0.3/24")))
	if err != nil {
		t.Fatal(err)
	}
	ap := cfg.Radios[0]
	if ap.Uplink == nil || ap.Uplink.Mode != "nat" || ap.DHCP == nil || ap.DHCP.Lease != 10*time.Minute {
		t.Fatalf("ap %+v", ap)
	}
	if cfg.Radios[1].AddressSource() != AddressSourceDHCP || cfg.Radios[2].AddressSource() != AddressSourceStatic {
		t.Fatalf("sources %s %s", cfg.Radios[1].AddressSource(), cfg.Radios[2].AddressSource())
	}
	uc, ok := cfg.UplinkConfigOf(0)
	if !ok || uc.Mode != uplink.ModeNAT || uc.APNetns != "ns0" || uc.Subnets[0].String() != "10.0.0.0/24" || uc.Lab != "vw0" {
		t.Fatalf("uplink %+v", uc)
	}
	sc, ok, err := cfg.DHCPServerConfigOf(0)
	if !ok || err != nil || sc.Interface != "vw0" || sc.Netns != "ns0" || sc.Range.Size() != 100 || len(sc.Static) != 1 || sc.Static[0].String() != "10.0.0.3" {
		t.Fatalf("dhcp %+v %v", sc, err)
	}
	// The mapping form, and the default lease.
	cfg, err = ParseConfig("lab.yaml", []byte(natLab(", uplink: {mode: routed, netns: wan}, dhcp: {range: 10.0.0.100-10.0.0.101}", "dhcp")))
	if err != nil {
		t.Fatal(err)
	}
	if u := cfg.Radios[0].Uplink; u.Mode != "routed" || u.Netns != "wan" {
		t.Fatalf("uplink %+v", u)
	}
	if sc, _, _ := cfg.DHCPServerConfigOf(0); sc.Lease != DefaultLease || len(sc.Static) != 0 {
		t.Fatalf("dhcp %+v", sc)
	}
	// The default lab has none of it.
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	if _, ok := DefaultConfig().UplinkConfigOf(0); ok {
		t.Fatal("default lab has an uplink")
	}
}

func TestNetConfigBadInputNamesValueAndAccepted(t *testing.T) {
	for _, c := range []struct {
		yaml, want string
	}{
		{natLab(", dhcp: {range: 10.0.0.2-10.0.0.9}", "10.0.0.3/24"), "lab.yaml:3: radios[0].dhcp.range: radio vw0: dhcp range 10.0.0.2-10.0.0.9 overlaps the static address 10.0.0.3 of radio vw2: accepted is a range that leaves the lab's static addresses out"},
		{natLab(", dhcp: {range: 10.0.0.1-10.0.0.9}", "dhcp"), "dhcp range 10.0.0.1-10.0.0.9 includes the AP's own address 10.0.0.1: accepted is a range that leaves it out"},
		{natLab(", dhcp: {range: 10.0.1.10-10.0.1.20}", "dhcp"), "dhcp range 10.0.1.10-10.0.1.20: 10.0.1.10 is outside the AP's subnet 10.0.0.0/24: accepted is a range inside it"},
		{natLab(", dhcp: {range: 10.0.0.20-10.0.0.10}", "dhcp"), "start 10.0.0.20 is after end 10.0.0.10: accepted is A-B with A ≤ B"},
		{natLab(", dhcp: {range: 10.0.0.20}", "dhcp"), `range "10.0.0.20": accepted is A-B with two IPv4 addresses`},
		{natLab(", dhcp: {range: 10.0.0.20-10.0.0.30, lease: 1s}", "dhcp"), "radios[0].dhcp.lease: radio vw0: dhcp lease 1s: accepted is a duration from 2s to"},
		{natLab(", uplink: bridge", "dhcp"), `radios[0].uplink.mode: radio vw0: invalid uplink mode "bridge": accepted are nat and routed`},
		{natLab(", uplink: {mode: nat, via: 'a/b'}", "dhcp"), `radios[0].uplink.via: radio vw0: uplink interface "a/b": accepted is an interface name`},
		{natLab(", uplink: {mode: nat, dev: eth0}", "dhcp"), `uplink: unknown key "dev": accepted are mode, via and netns`},
		{natLab(", uplink: {mode: nat, netns: ns1}", "dhcp"), `uplink netns "ns1" is one of the lab's namespaces`},
		{natLab("", "dhcp"), "radios[1].address: radio vw1: address dhcp, but its AP vw0 serves no DHCP"},
		{natLab(", dhcp: {range: 10.0.0.20-10.0.0.30}", "10.0.0.3/33"), `invalid address "10.0.0.3/33": accepted is an IPv4 address with prefix length, e.g. 10.0.0.2/24 (or dhcp on a station)`},
		{strings.Replace(natLab("", "10.0.0.3/24"), "address: 10.0.0.1/24", "address: dhcp", 1), "radios[0].address: radio vw0: address dhcp on an AP"},
		{strings.Replace(natLab(", uplink: nat", "10.0.0.3/24"), "address: 10.0.0.1/24, ", "", 1), "radios[0].uplink: radio vw0: uplink needs the AP's address"},
		{strings.Replace(natLab("", "10.0.0.3/24"), "channel: 6, address: dhcp", "channel: 6, address: 10.0.0.2/24, uplink: nat", 1), "radios[1].uplink: radio vw1: uplink on a station: accepted only on an AP"},
	} {
		_, err := ParseConfig("lab.yaml", []byte(c.yaml))
		var ce *ConfigError
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n got %v\nwant %q", c.yaml, err, c.want)
			continue
		}
		if !errors.As(err, &ce) && !strings.Contains(c.want, "unknown key") {
			t.Errorf("%v: not a ConfigError", err)
		}
	}
}

// FuzzParseConfigNet: lab configs with uplink, dhcp and `address: dhcp`
// keys are accepted or refused with an error, never a panic; an accepted
// one gives uplink and DHCP server settings that validate.
func FuzzParseConfigNet(f *testing.F) {
	f.Add(natLab(", uplink: nat, dhcp: {range: 10.0.0.100-10.0.0.199, lease: 10m}", "dhcp"))
	f.Add(natLab(", uplink: {mode: routed, via: eth0, netns: wan}, dhcp: {range: 10.0.0.5-10.0.0.5}", "10.0.0.3/24"))
	f.Add(natLab(", uplink: [nat], dhcp: {range: 10.0.0.20-10.0.0.2}", "dhcp"))
	f.Add(natLab(", uplink: {mode: {x: 1}}, dhcp: 7", "dhcp"))
	f.Fuzz(func(t *testing.T, y string) {
		cfg, err := ParseConfig("fuzz.yaml", []byte(y))
		if err != nil {
			return
		}
		for i := range cfg.Radios {
			if uc, ok := cfg.UplinkConfigOf(i); ok {
				if err := uc.Validate(); err != nil {
					t.Fatalf("accepted config, invalid uplink: %v", err)
				}
			}
			if sc, ok, err := cfg.DHCPServerConfigOf(i); ok {
				if err != nil {
					t.Fatalf("accepted config, bad dhcp: %v", err)
				}
				if err := sc.Validate(); err != nil {
					t.Fatalf("accepted config, invalid dhcp: %v", err)
				}
			}
		}
	})
}
