// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/dhcp"
	"github.com/vmedium/vmedium/medium/netnsutil"
	"github.com/vmedium/vmedium/medium/uplink"
)

// The lab's network beyond the air, brought up with the radios: each AP's
// uplink (recorded in lab.json before it is built, removed on Close,
// reaped by the next run after a crash) and DHCP server (its leases kept
// in leases.json in the state directory, so a restarted lab hands the
// same stations the same addresses), then, once the stations are
// associated, the DHCP clients of the `address: dhcp` stations.

// DHCPTimeout bounds how long Up waits for the DHCP stations' leases
// before it reports the laggards and returns anyway (their clients keep
// trying while the lab runs).
const DHCPTimeout = 10 * time.Second

// leaseSaveInterval is how often changed leases are written to leases.json.
const leaseSaveInterval = 500 * time.Millisecond

// labNet is the running uplinks, DHCP servers and clients of a lab.
type labNet struct {
	mu      sync.Mutex
	servers map[string]*dhcp.Server // by AP name
	clients map[string]*dhcp.Client // by station name
	saved   string                  // leases.json as last written
}

// CheckHost checks what the configuration expects to find on the host
// before anything is built: each uplink's host-side namespace exists and
// its via interface is there. Errors are *ConfigError (bad input).
func CheckHost(cfg *Config) error {
	for i, r := range cfg.Radios {
		u := r.Uplink
		if r.Role != RoleAP || u == nil {
			continue
		}
		p := fmt.Sprintf("radios[%d].uplink", i)
		where := "the host"
		if u.Netns != "" {
			where = "namespace " + u.Netns
			if !netnsutil.Exists(u.Netns) {
				return &ConfigError{Path: p + ".netns", Msg: fmt.Sprintf("radio %s: uplink netns %q does not exist: accepted is an existing namespace (create it: ip netns add %s), or none for the host", r.Name, u.Netns, u.Netns)}
			}
		}
		if u.Via == "" {
			continue
		}
		h, err := routeHandle(u.Netns)
		if err != nil {
			return fmt.Errorf("radio %s: uplink: open %s: %w", r.Name, where, err)
		}
		_, lerr := h.LinkByName(u.Via)
		var have []string
		if lerr != nil {
			if links, err := h.LinkList(); err == nil {
				for _, l := range links {
					have = append(have, l.Attrs().Name)
				}
			}
		}
		h.Close()
		if lerr != nil {
			sort.Strings(have)
			return &ConfigError{Path: p + ".via", Msg: fmt.Sprintf("radio %s: uplink interface %q not found in %s: accepted is an existing interface (there: %s)", r.Name, u.Via, where, strings.Join(have, ", "))}
		}
	}
	return nil
}

