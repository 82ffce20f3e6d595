// SPDX-License-Identifier: MIT

package dhcp

import (
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func mac(i byte) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, i} }

func bind(t *testing.T, p *Pool, m net.HardwareAddr, now time.Time) netip.Addr {
	t.Helper()
	ip, err := p.Offer(m, netip.Addr{}, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Bind(m, ip, "", time.Minute, now); err != nil {
		t.Fatal(err)
	}
	return ip
}

func TestPoolAllocation(t *testing.T) {
	a := netip.MustParseAddr
	p := NewPool(mustRange(t, "10.0.0.10-10.0.0.12"), a("10.0.0.11"))
	ip1 := bind(t, p, mac(1), t0)
	ip2 := bind(t, p, mac(2), t0)
	if ip1 != a("10.0.0.10") || ip2 != a("10.0.0.12") {
		t.Fatalf("got %v %v, want .10 and .12 (.11 is static)", ip1, ip2)
	}
	if _, err := p.Offer(mac(3), netip.Addr{}, "", t0); !errors.Is(err, ErrPoolFull) {
		t.Errorf("third client: %v, want ErrPoolFull", err)
	}
	if _, err := p.Bind(mac(3), ip1, "", time.Minute, t0); !errors.Is(err, ErrNotYours) {
		t.Errorf("stealing a bound address: %v", err)
	}
	// The same client gets the same address again, also after expiry.
	if ip, _ := p.Offer(mac(1), a("10.0.0.12"), "", t0.Add(time.Hour)); ip != ip1 {
		t.Errorf("returning client got %v, want %v", ip, ip1)
	}
	// Once expired, an address can go to someone else when nothing else is free.
	if ip, err := p.Offer(mac(3), netip.Addr{}, "", t0.Add(2*time.Hour)); err != nil || ip != ip2 {
		t.Errorf("after expiry: %v %v, want %v", ip, err, ip2)
	}
}

func TestPoolSnapshotRestore(t *testing.T) {
	p := NewPool(mustRange(t, "10.0.0.10-10.0.0.20"))
	ip1 := bind(t, p, mac(1), t0)
	ip2 := bind(t, p, mac(2), t0)
	if _, err := p.Offer(mac(9), netip.Addr{}, "", t0); err != nil { // an offer only
		t.Fatal(err)
	}
	b, err := json.Marshal(p.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var saved []Lease
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	if len(saved) != 2 {
		t.Fatalf("snapshot %+v, want the 2 bound leases", saved)
	}
	q := NewPool(mustRange(t, "10.0.0.10-10.0.0.20"))
	if skipped := q.Restore(append(saved, Lease{MAC: "02:00:00:00:00:07", IP: netip.MustParseAddr("10.9.9.9")})); len(skipped) != 1 {
		t.Errorf("skipped %v, want the out-of-range lease", skipped)
	}
	// The second client asks first: it still gets its own address.
	if ip, _ := q.Offer(mac(2), netip.Addr{}, "", t0.Add(time.Second)); ip != ip2 {
		t.Errorf("restored client 2 got %v, want %v", ip, ip2)
	}
	if ip, _ := q.Offer(mac(1), netip.Addr{}, "", t0.Add(time.Second)); ip != ip1 {
		t.Errorf("restored client 1 got %v, want %v", ip, ip1)
	}
}
