// SPDX-License-Identifier: MIT

package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vmedium/vmedium/medium/dhcp"
	"github.com/vmedium/vmedium/medium/uplink"
)

// The lab's network beyond the air: an AP may have an uplink (its
// stations reach the host's network, or a stand-in namespace, through the
// AP's namespace, routed or NATed) and a DHCP server; a station may take
// its address by DHCP (`address: dhcp`).

// AddressDHCP is the `address:` of a station that gets its address by DHCP.
const AddressDHCP = "dhcp"

// Address sources, as `vmctl radios` shows them.
const (
	AddressSourceStatic = "static"
	AddressSourceDHCP   = "dhcp"
	AddressSourceNone   = "none"
)

// DefaultLease is the DHCP lease duration when `lease:` is not given.
const DefaultLease = time.Hour

// NetConfig is the part of a radio's configuration about its network
// beyond the air; RadioConfig embeds it (the keys sit beside the others).
type NetConfig struct {
	// Uplink connects an AP's namespace to the host side: `nat`,
	// `routed`, or {mode: nat|routed, via: IFACE, netns: NAME}.
	Uplink *UplinkConfig `yaml:"uplink,omitempty"`
	// DHCP serves addresses on an AP's interface: {range: A-B, lease: 1h}.
	DHCP *DHCPConfig `yaml:"dhcp,omitempty"`
}

// UplinkConfig is an AP's uplink.
type UplinkConfig struct {
	// Mode is nat (masquerade the lab behind the AP's transit address)
	// or routed (no NAT: the host side routes the lab's subnet to the AP).
	Mode string `yaml:"mode"`
	// Via is the host side's interface to the outside (e.g. wlan0): the
	// host forwards (and in nat mode masquerades) out of it. "" = the
	// host side is the end of the line.
	Via string `yaml:"via,omitempty"`
	// Netns is the namespace that stands for the host side (it must
	// exist; e.g. a "wan" namespace with servers in it). "" = the host.
	Netns string `yaml:"netns,omitempty"`
}

// UnmarshalYAML accepts the short form `uplink: nat` as well as the mapping.
func (u *UplinkConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		u.Mode = n.Value
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: uplink: accepted is nat, routed or a mapping {mode: nat|routed, via: IFACE, netns: NAME}", n.Line)
	}
	// Node.Decode does not refuse unknown keys: check them here.
	for k := 0; k+1 < len(n.Content); k += 2 {
		switch key := n.Content[k].Value; key {
		case "mode", "via", "netns":
		default:
			return fmt.Errorf("line %d: uplink: unknown key %q: accepted are mode, via and netns", n.Content[k].Line, key)
		}
	}
	type plain UplinkConfig
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*u = UplinkConfig(p)
	return nil
}

// DHCPConfig is an AP's DHCP server.
type DHCPConfig struct {
	// Range is the pool, "A-B" (two IPv4 addresses of the AP's subnet).
	Range string `yaml:"range"`
	// Lease is the lease duration (0 = DefaultLease).
	Lease time.Duration `yaml:"lease,omitempty"`
}

// IsDHCP reports whether the radio gets its address by DHCP.
func (r *RadioConfig) IsDHCP() bool { return r.Address == AddressDHCP }

// AddressSource says where the radio's IPv4 address comes from.
func (r *RadioConfig) AddressSource() string {
	switch {
	case r.IsDHCP():
		return AddressSourceDHCP
	case r.Address != "":
		return AddressSourceStatic
	}
	return AddressSourceNone
}

// labName is the name the uplink of the AP radio ap goes by (its nftables
// table is vmedium-<name>): the radio's name, with characters a table
// name does not take replaced by '_'.
func labName(ap string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r) {
			return r
		}
		return '_'
	}, ap)
}

// UplinkConfigOf is the uplink.Config of AP radio i (ok false: it has none).
func (c *Config) UplinkConfigOf(i int) (uplink.Config, bool) {
	r := &c.Radios[i]
	if r.Uplink == nil {
		return uplink.Config{}, false
	}
	p, _ := r.Prefix()
	return uplink.Config{
		Lab: labName(r.Name), Mode: uplink.Mode(r.Uplink.Mode), APNetns: r.Netns,
		Subnets: []netip.Prefix{p.Masked()}, HostNetns: r.Uplink.Netns, Via: r.Uplink.Via,
	}, true
}

// DHCPServerConfigOf is the dhcp.ServerConfig of AP radio i (ok false: it
// serves none). Every static address of the lab is kept out of the pool.
func (c *Config) DHCPServerConfigOf(i int) (dhcp.ServerConfig, bool, error) {
	r := &c.Radios[i]
	if r.DHCP == nil {
		return dhcp.ServerConfig{}, false, nil
	}
	rng, err := dhcp.ParseRange(r.DHCP.Range)
	if err != nil {
		return dhcp.ServerConfig{}, true, err
	}
	p, _ := r.Prefix()
	sc := dhcp.ServerConfig{Netns: r.Netns, Interface: r.Name, Addr: p, Range: rng, Lease: r.DHCP.Lease}
	if sc.Lease == 0 {
		sc.Lease = DefaultLease
	}
	for j := range c.Radios {
		if q, ok := c.Radios[j].Prefix(); ok && j != i {
			sc.Static = append(sc.Static, q.Addr())
		}
	}
	return sc, true, nil
}

