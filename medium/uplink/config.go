// SPDX-License-Identifier: MIT

package uplink

import (
	"errors"
	"fmt"
	"hash/fnv"
	"net/netip"
	"strings"
)

// Mode is how the lab's traffic leaves the AP's namespace.
type Mode string

// The modes an uplink can run in.
const (
	// ModeNAT masquerades the lab subnets behind the AP's transit address.
	ModeNAT Mode = "nat"
	// ModeRouted routes the lab subnets, unchanged, via the host side.
	ModeRouted Mode = "routed"
)

// ErrInvalid is wrapped by every configuration error, so callers can tell
// bad input (exit 2) from a failure of the system.
var ErrInvalid = errors.New("invalid uplink configuration")

// Config describes one lab's uplink.
type Config struct {
	// Lab names the lab; it names the nftables table ("vmedium-<Lab>")
	// and, hashed, the host-side veth. Letters, digits, '-', '_' and '.'.
	Lab string
	// Mode is ModeNAT or ModeRouted.
	Mode Mode
	// APNetns is the named namespace the AP's interface lives in.
	APNetns string
	// Subnets are the lab's subnets behind the AP (at least one; IPv4
	// and/or IPv6). Host bits are ignored.
	Subnets []netip.Prefix
	// HostNetns is the namespace standing for the host side ("" is the
	// namespace vmedium runs in, the real host; tests use a "wan" one).
	HostNetns string
	// Via is the host side's uplink interface (e.g. wlan0). "" means the
	// host side is the end of the line (a wan namespace with the servers):
	// no forwarding and no NAT there.
	Via string
	// Transit is the IPv4 prefix of the veth link (/30 or larger; the
	// host side takes the first address, the AP the second). Zero: a /30
	// in 10.255.0.0/16 derived from Lab.
	Transit netip.Prefix
	// Transit6 is the IPv6 prefix of the veth link, used only when a
	// subnet is IPv6. Zero: a ULA /64 derived from Lab.
	Transit6 netip.Prefix
	// APIf is the veth end's name inside the AP's namespace (default
	// "uplink0").
	APIf string
}

// DefaultAPIf is the AP-side veth name when Config.APIf is empty.
const DefaultAPIf = "uplink0"

// TableName is the nftables table (family inet) of a lab.
func TableName(lab string) string { return "vmedium-" + lab }

// TablePrefix starts the name of every table vmedium creates.
const TablePrefix = "vmedium-"

// labHash is a stable 32-bit hash of the lab name (FNV-1a).
func labHash(lab string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(lab))
	return h.Sum32()
}

// HostIf is the host-side veth name of a lab: "vmu" and 8 hex digits of
// the lab name's hash, so it fits IFNAMSIZ whatever the lab is called.
func HostIf(lab string) string { return fmt.Sprintf("vmu%08x", labHash(lab)) }

// defaultTransit is a /30 in 10.255.0.0/16 chosen by the lab's hash.
func defaultTransit(lab string) netip.Prefix {
	h := labHash(lab)
	n := (h % 16384) * 4 // 16384 /30s in a /16
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 255, byte(n >> 8), byte(n)}), 30)
}

// defaultTransit6 is fd76:6d75:HHHH:HHHH::/64 ("vmu" in the ULA global
// ID), the lab's hash in the subnet part.
func defaultTransit6(lab string) netip.Prefix {
	h := labHash(lab)
	a := [16]byte{0xfd, 0x76, 0x6d, 0x75, byte(h >> 24), byte(h >> 16), byte(h >> 8), byte(h)}
	return netip.PrefixFrom(netip.AddrFrom16(a), 64)
}

// resolved is a validated Config with its defaults filled in.
type resolved struct {
	Config
	hostIf             string
	hostAddr, apAddr   netip.Prefix // IPv4 transit, with prefix length
	hostAddr6, apAddr6 netip.Prefix // IPv6 transit; invalid when no IPv6 subnet
	v4, v6             []netip.Prefix
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// validLab accepts names that are safe in a table name and a file name.
func validLab(lab string) error {
	if lab == "" || len(lab) > 64 {
		return invalid("lab name %q: accepted is 1 to 64 characters", lab)
	}
	for _, r := range lab {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.", r)) {
			return invalid("lab name %q: accepted are letters, digits, '-', '_' and '.'", lab)
		}
	}
	return nil
}

// validIfName accepts a Linux interface name (IFNAMSIZ-1, no '/', no space).
func validIfName(what, name string) error {
	if name == "" || len(name) > 15 || strings.ContainsAny(name, "/ \t\n\x00:") || name == "." || name == ".." {
		return invalid("%s %q: accepted is an interface name of 1 to 15 characters without '/', ':' or spaces", what, name)
	}
	return nil
}

