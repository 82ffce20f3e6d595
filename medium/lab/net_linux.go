// SPDX-License-Identifier: MIT

package lab

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"

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

// labNet holds a lab's running DHCP servers and clients (its uplinks
// are in its state and its close functions).
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

// netHints are the summary's extra commands to try for a lab with an
// uplink or DHCP: reach the uplink's far end from a station, list leases.
func (l *Lab) netHints() string {
	l.mu.Lock()
	ups := append([]uplink.Record(nil), l.state.Uplinks...)
	l.mu.Unlock()
	var b strings.Builder
	for _, u := range ups {
		for i, r := range l.cfg.Radios {
			ap := l.cfg.apOf(i)
			if r.Role != RoleSTA || r.Netns == "" || ap < 0 || labName(l.cfg.Radios[ap].Name) != u.Lab || len(u.HostAddrs) == 0 {
				continue
			}
			side := "the host"
			if u.HostNetns != "" {
				side = "namespace " + u.HostNetns
			}
			fmt.Fprintf(&b, "  sudo ip netns exec %s ping -c 3 %s   # through %s's %s uplink to %s\n", r.Netns, u.HostAddrs[0].Addr(), l.cfg.Radios[ap].Name, u.Mode, side)
			break
		}
	}
	for _, r := range l.cfg.Radios {
		if r.DHCP != nil {
			b.WriteString("  vmctl leases\n")
			break
		}
	}
	return b.String()
}