// apOf returns the index of the AP station i would associate with (the
// first AP offering its SSID on its channel), -1 if none.
func (c *Config) apOf(i int) int {
	s := c.Radios[i]
	for j, a := range c.Radios {
		if a.Role == RoleAP && a.SSID == s.SSID && a.Channel == s.Channel {
			return j
		}
	}
	return -1
}

// errMsg is err's text without the package's sentinel prefix (the
// ConfigError says where; the rest says what and what is accepted).
func errMsg(err error, sentinel error) string {
	s := err.Error()
	if sentinel != nil && errors.Is(err, sentinel) {
		s = strings.TrimPrefix(s, sentinel.Error()+": ")
	}
	return s
}

// validateNet checks the uplink, dhcp and `address: dhcp` keys.
func (c *Config) validateNet() error {
	bad := func(path, format string, a ...any) error {
		return &ConfigError{Path: path, Msg: fmt.Sprintf(format, a...)}
	}
	uplinkNS := map[string]string{} // AP namespace → AP with an uplink there
	for i := range c.Radios {
		r := &c.Radios[i]
		p := fmt.Sprintf("radios[%d]", i)
		who := "radio " + r.Name
		if r.Role != RoleAP {
			if r.Uplink != nil {
				return bad(p+".uplink", "%s: uplink on a station: accepted only on an AP (role: ap)", who)
			}
			if r.DHCP != nil {
				return bad(p+".dhcp", "%s: dhcp on a station: accepted only on an AP (role: ap); a station takes `address: dhcp`", who)
			}
			if r.IsDHCP() {
				ap := c.apOf(i)
				if ap >= 0 && c.Radios[ap].DHCP == nil {
					return bad(p+".address", "%s: address dhcp, but its AP %s serves no DHCP: accepted is `dhcp: {range: A-B}` on %s, or a static address", who, c.Radios[ap].Name, c.Radios[ap].Name)
				}
			}
			continue
		}
		if r.IsDHCP() {
			return bad(p+".address", "%s: address dhcp on an AP: accepted is a static address such as 10.0.0.1/24 (the AP serves DHCP with `dhcp:`)", who)
		}
		if r.Uplink != nil {
			u := r.Uplink
			if _, ok := r.Prefix(); !ok {
				return bad(p+".uplink", "%s: uplink needs the AP's address: accepted is `address:` such as 10.0.0.1/24 on %s", who, r.Name)
			}
			switch uplink.Mode(u.Mode) {
			case uplink.ModeNAT, uplink.ModeRouted:
			default:
				return bad(p+".uplink.mode", "%s: invalid uplink mode %q: accepted are nat and routed (uplink: nat, or uplink: {mode: nat, via: IFACE})", who, u.Mode)
			}
			if u.Netns != "" {
				if err := validNetnsName(u.Netns); err != nil {
					return bad(p+".uplink.netns", "%s: uplink %v", who, err)
				}
				for _, ns := range c.Namespaces() {
					if ns == u.Netns {
						return bad(p+".uplink.netns", "%s: uplink netns %q is one of the lab's namespaces: accepted is a namespace outside the lab (or none: the host)", who, u.Netns)
					}
				}
			}
			if other, dup := uplinkNS[r.Netns]; dup {
				return bad(p+".uplink", "%s: AP %s in the same namespace %s has an uplink already: accepted is one uplink per namespace", who, other, r.Netns)
			}
			uplinkNS[r.Netns] = r.Name
			uc, _ := c.UplinkConfigOf(i)
			if err := uc.Validate(); err != nil {
				path := p + ".uplink"
				if u.Via != "" && strings.Contains(err.Error(), "uplink interface") {
					path += ".via"
				}
				return bad(path, "%s: %s", who, errMsg(err, uplink.ErrInvalid))
			}
		}
		if r.DHCP != nil {
			ap, ok := r.Prefix()
			if !ok {
				return bad(p+".dhcp", "%s: dhcp needs the AP's address: accepted is `address:` such as 10.0.0.1/24 on %s", who, r.Name)
			}
			sc, _, err := c.DHCPServerConfigOf(i)
			if err != nil {
				return bad(p+".dhcp.range", "%s: dhcp %s", who, errMsg(err, dhcp.ErrInvalid))
			}
			subnet := ap.Masked()
			for _, a := range []netip.Addr{sc.Range.Start, sc.Range.End} {
				if !subnet.Contains(a) {
					return bad(p+".dhcp.range", "%s: dhcp range %v: %v is outside the AP's subnet %v: accepted is a range inside it", who, sc.Range, a, subnet)
				}
			}
			if sc.Range.Contains(ap.Addr()) {
				return bad(p+".dhcp.range", "%s: dhcp range %v includes the AP's own address %v: accepted is a range that leaves it out", who, sc.Range, ap.Addr())
			}
			for j := range c.Radios {
				if q, ok := c.Radios[j].Prefix(); ok && j != i && sc.Range.Contains(q.Addr()) {
					return bad(p+".dhcp.range", "%s: dhcp range %v overlaps the static address %v of radio %s: accepted is a range that leaves the lab's static addresses out", who, sc.Range, q.Addr(), c.Radios[j].Name)
				}
			}
			if err := sc.Validate(); err != nil {
				path := p + ".dhcp.range"
				if strings.Contains(err.Error(), "lease") {
					path = p + ".dhcp.lease"
				}
				return bad(path, "%s: dhcp %s", who, errMsg(err, dhcp.ErrInvalid))
			}
		}
	}
	return nil
}
