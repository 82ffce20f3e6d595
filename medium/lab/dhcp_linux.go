// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmedium/vmedium/medium/dhcp"
)

// The DHCP side of a lab: the clients of the `address: dhcp` stations,
// and what `vmctl leases` and `vmctl radios` show.

// DHCPTimeout bounds how long Up waits for the DHCP stations' leases
// before it reports the laggards and returns anyway (their clients keep
// trying while the lab runs).
const DHCPTimeout = 10 * time.Second

// upClients starts the DHCP clients of the `address: dhcp` stations (all
// at once, after association) and waits at most DHCPTimeout for their
// leases. A station still without one is reported; its client keeps
// trying in the background while the lab runs.
func (l *Lab) upClients(ctx context.Context) error {
	var stas []RadioConfig
	for _, r := range l.cfg.Radios {
		if r.Role == RoleSTA && r.IsDHCP() {
			stas = append(stas, r)
		}
	}
	if len(stas) == 0 {
		return nil
	}
	var wg sync.WaitGroup
	got := make(chan string, len(stas))
	start := time.Now()
	for _, r := range stas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l.ctx.Err() == nil {
				c, err := dhcp.StartClient(l.ctx, dhcp.ClientConfig{Netns: r.Netns, Interface: r.Name, Hostname: r.Name})
				if err != nil {
					l.log.Debug("DHCP client", "radio", r.Name, "err", err)
					select {
					case <-l.ctx.Done():
					case <-time.After(200 * time.Millisecond):
					}
					continue
				}
				l.net.mu.Lock()
				if l.net.clients == nil {
					l.net.clients = map[string]*dhcp.Client{}
				}
				l.net.clients[r.Name] = c
				l.net.mu.Unlock()
				a := c.Assigned()
				l.Progressf("%s: %v by DHCP from %v (gateway %v) after %v", r.Name, a.Addr, a.Server, a.Router, time.Since(start).Round(time.Millisecond))
				got <- r.Name
				return
			}
		}()
	}
	l.OnClose(func() error {
		wg.Wait() // the lab's context is cancelled: the clients stop trying
		l.net.mu.Lock()
		cs := l.net.clients
		l.net.clients = nil
		l.net.mu.Unlock()
		var errs []error
		for _, c := range cs {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	})
	timer := time.NewTimer(DHCPTimeout)
	defer timer.Stop()
	done := map[string]bool{}
	for len(done) < len(stas) {
		select {
		case n := <-got:
			done[n] = true
		case <-timer.C:
			var late []string
			for _, r := range stas {
				if !done[r.Name] {
					late = append(late, r.Name)
				}
			}
			l.Progressf("warning: no DHCP lease after %v: %s (still trying; check association and the AP's dhcp range)", DHCPTimeout, strings.Join(late, ", "))
			l.log.Warn("stations without a DHCP lease", "radios", late, "timeout", DHCPTimeout)
			return nil
		case <-ctx.Done():
			return fmt.Errorf("bring lab up: %w", ctx.Err())
		}
	}
	return nil
}

// Lease is one DHCP lease of the lab, for `vmctl leases`.
type Lease struct {
	AP       string    `json:"ap"`              // the AP serving it
	Radio    string    `json:"radio,omitempty"` // the lab radio with that MAC, if any
	MAC      string    `json:"mac"`
	IP       string    `json:"ip"`
	Expiry   time.Time `json:"expiry"`
	Hostname string    `json:"hostname,omitempty"`
	State    string    `json:"state"` // bound, expired or offered
}

// Leases lists the leases of every DHCP server of the lab, by AP and address.
func (l *Lab) Leases() []Lease {
	l.net.mu.Lock()
	servers := make(map[string]*dhcp.Server, len(l.net.servers))
	for k, v := range l.net.servers {
		servers[k] = v
	}
	l.net.mu.Unlock()
	byMAC := map[string]string{}
	for i, r := range l.cfg.Radios {
		if hw, err := r.HWAddr(i); err == nil {
			byMAC[hw.String()] = r.Name
		}
	}
	for _, n := range l.Nodes() {
		if n.Radio != nil {
			byMAC[n.Radio.Addr().String()] = n.Config.Name
		}
	}
	aps := make([]string, 0, len(servers))
	for k := range servers {
		aps = append(aps, k)
	}
	sort.Strings(aps)
	now := time.Now()
	var out []Lease
	for _, ap := range aps {
		for _, ls := range servers[ap].Leases() {
			st := "bound"
			switch {
			case ls.Offered:
				st = "offered"
			case !ls.Expiry.After(now):
				st = "expired"
			}
			out = append(out, Lease{AP: ap, Radio: byMAC[strings.ToLower(ls.MAC)], MAC: ls.MAC, IP: ls.IP.String(),
				Expiry: ls.Expiry.UTC(), Hostname: ls.Hostname, State: st})
		}
	}
	return out
}

// Addressing is where a radio's IPv4 address comes from and what it is.
type Addressing struct {
	Radio  string `json:"radio"`
	Source string `json:"source"`         // static, dhcp or none
	Addr   string `json:"addr,omitempty"` // with prefix length; "" while a DHCP station has no lease
}

// Addressing lists each radio's address source and address, in
// configuration order.
func (l *Lab) Addressing() []Addressing {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	out := make([]Addressing, 0, len(l.cfg.Radios))
	for _, r := range l.cfg.Radios {
		a := Addressing{Radio: r.Name, Source: r.AddressSource()}
		switch {
		case r.IsDHCP():
			if c := l.net.clients[r.Name]; c != nil {
				a.Addr = c.Assigned().Addr.String()
			}
		case r.Address != "":
			a.Addr = r.Address
		}
		out = append(out, a)
	}
	return out
}

// summaryAddress is the IP column of the lab table: a DHCP station's
// leased address ("dhcp, no lease yet" before it has one).
func (l *Lab) summaryAddress(r RadioConfig) string {
	if !r.IsDHCP() {
		return r.Address
	}
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	if c := l.net.clients[r.Name]; c != nil {
		return c.Assigned().Addr.String()
	}
	return "dhcp, no lease yet"
}
