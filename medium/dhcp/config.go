// SPDX-License-Identifier: MIT

package dhcp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// ErrInvalid is wrapped by every configuration error (bad input: the
// caller exits 2 and builds nothing).
var ErrInvalid = errors.New("invalid DHCP configuration")

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Range is an inclusive range of IPv4 addresses.
type Range struct{ Start, End netip.Addr }

// String formats r the way ParseRange reads it.
func (r Range) String() string { return r.Start.String() + "-" + r.End.String() }

// Contains reports whether a is in r.
func (r Range) Contains(a netip.Addr) bool {
	return a.Is4() && r.Start.Compare(a) <= 0 && a.Compare(r.End) <= 0
}

// Size is the number of addresses in r.
func (r Range) Size() int {
	s, e := r.Start.As4(), r.End.As4()
	return int(be32(e)-be32(s)) + 1
}

func be32(b [4]byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// ParseRange reads "A-B" (two IPv4 addresses, A ≤ B).
func ParseRange(s string) (Range, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Range{}, invalid("range %q: accepted is A-B with two IPv4 addresses, such as 10.0.0.100-10.0.0.199", s)
	}
	start, err1 := netip.ParseAddr(strings.TrimSpace(a))
	end, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if err1 != nil || err2 != nil || !start.Is4() || !end.Is4() {
		return Range{}, invalid("range %q: accepted is A-B with two IPv4 addresses, such as 10.0.0.100-10.0.0.199", s)
	}
	if end.Less(start) {
		return Range{}, invalid("range %q: start %v is after end %v: accepted is A-B with A ≤ B", s, start, end)
	}
	return Range{start, end}, nil
}

// Limits on the lease duration (the option carries seconds in 32 bits;
// below a couple of seconds renewals would be all a client does).
const (
	MinLease = 2 * time.Second
	MaxLease = 365 * 24 * time.Hour
)

// ServerConfig describes a DHCP server.
type ServerConfig struct {
	// Netns is the named namespace of the interface ("" = vmedium's own).
	Netns string
	// Interface is the interface served (the AP's TAP, bridge or wlan).
	Interface string
	// Addr is the server's own address on Interface, with the subnet's
	// prefix length (e.g. 10.0.0.1/24); it is the server identifier.
	Addr netip.Prefix
	// Range is the pool handed out.
	Range Range
	// Lease is the lease duration.
	Lease time.Duration
	// Router is sent as the default gateway; zero means Addr's address.
	Router netip.Addr
	// DNS servers sent to clients (none: the option is left out).
	DNS []netip.Addr
	// Static addresses are in use by hosts configured by hand; the range
	// must not include them.
	Static []netip.Addr
}

// router is the gateway sent to clients.
func (c ServerConfig) router() netip.Addr {
	if c.Router.IsValid() {
		return c.Router
	}
	return c.Addr.Addr()
}

// Validate checks c. Every error wraps ErrInvalid and names what is wrong
// and what is accepted.
func (c ServerConfig) Validate() error {
	if c.Interface == "" || len(c.Interface) > 15 || strings.ContainsAny(c.Interface, "/ \x00") {
		return invalid("interface %q: accepted is an interface name of 1 to 15 characters", c.Interface)
	}
	if !c.Addr.IsValid() || !c.Addr.Addr().Is4() || c.Addr.Bits() < 8 || c.Addr.Bits() > 30 {
		return invalid("server address %v: accepted is an IPv4 address with its subnet's prefix length (/8 to /30), such as 10.0.0.1/24", c.Addr)
	}
	subnet := c.Addr.Masked()
	network, bcast := subnet.Addr(), lastAddr(subnet)
	if c.Addr.Addr() == network || c.Addr.Addr() == bcast {
		return invalid("server address %v is the subnet's network or broadcast address: accepted is a host address of %v", c.Addr, subnet)
	}
	r := c.Range
	if !r.Start.Is4() || !r.End.Is4() {
		return invalid("range %v: accepted is A-B with two IPv4 addresses", r)
	}
	if r.End.Less(r.Start) {
		return invalid("range %v: start %v is after end %v: accepted is A-B with A ≤ B", r, r.Start, r.End)
	}
	for _, a := range []netip.Addr{r.Start, r.End} {
		if !subnet.Contains(a) {
			return invalid("range %v: %v is outside the subnet %v: accepted is a range inside it", r, a, subnet)
		}
	}
	if r.Contains(network) || r.Contains(bcast) {
		return invalid("range %v includes the network or broadcast address of %v: accepted is a range of host addresses (%v-%v at most)", r, subnet, network.Next(), bcast.Prev())
	}
	if r.Contains(c.Addr.Addr()) {
		return invalid("range %v includes the server's own address %v: accepted is a range that leaves it out", r, c.Addr.Addr())
	}
	if c.Router.IsValid() {
		if !subnet.Contains(c.Router) {
			return invalid("router %v is outside the subnet %v: accepted is an address on it", c.Router, subnet)
		}
		if r.Contains(c.Router) {
			return invalid("range %v includes the router %v: accepted is a range that leaves it out", r, c.Router)
		}
	}
	for _, s := range c.Static {
		if r.Contains(s) {
			return invalid("range %v includes the static address %v: accepted is a range that leaves static addresses out", r, s)
		}
	}
	for _, d := range c.DNS {
		if !d.Is4() {
			return invalid("DNS server %v: accepted are IPv4 addresses", d)
		}
	}
	if c.Lease < MinLease || c.Lease > MaxLease {
		return invalid("lease %v: accepted is a duration from %v to %v, such as 1h", c.Lease, MinLease, MaxLease)
	}
	return nil
}

// lastAddr is the highest address of p (the IPv4 broadcast address).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	v := be32(b) | (1<<(32-p.Bits()) - 1)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
