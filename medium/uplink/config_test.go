// SPDX-License-Identifier: MIT

package uplink

import (
	"encoding/json"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func pfx(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func TestValidateRejects(t *testing.T) {
	base := Config{Lab: "lab1", Mode: ModeNAT, APNetns: "ap", Subnets: pfx("10.0.0.0/24")}
	cases := []struct {
		name string
		mod  func(*Config)
		want []string // all must appear in the message
	}{
		{"mode", func(c *Config) { c.Mode = "bridge" }, []string{`"bridge"`, `"nat"`, `"routed"`}},
		{"lab", func(c *Config) { c.Lab = "a/b" }, []string{`"a/b"`, "letters, digits"}},
		{"no ap", func(c *Config) { c.APNetns = "" }, []string{"AP namespace"}},
		{"same ns", func(c *Config) { c.HostNetns = "ap" }, []string{`"ap"`, "two different"}},
		{"no subnet", func(c *Config) { c.Subnets = nil }, []string{"no lab subnet", "10.0.0.0/24"}},
		{"overlap", func(c *Config) { c.Subnets = pfx("10.0.0.0/24", "10.0.0.128/25") }, []string{"10.0.0.0/24", "10.0.0.128/25", "overlap", "disjoint"}},
		{"too big", func(c *Config) { c.Subnets = pfx("10.0.0.0/4") }, []string{"10.0.0.0/4", "/8 to /30"}},
		{"v6 only", func(c *Config) { c.Subnets = pfx("fd00::/64") }, []string{"at least one IPv4"}},
		{"transit overlap", func(c *Config) { c.Transit = netip.MustParsePrefix("10.0.0.4/30") }, []string{"10.0.0.4/30", "10.0.0.0/24", "outside"}},
		{"transit size", func(c *Config) { c.Transit = netip.MustParsePrefix("192.168.9.0/31") }, []string{"192.168.9.0/31", "/8 to /30"}},
		{"transit6 overlap", func(c *Config) {
			c.Subnets = pfx("10.0.0.0/24", "fd00:10::/48")
			c.Transit6 = netip.MustParsePrefix("fd00:10:0:1::/64")
		}, []string{"fd00:10:0:1::/64", "fd00:10::/48"}},
		{"via name", func(c *Config) { c.Via = "a very long interface name" }, []string{"uplink interface", "1 to 15"}},
		{"link-local", func(c *Config) { c.Subnets = pfx("169.254.0.0/16") }, []string{"169.254.0.0/16", "unicast"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("accepted %+v", c)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestResolveDefaults(t *testing.T) {
	c := Config{Lab: "lab1", Mode: ModeRouted, APNetns: "ap", Subnets: pfx("10.0.0.7/24", "fd00:10::/64")}
	r, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.APIf != DefaultAPIf || len(r.hostIf) > 15 || !strings.HasPrefix(r.hostIf, "vmu") {
		t.Errorf("names: ap %q host %q", r.APIf, r.hostIf)
	}
	if r.v4[0] != netip.MustParsePrefix("10.0.0.0/24") {
		t.Errorf("subnet not masked: %v", r.v4[0])
	}
	if !netip.MustParsePrefix("10.255.0.0/16").Contains(r.Transit.Addr()) || r.Transit.Bits() != 30 {
		t.Errorf("default transit %v", r.Transit)
	}
	if r.hostAddr.Addr() != r.Transit.Addr().Next() || r.apAddr.Addr() != r.hostAddr.Addr().Next() {
		t.Errorf("transit hosts %v %v in %v", r.hostAddr, r.apAddr, r.Transit)
	}
	if !netip.MustParsePrefix("fd00::/8").Contains(r.Transit6.Addr()) || r.Transit6.Bits() != 64 || !r.apAddr6.IsValid() {
		t.Errorf("default transit6 %v ap %v", r.Transit6, r.apAddr6)
	}
	// Stable per lab, different between labs.
	if defaultTransit("lab1") != defaultTransit("lab1") || HostIf("lab1") == HostIf("lab2") {
		t.Error("derived names are not stable or not distinct")
	}
}

func TestRecordJSON(t *testing.T) {
	rec := Record{
		Lab: "l", Mode: ModeNAT, APNetns: "ap", HostIf: "vmu1", APIf: "uplink0",
		HostAddrs: pfx("10.255.0.1/30"), APAddrs: pfx("10.255.0.2/30"),
		Links:   []LinkRef{{Name: "vmu1"}},
		Tables:  []TableRef{{Netns: "ap", Name: "vmedium-l"}},
		Routes:  []RouteRef{{Netns: "ap", Dst: netip.MustParsePrefix("0.0.0.0/0"), Gw: netip.MustParseAddr("10.255.0.1"), Dev: "uplink0"}},
		Sysctls: []SysctlRef{{Netns: "ap", Key: "net.ipv4.ip_forward", Was: "0", Set: "1"}},
	}
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rec, back) {
		t.Errorf("round trip:\n%+v\n%+v", rec, back)
	}
}
