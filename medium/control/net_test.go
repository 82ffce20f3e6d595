// SPDX-License-Identifier: MIT

package control

import (
	"context"
	"reflect"
	"testing"
	"time"
)

func TestLeasesAndAddresses(t *testing.T) {
	m, _ := newTestMedium(t)
	ctx := context.Background()
	// No lab net: empty lists, not errors.
	c := serve(t, m, Options{})
	if ls, err := c.Leases(ctx); err != nil || len(ls) != 0 {
		t.Fatalf("leases without a lab: %v %v", ls, err)
	}
	if as, err := c.Addresses(ctx); err != nil || len(as) != 0 {
		t.Fatalf("addresses without a lab: %v %v", as, err)
	}
	exp := time.Date(2026, 11, 29, 13, 0, 0, 0, time.UTC)
	leases := []Lease{{AP: "vw0", Radio: "vw1", MAC: "02:00:00:00:01:00", IP: "10.0.0.100", Expiry: exp, Hostname: "vw1", State: "bound"}}
	addrs := []Addressing{{Radio: "vw0", Source: "static", Addr: "10.0.0.1/24"}, {Radio: "vw1", Source: "dhcp", Addr: "10.0.0.100/24"}, {Radio: "vw2", Source: "dhcp"}}
	c = serve(t, m, Options{Net: &NetSource{Leases: func() []Lease { return leases }, Addressing: func() []Addressing { return addrs }}})
	if ls, err := c.Leases(ctx); err != nil || !reflect.DeepEqual(ls, leases) {
		t.Fatalf("leases %+v %v, want %+v", ls, err, leases)
	}
	if as, err := c.Addresses(ctx); err != nil || !reflect.DeepEqual(as, addrs) {
		t.Fatalf("addresses %+v %v, want %+v", as, err, addrs)
	}
}