// routeHandle is an rtnetlink handle in a named namespace, or ("") in
// the one vmedium runs in.
func routeHandle(ns string) (*netlink.Handle, error) {
	if ns == "" {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	return netnsutil.Handle(ns)
}

// upNet brings up the APs' uplinks and DHCP servers, and gives static
// stations behind an uplink a default route via their AP.
func (l *Lab) upNet() error {
	cfg := l.cfg
	leases, err := loadLeases(l.stateDir)
	if err != nil {
		l.Progressf("warning: %v (starting with no leases)", err)
		leases = nil
	}
	for i, r := range cfg.Radios {
		if r.Role != RoleAP {
			continue
		}
		if uc, ok := cfg.UplinkConfigOf(i); ok {
			if err := l.upUplink(r, uc); err != nil {
				return err
			}
		}
		sc, ok, err := cfg.DHCPServerConfigOf(i)
		if err != nil {
			return fmt.Errorf("radio %s: dhcp: %w", r.Name, err)
		}
		if !ok {
			continue
		}
		srv, err := dhcp.NewServer(sc, leases[r.Name])
		if err != nil {
			return fmt.Errorf("radio %s: %w", r.Name, err)
		}
		l.net.mu.Lock()
		if l.net.servers == nil {
			l.net.servers = map[string]*dhcp.Server{}
		}
		l.net.servers[r.Name] = srv
		l.net.mu.Unlock()
		l.OnClose(func() error {
			err := srv.Close()
			return errors.Join(err, l.saveLeases())
		})
		l.Progressf("%s: DHCP server, range %v, lease %v, %d lease(s) restored", r.Name, sc.Range, sc.Lease, len(srv.Snapshot()))
	}
	l.net.mu.Lock()
	serving := len(l.net.servers) > 0
	l.net.mu.Unlock()
	if serving {
		done := make(chan struct{})
		go l.keepLeases(done)
		l.OnClose(func() error { <-done; return nil })
	}
	for i, r := range cfg.Radios {
		if r.Role != RoleSTA || r.IsDHCP() {
			continue
		}
		ap := cfg.apOf(i)
		p, ok := r.Prefix()
		if ap < 0 || cfg.Radios[ap].Uplink == nil || !ok {
			continue
		}
		gw, _ := cfg.Radios[ap].Prefix()
		if !p.Masked().Contains(gw.Addr()) {
			continue
		}
		if err := defaultRoute(r.Netns, r.Name, gw.Addr()); err != nil {
			l.Progressf("warning: %s: no default route via %v: %v", r.Name, gw.Addr(), err)
		}
	}
	return nil
}

// upUplink records an AP's uplink in lab.json, builds it, records what
// was built and registers its removal.
func (l *Lab) upUplink(r RadioConfig, uc uplink.Config) error {
	plan, err := uplink.Plan(uc)
	if err != nil {
		return fmt.Errorf("radio %s: uplink: %w", r.Name, err)
	}
	if err := l.recordUplink(plan); err != nil {
		return err
	}
	u, err := uplink.Setup(uc)
	if err != nil {
		return fmt.Errorf("radio %s: uplink: %w", r.Name, err)
	}
	rec := u.Record()
	if err := l.recordUplink(rec); err != nil {
		return errors.Join(err, u.Close())
	}
	l.OnClose(func() error {
		if err := u.Close(); err != nil {
			return err
		}
		return l.forgetUplink(rec.Lab)
	})
	side := "the host"
	if uc.HostNetns != "" {
		side = "namespace " + uc.HostNetns
	}
	via := ""
	if uc.Via != "" {
		via = " out of " + uc.Via
	}
	l.Progressf("%s: uplink %s: %s %v in %s ↔ %s %v in %s%s, nftables table inet %s",
		r.Name, uc.Mode, rec.APIf, rec.APAddrs[0], r.Netns, rec.HostIf, rec.HostAddrs[0], side, via, uplink.TableName(rec.Lab))
	return nil
}

// recordUplink adds (or replaces, by lab name) an uplink record in lab.json.
func (l *Lab) recordUplink(rec uplink.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	replaced := false
	for i := range l.state.Uplinks {
		if l.state.Uplinks[i].Lab == rec.Lab {
			l.state.Uplinks[i], replaced = rec, true
		}
	}
	if !replaced {
		l.state.Uplinks = append(l.state.Uplinks, rec)
	}
	return WriteStateFile(l.stateDir, l.state)
}

// forgetUplink drops a removed uplink's record from lab.json.
func (l *Lab) forgetUplink(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.state.Uplinks[:0]
	for _, u := range l.state.Uplinks {
		if u.Lab != name {
			out = append(out, u)
		}
	}
	l.state.Uplinks = out
	return WriteStateFile(l.stateDir, l.state)
}

// reapUplinks removes the uplinks a dead run recorded (before its
// namespaces go: the tables in them are removed by name first).
func (l *Lab) reapUplinks(st StateFile) error {
	var errs []error
	for _, rec := range st.Uplinks {
		if err := uplink.Reap(rec); err != nil {
			errs = append(errs, fmt.Errorf("reap stale uplink left by pid %d: %w", st.PID, err))
			continue
		}
		l.Progressf("removed stale uplink %s (veth %s, table inet %s) left by pid %d", rec.Lab, rec.HostIf, uplink.TableName(rec.Lab), st.PID)
		l.log.Info("removed stale uplink", "uplink", rec.Lab, "veth", rec.HostIf, "pid", st.PID)
	}
	return errors.Join(errs...)
}

// defaultRoute adds a default route via gw on dev in a namespace that has
// none.
func defaultRoute(ns, dev string, gw netip.Addr) error {
	h, err := netnsutil.Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	link, err := h.LinkByName(dev)
	if err != nil {
		return fmt.Errorf("find %s in %s: %w", dev, ns, err)
	}
	routes, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return fmt.Errorf("list routes in %s: %w", ns, err)
	}
	for _, rt := range routes {
		if rt.Dst == nil || rt.Dst.IP.IsUnspecified() && maskOnes(rt.Dst) == 0 {
			return nil // the namespace has one: leave it
		}
	}
	rt := &netlink.Route{LinkIndex: link.Attrs().Index, Dst: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, Gw: gw.AsSlice()}
	if err := h.RouteAdd(rt); err != nil {
		return fmt.Errorf("add default route via %v dev %s in %s: %w", gw, dev, ns, err)
	}
	return nil
}

func maskOnes(n *net.IPNet) int {
	ones, _ := n.Mask.Size()
	return ones
}

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

// LeasesFileName is the file in the state directory that keeps the DHCP
// servers' leases across restarts (by AP name). Unlike lab.json it stays
// when the lab stops.
const LeasesFileName = "leases.json"

// RemoveLeasesFile deletes leases.json (missing is fine): `vmedium run
// --reset` starts with empty lease tables.
func RemoveLeasesFile(dir string) error {
	err := os.Remove(filepath.Join(dir, LeasesFileName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove DHCP leases: %w", err)
	}
	return nil
}

// loadLeases reads leases.json (none: an empty table).
func loadLeases(dir string) (map[string][]dhcp.Lease, error) {
	p := filepath.Join(dir, LeasesFileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read DHCP leases: %w", err)
	}
	var out map[string][]dhcp.Lease
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("read DHCP leases %s: %w", p, err)
	}
	return out, nil
}

// saveLeases writes the servers' bound leases to leases.json when they
// changed since the last write (temp file, fsync, rename). Servers of
// other APs in the file (a lab that had them before) are kept.
func (l *Lab) saveLeases() error {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	if len(l.net.servers) == 0 {
		return nil
	}
	all, err := loadLeases(l.stateDir)
	if err != nil || all == nil {
		all = map[string][]dhcp.Lease{}
	}
	for name, s := range l.net.servers {
		all[name] = s.Snapshot()
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("write DHCP leases: %w", err)
	}
	if string(data) == l.net.saved {
		return nil
	}
	f, err := os.CreateTemp(l.stateDir, LeasesFileName+".tmp*")
	if err != nil {
		return fmt.Errorf("write DHCP leases: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write DHCP leases %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(l.stateDir, LeasesFileName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write DHCP leases: %w", err)
	}
	l.net.saved = string(data)
	return nil
}

// keepLeases writes changed leases every leaseSaveInterval until the lab
// closes, so a crash loses at most that much.
func (l *Lab) keepLeases(done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(leaseSaveInterval)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
			if err := l.saveLeases(); err != nil {
				l.log.Warn("DHCP leases not saved", "err", err)
			}
		}
	}
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
