// SPDX-License-Identifier: MIT

package control

import (
	"context"
	"net/http"
	"time"
)

// The lab's addresses: DHCP leases and where each radio's address comes
// from (static, dhcp or none). Both lists are empty when the lab has no
// DHCP (or no lab runs: --attach, --no-lab).
//
//	GET /v1/leases     []Lease
//	GET /v1/addresses  []Addressing

// Lease is one DHCP lease of a lab AP's server.
type Lease struct {
	AP       string    `json:"ap"`              // the AP whose server leased it
	Radio    string    `json:"radio,omitempty"` // the lab radio with that MAC, if any
	MAC      string    `json:"mac"`
	IP       string    `json:"ip"`
	Expiry   time.Time `json:"expiry"`
	Hostname string    `json:"hostname,omitempty"`
	State    string    `json:"state"` // bound, expired or offered
}

// Addressing says where a radio's IPv4 address comes from and what it is.
type Addressing struct {
	Radio  string `json:"radio"`
	Source string `json:"source"`         // static, dhcp or none
	Addr   string `json:"addr,omitempty"` // with prefix length; "" while a DHCP station has no lease
}

// NetSource is what the server asks the running lab for (Options.Net).
type NetSource struct {
	Leases     func() []Lease
	Addressing func() []Addressing
}

func (s *server) leases(w http.ResponseWriter, r *http.Request) {
	out := []Lease{}
	if s.opt.Net != nil && s.opt.Net.Leases != nil {
		out = append(out, s.opt.Net.Leases()...)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) addresses(w http.ResponseWriter, r *http.Request) {
	out := []Addressing{}
	if s.opt.Net != nil && s.opt.Net.Addressing != nil {
		out = append(out, s.opt.Net.Addressing()...)
	}
	writeJSON(w, http.StatusOK, out)
}

// Leases lists the lab's DHCP leases.
func (c *Client) Leases(ctx context.Context) ([]Lease, error) {
	var ls []Lease
	return ls, c.do(ctx, http.MethodGet, "/v1/leases", nil, &ls)
}

// Addresses lists each radio's address source and address.
func (c *Client) Addresses(ctx context.Context) ([]Addressing, error) {
	var as []Addressing
	return as, c.do(ctx, http.MethodGet, "/v1/addresses", nil, &as)
}
