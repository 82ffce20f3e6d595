// SPDX-License-Identifier: MIT

package dhcp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Lease is one address handed to one client.
type Lease struct {
	// MAC is the client's hardware address (aa:bb:cc:dd:ee:ff).
	MAC string `json:"mac"`
	// IP is the leased address.
	IP netip.Addr `json:"ip"`
	// Expiry is when the lease ends unless renewed.
	Expiry time.Time `json:"expiry"`
	// Hostname is what the client called itself, if anything.
	Hostname string `json:"hostname,omitempty"`
	// Offered marks an address offered but not yet requested (held
	// briefly so two clients are not offered the same one).
	Offered bool `json:"offered,omitempty"`
}

// OfferHold is how long an offered address is kept for its client.
const OfferHold = 30 * time.Second

// ErrPoolFull is returned when no address of the range is free.
var ErrPoolFull = errors.New("no free address in the DHCP range")

// ErrNotYours is returned when a client requests an address it may not
// have (outside the range, or leased to another client).
var ErrNotYours = errors.New("address not available to this client")

// Pool is the lease table of one range. It is safe for concurrent use.
// Expired leases are kept (a returning client gets its old address back)
// and given to another client only when no never-leased address is left.
type Pool struct {
	mu     sync.Mutex
	rng    Range
	static map[netip.Addr]bool
	byIP   map[netip.Addr]*Lease
	byMAC  map[string]*Lease
}

// NewPool makes an empty pool for r; static addresses are never handed out.
func NewPool(r Range, static ...netip.Addr) *Pool {
	p := &Pool{rng: r, static: map[netip.Addr]bool{}, byIP: map[netip.Addr]*Lease{}, byMAC: map[string]*Lease{}}
	for _, s := range static {
		p.static[s] = true
	}
	return p
}

func macKey(mac net.HardwareAddr) string { return mac.String() }

// usable reports whether ip may go to mac at now (caller holds mu).
func (p *Pool) usable(ip netip.Addr, mac string, now time.Time) bool {
	if !p.rng.Contains(ip) || p.static[ip] {
		return false
	}
	l := p.byIP[ip]
	return l == nil || l.MAC == mac || !now.Before(l.Expiry)
}

// set gives ip to mac (caller holds mu), dropping mac's other lease and
// the expired lease of another client on ip.
func (p *Pool) set(l Lease) *Lease {
	if old := p.byMAC[l.MAC]; old != nil && old.IP != l.IP {
		delete(p.byIP, old.IP)
	}
	if old := p.byIP[l.IP]; old != nil && old.MAC != l.MAC {
		delete(p.byMAC, old.MAC)
	}
	nl := &l
	p.byIP[l.IP] = nl
	p.byMAC[l.MAC] = nl
	return nl
}

// Offer picks an address for mac: its current or last address, else the
// one it asks for (want, may be zero) if free, else the lowest
// never-leased address, else the one expired longest ago.
func (p *Pool) Offer(mac net.HardwareAddr, want netip.Addr, hostname string, now time.Time) (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := macKey(mac)
	if l := p.byMAC[key]; l != nil && p.usable(l.IP, key, now) {
		if l.Offered || !now.Before(l.Expiry) {
			l.Offered, l.Expiry = true, now.Add(OfferHold)
		}
		return l.IP, nil
	}
	ip, ok := netip.Addr{}, false
	if want.IsValid() && p.usable(want, key, now) {
		ip, ok = want, true
	}
	if !ok {
		var oldest *Lease
		for a := p.rng.Start; a.IsValid() && p.rng.Contains(a); a = a.Next() {
			if p.static[a] {
				continue
			}
			l := p.byIP[a]
			if l == nil {
				ip, ok = a, true
				break
			}
			if !now.Before(l.Expiry) && (oldest == nil || l.Expiry.Before(oldest.Expiry)) {
				oldest = l
			}
		}
		if !ok && oldest != nil {
			ip, ok = oldest.IP, true
		}
	}
	if !ok {
		return netip.Addr{}, fmt.Errorf("offer for %v: %w (%v)", mac, ErrPoolFull, p.rng)
	}
	p.set(Lease{MAC: key, IP: ip, Expiry: now.Add(OfferHold), Hostname: hostname, Offered: true})
	return ip, nil
}

// Bind leases ip to mac for d (a REQUEST, first or renewal). It fails
// with ErrNotYours when ip is outside the range or another client's.
func (p *Pool) Bind(mac net.HardwareAddr, ip netip.Addr, hostname string, d time.Duration, now time.Time) (Lease, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := macKey(mac)
	if !p.usable(ip, key, now) {
		return Lease{}, fmt.Errorf("request of %v by %v: %w", ip, mac, ErrNotYours)
	}
	if hostname == "" {
		if old := p.byMAC[key]; old != nil {
			hostname = old.Hostname
		}
	}
	return *p.set(Lease{MAC: key, IP: ip, Expiry: now.Add(d), Hostname: hostname}), nil
}

// Release ends mac's lease on ip now (the address stays remembered for it).
func (p *Pool) Release(mac net.HardwareAddr, ip netip.Addr, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.byIP[ip]; l != nil && l.MAC == macKey(mac) && now.Before(l.Expiry) {
		l.Expiry, l.Offered = now, false
	}
}

// Decline takes ip out of use for a while: a client found it in use.
func (p *Pool) Decline(mac net.HardwareAddr, ip netip.Addr, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.byIP[ip]; l != nil && l.MAC == macKey(mac) {
		delete(p.byMAC, l.MAC)
		p.byIP[ip] = &Lease{MAC: "declined", IP: ip, Expiry: now.Add(10 * OfferHold)}
	}
}

// Leases lists the table (bound, expired and offered), by address.
func (p *Pool) Leases() []Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Lease, 0, len(p.byIP))
	for _, l := range p.byIP {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].IP.Less(out[j].IP) })
	return out
}

// Snapshot is the part of the table worth persisting: bound leases,
// expired or not (offers are not kept).
func (p *Pool) Snapshot() []Lease {
	var out []Lease
	for _, l := range p.Leases() {
		if !l.Offered && l.MAC != "declined" {
			out = append(out, l)
		}
	}
	return out
}

// Restore loads persisted leases. Leases outside the range or on a
// static address (the configuration changed) are skipped and returned.
func (p *Pool) Restore(leases []Lease) (skipped []Lease) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range leases {
		if _, err := net.ParseMAC(l.MAC); err != nil || !p.rng.Contains(l.IP) || p.static[l.IP] || l.Offered {
			skipped = append(skipped, l)
			continue
		}
		if cur := p.byIP[l.IP]; cur != nil && cur.Expiry.After(l.Expiry) {
			skipped = append(skipped, l)
			continue
		}
		p.set(l)
	}
	return skipped
}