// hosts returns the first two addresses of p (host side, AP side).
func hosts(p netip.Prefix) (netip.Prefix, netip.Prefix) {
	a := p.Masked().Addr().Next()
	return netip.PrefixFrom(a, p.Bits()), netip.PrefixFrom(a.Next(), p.Bits())
}

// resolve checks c without looking at the system and fills in defaults.
// Every error wraps ErrInvalid and names the value and what is accepted.
func (c Config) resolve() (*resolved, error) {
	r := &resolved{Config: c}
	if err := validLab(c.Lab); err != nil {
		return nil, err
	}
	switch c.Mode {
	case ModeNAT, ModeRouted:
	default:
		return nil, invalid("uplink mode %q: accepted are %q and %q", c.Mode, ModeNAT, ModeRouted)
	}
	if c.APNetns == "" {
		return nil, invalid("AP namespace is empty: accepted is the name of the AP's network namespace")
	}
	if c.APNetns == c.HostNetns {
		return nil, invalid("AP namespace %q is also the host-side namespace: accepted are two different namespaces", c.APNetns)
	}
	if r.APIf == "" {
		r.APIf = DefaultAPIf
	}
	if err := validIfName("AP-side uplink interface", r.APIf); err != nil {
		return nil, err
	}
	if c.Via != "" {
		if err := validIfName("uplink interface", c.Via); err != nil {
			return nil, err
		}
	}
	r.hostIf = HostIf(c.Lab)
	if len(c.Subnets) == 0 {
		return nil, invalid("no lab subnet: accepted is at least one prefix such as 10.0.0.0/24")
	}
	var all []netip.Prefix
	for _, s := range c.Subnets {
		if !s.IsValid() {
			return nil, invalid("lab subnet %v: accepted is a prefix such as 10.0.0.0/24 or fd00:10::/64", s)
		}
		given := s
		s = s.Masked()
		switch {
		case s.Addr().Is4() && (s.Bits() < 8 || s.Bits() > 30):
			return nil, invalid("lab subnet %v: accepted is an IPv4 prefix from /8 to /30", given)
		case s.Addr().Is6() && (s.Bits() < 16 || s.Bits() > 126):
			return nil, invalid("lab subnet %v: accepted is an IPv6 prefix from /16 to /126", given)
		case s.Addr().Is4In6():
			return nil, invalid("lab subnet %v: accepted is a plain IPv4 or IPv6 prefix, not IPv4-mapped", given)
		case s.Addr().IsLoopback() || s.Addr().IsMulticast() || s.Addr().IsLinkLocalUnicast():
			return nil, invalid("lab subnet %v: accepted is a unicast prefix (not loopback, multicast or link-local)", given)
		}
		for _, o := range all {
			if o.Overlaps(s) {
				return nil, invalid("lab subnets %v and %v overlap: accepted are disjoint subnets", o, s)
			}
		}
		all = append(all, s)
		if s.Addr().Is4() {
			r.v4 = append(r.v4, s)
		} else {
			r.v6 = append(r.v6, s)
		}
	}
	if len(r.v4) == 0 {
		return nil, invalid("lab subnets %v: accepted is at least one IPv4 subnet (the transit link is IPv4 first)", c.Subnets)
	}
	if !r.Transit.IsValid() {
		r.Transit = defaultTransit(c.Lab)
	}
	r.Transit = r.Transit.Masked()
	if !r.Transit.Addr().Is4() || r.Transit.Bits() > 30 || r.Transit.Bits() < 8 {
		return nil, invalid("transit prefix %v: accepted is an IPv4 prefix from /8 to /30", c.Transit)
	}
	for _, s := range all {
		if s.Overlaps(r.Transit) {
			return nil, invalid("transit prefix %v overlaps lab subnet %v: accepted is a transit prefix outside the lab subnets", r.Transit, s)
		}
	}
	r.hostAddr, r.apAddr = hosts(r.Transit)
	if len(r.v6) > 0 {
		if !r.Transit6.IsValid() {
			r.Transit6 = defaultTransit6(c.Lab)
		}
		r.Transit6 = r.Transit6.Masked()
		if !r.Transit6.Addr().Is6() || r.Transit6.Addr().Is4In6() || r.Transit6.Bits() > 126 || r.Transit6.Bits() < 16 {
			return nil, invalid("IPv6 transit prefix %v: accepted is an IPv6 prefix from /16 to /126", c.Transit6)
		}
		for _, s := range all {
			if s.Overlaps(r.Transit6) {
				return nil, invalid("IPv6 transit prefix %v overlaps lab subnet %v: accepted is a transit prefix outside the lab subnets", r.Transit6, s)
			}
		}
		r.hostAddr6, r.apAddr6 = hosts(r.Transit6)
	}
	return r, nil
}

// Validate checks c without touching the system. Setup also checks it
// against the namespaces (the uplink interface exists, nothing overlaps
// the host side's addresses).
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}
