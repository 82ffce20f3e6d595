// SPDX-License-Identifier: MIT

package dhcp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func mustRange(t testing.TB, s string) Range {
	t.Helper()
	r, err := ParseRange(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRange(t *testing.T) {
	r := mustRange(t, " 10.0.0.100 - 10.0.0.199 ")
	if r.String() != "10.0.0.100-10.0.0.199" || r.Size() != 100 {
		t.Errorf("got %v size %d", r, r.Size())
	}
	for _, bad := range []string{"", "10.0.0.1", "10.0.0.9-10.0.0.1", "fd00::1-fd00::9", "a-b"} {
		_, err := ParseRange(bad)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "accepted is A-B") {
			t.Errorf("ParseRange(%q) = %v", bad, err)
		}
	}
}

func TestServerConfigValidate(t *testing.T) {
	base := ServerConfig{
		Interface: "br0", Addr: netip.MustParsePrefix("10.0.0.1/24"),
		Range: Range{netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.0.0.199")},
		Lease: time.Hour,
	}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr
	cases := []struct {
		name string
		mod  func(*ServerConfig)
		want []string
	}{
		{"outside", func(c *ServerConfig) { c.Range.End = a("10.0.1.5") }, []string{"10.0.1.5", "outside the subnet 10.0.0.0/24"}},
		{"reversed", func(c *ServerConfig) { c.Range = Range{a("10.0.0.50"), a("10.0.0.10")} }, []string{"start 10.0.0.50 is after end 10.0.0.10", "A ≤ B"}},
		{"server inside", func(c *ServerConfig) { c.Range.Start = a("10.0.0.1") }, []string{"server's own address 10.0.0.1"}},
		{"static inside", func(c *ServerConfig) { c.Static = []netip.Addr{a("10.0.0.2"), a("10.0.0.150")} }, []string{"static address 10.0.0.150"}},
		{"broadcast", func(c *ServerConfig) { c.Range.End = a("10.0.0.255") }, []string{"broadcast", "10.0.0.1-10.0.0.254"}},
		{"router inside", func(c *ServerConfig) { c.Router = a("10.0.0.120") }, []string{"router 10.0.0.120"}},
		{"router outside", func(c *ServerConfig) { c.Router = a("192.168.1.1") }, []string{"router 192.168.1.1 is outside"}},
		{"lease", func(c *ServerConfig) { c.Lease = time.Second }, []string{"lease 1s", "2s to"}},
		{"addr", func(c *ServerConfig) { c.Addr = netip.MustParsePrefix("10.0.0.0/24") }, []string{"network or broadcast"}},
		{"iface", func(c *ServerConfig) { c.Interface = "" }, []string{"interface"}},
		{"dns", func(c *ServerConfig) { c.DNS = []netip.Addr{a("fd00::53")} }, []string{"fd00::53", "IPv4"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.mod(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q does not mention %q", err, w)
				}
			}
		})
	}
}
