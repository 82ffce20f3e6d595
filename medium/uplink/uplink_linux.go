// SPDX-License-Identifier: MIT

package uplink

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// Uplink is a built uplink. Close removes it.
type Uplink struct {
	mu     sync.Mutex
	rec    Record
	closed bool
}

// Record returns what the uplink created (a copy), for the lab's state.
func (u *Uplink) Record() Record {
	u.mu.Lock()
	defer u.mu.Unlock()
	return cloneRecord(u.rec)
}

// Close removes everything the uplink created. A second Close does nothing.
func (u *Uplink) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	return Reap(u.rec)
}

func cloneRecord(r Record) Record {
	r.HostAddrs = append([]netip.Prefix(nil), r.HostAddrs...)
	r.APAddrs = append([]netip.Prefix(nil), r.APAddrs...)
	r.Links = append([]LinkRef(nil), r.Links...)
	r.Tables = append([]TableRef(nil), r.Tables...)
	r.Routes = append([]RouteRef(nil), r.Routes...)
	r.Sysctls = append([]SysctlRef(nil), r.Sysctls...)
	return r
}

// Setup checks cfg against the namespaces and builds the uplink. On bad
// input it returns an error wrapping ErrInvalid and builds nothing; if a
// step fails midway, what was built is removed before it returns.
func Setup(cfg Config) (*Uplink, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if err := check(r); err != nil {
		return nil, err
	}
	u := &Uplink{rec: Record{
		Lab: r.Lab, Mode: r.Mode, APNetns: r.APNetns, HostNetns: r.HostNetns,
		HostIf: r.hostIf, APIf: r.APIf,
	}}
	if err := build(r, &u.rec); err != nil {
		if rerr := Reap(u.rec); rerr != nil {
			err = errors.Join(err, fmt.Errorf("undo partial uplink: %w", rerr))
		}
		return nil, err
	}
	return u, nil
}

// check looks at the namespaces: they exist, the uplink interface exists,
// our links do not yet, the AP has no default route, and no lab or
// transit prefix overlaps an address or route already there.
func check(r *resolved) error {
	if !netnsutil.Exists(r.APNetns) {
		return invalid("AP namespace %q does not exist: accepted is an existing named namespace (ip netns list)", r.APNetns)
	}
	if r.HostNetns != "" && !netnsutil.Exists(r.HostNetns) {
		return invalid("host-side namespace %q does not exist: accepted is an existing named namespace, or none for the host", r.HostNetns)
	}
	host, err := routeHandle(r.HostNetns)
	if err != nil {
		return err
	}
	defer host.Close()
	ap, err := routeHandle(r.APNetns)
	if err != nil {
		return err
	}
	defer ap.Close()

	if r.Via != "" {
		if _, err := host.LinkByName(r.Via); err != nil {
			have, _ := linkNames(host)
			return invalid("uplink interface %q not found in %s: accepted is an existing interface (there: %s)",
				r.Via, nsLabel(r.HostNetns), strings.Join(have, ", "))
		}
	}
	if _, err := host.LinkByName(r.hostIf); err == nil {
		return fmt.Errorf("link %s already exists in %s: lab %q's uplink is up, or was not removed after a crash (reap its record): %w",
			r.hostIf, nsLabel(r.HostNetns), r.Lab, ErrExists)
	}
	if _, err := ap.LinkByName(r.APIf); err == nil {
		return fmt.Errorf("link %s already exists in namespace %s: accepted is an AP namespace without it: %w", r.APIf, r.APNetns, ErrExists)
	}
	fams := []int{netlink.FAMILY_V4}
	if len(r.v6) > 0 {
		fams = append(fams, netlink.FAMILY_V6)
	}
	for _, fam := range fams {
		routes, err := retryDump(func() ([]netlink.Route, error) { return ap.RouteList(nil, fam) })
		if err != nil {
			return fmt.Errorf("list routes in namespace %s: %w", r.APNetns, err)
		}
		for _, rt := range routes {
			if rt.Dst == nil || isDefault(rt.Dst) {
				return invalid("namespace %s already has a default route (via %v): accepted is an AP namespace whose default route the uplink sets", r.APNetns, rt.Gw)
			}
		}
	}
	lab := append(append([]netip.Prefix(nil), r.v4...), r.v6...)
	transit := []netip.Prefix{r.Transit}
	if r.Transit6.IsValid() && len(r.v6) > 0 {
		transit = append(transit, r.Transit6)
	}
	if err := noOverlap(host, r.HostNetns, append(append([]netip.Prefix(nil), lab...), transit...)); err != nil {
		return err
	}
	return noOverlap(ap, r.APNetns, transit)
}

// ErrExists is wrapped when a link the uplink would create is already there.
var ErrExists = errors.New("uplink already exists")

func isDefault(n *net.IPNet) bool { ones, _ := n.Mask.Size(); return ones == 0 }

func linkNames(h *netlink.Handle) ([]string, error) {
	links, err := retryDump(h.LinkList)
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	sort.Strings(names)
	return names, err
}

// noOverlap fails when one of prefixes overlaps a global address or a
// non-default route in a namespace.
func noOverlap(h *netlink.Handle, netnsName string, prefixes []netip.Prefix) error {
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return fmt.Errorf("list addresses in %s: %w", nsLabel(netnsName), err)
	}
	for _, a := range addrs {
		ap, ok := prefixOf(a.IPNet)
		if !ok || ap.Addr().IsLoopback() || ap.Addr().IsLinkLocalUnicast() {
			continue
		}
		for _, p := range prefixes {
			if p.Overlaps(ap) {
				dev := ""
				if l, err := h.LinkByIndex(a.LinkIndex); err == nil {
					dev = " on " + l.Attrs().Name
				}
				return invalid("%v overlaps address %v%s in %s: accepted are lab and transit prefixes that overlap no address there", p, ap, dev, nsLabel(netnsName))
			}
		}
	}
	routes, err := retryDump(func() ([]netlink.Route, error) { return h.RouteList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return fmt.Errorf("list routes in %s: %w", nsLabel(netnsName), err)
	}
	for _, rt := range routes {
		rp, ok := prefixOf(rt.Dst)
		if !ok || rp.Bits() == 0 || rp.Addr().IsLinkLocalUnicast() || rp.Addr().IsMulticast() {
			continue
		}
		for _, p := range prefixes {
			if p.Overlaps(rp) {
				return invalid("%v overlaps route %v in %s: accepted are lab and transit prefixes that overlap no route there", p, rp, nsLabel(netnsName))
			}
		}
	}
	return nil
}

func prefixOf(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), ones), true
}

func ipnet(p netip.Prefix) *net.IPNet {
	bits := 32
	if p.Addr().Is6() {
		bits = 128
	}
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), bits)}
}

// build creates the uplink, appending each thing to rec as soon as it
// exists, so a failure can be undone from rec.
func build(r *resolved, rec *Record) error {
	host, err := routeHandle(r.HostNetns)
	if err != nil {
		return err
	}
	defer host.Close()
	apNS, err := openNS(r.APNetns)
	if err != nil {
		return err
	}
	defer apNS.Close()
	ap, err := routeHandle(r.APNetns)
	if err != nil {
		return err
	}
	defer ap.Close()

	veth := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: r.hostIf},
		PeerName:      r.APIf,
		PeerNamespace: netlink.NsFd(apNS),
	}
	if err := host.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s (in %s) - %s (in namespace %s): %w", r.hostIf, nsLabel(r.HostNetns), r.APIf, r.APNetns, err)
	}
	rec.Links = append(rec.Links, LinkRef{Netns: r.HostNetns, Name: r.hostIf})

	// The AP forwards between the lab and the uplink. Switched on before
	// the uplink's end comes up, so the link starts as a router's link.
	if err := setSysctl(rec, r.APNetns, "net.ipv4.ip_forward", "1"); err != nil {
		return err
	}
	if len(r.v6) > 0 {
		if err := setSysctl(rec, r.APNetns, "net.ipv6.conf.all.forwarding", "1"); err != nil {
			return err
		}
	}

	rec.HostAddrs = []netip.Prefix{r.hostAddr}
	rec.APAddrs = []netip.Prefix{r.apAddr}
	if len(r.v6) > 0 {
		rec.HostAddrs = append(rec.HostAddrs, r.hostAddr6)
		rec.APAddrs = append(rec.APAddrs, r.apAddr6)
	}
	if err := upWithAddrs(host, r.HostNetns, r.hostIf, rec.HostAddrs); err != nil {
		return err
	}
	if err := upWithAddrs(ap, r.APNetns, r.APIf, rec.APAddrs); err != nil {
		return err
	}
	if err := waitOperUp(host, r.HostNetns, r.hostIf, len(r.v6) > 0); err != nil {
		return err
	}
	if err := waitOperUp(ap, r.APNetns, r.APIf, len(r.v6) > 0); err != nil {
		return err
	}

	apLink, err := ap.LinkByName(r.APIf)
	if err != nil {
		return fmt.Errorf("find %s in namespace %s: %w", r.APIf, r.APNetns, err)
	}
	defaults := []RouteRef{{Netns: r.APNetns, Dst: netip.MustParsePrefix("0.0.0.0/0"), Gw: r.hostAddr.Addr(), Dev: r.APIf}}
	if len(r.v6) > 0 {
		defaults = append(defaults, RouteRef{Netns: r.APNetns, Dst: netip.MustParsePrefix("::/0"), Gw: r.hostAddr6.Addr(), Dev: r.APIf})
	}
	for _, rt := range defaults {
		if err := addRoute(ap, apLink, rec, rt); err != nil {
			return err
		}
	}

	table := TableName(r.Lab)
	if r.Mode == ModeNAT {
		lab := append(append([]netip.Prefix(nil), r.v4...), r.v6...)
		if err := addMasqTable(r.APNetns, table, r.APIf, lab); err != nil {
			return err
		}
		rec.Tables = append(rec.Tables, TableRef{Netns: r.APNetns, Name: table})
	}

	if r.Mode == ModeRouted {
		hostLink, err := host.LinkByName(r.hostIf)
		if err != nil {
			return fmt.Errorf("find %s in %s: %w", r.hostIf, nsLabel(r.HostNetns), err)
		}
		for _, s := range r.v4 {
			if err := addRoute(host, hostLink, rec, RouteRef{Netns: r.HostNetns, Dst: s, Gw: r.apAddr.Addr(), Dev: r.hostIf}); err != nil {
				return err
			}
		}
		for _, s := range r.v6 {
			if err := addRoute(host, hostLink, rec, RouteRef{Netns: r.HostNetns, Dst: s, Gw: r.apAddr6.Addr(), Dev: r.hostIf}); err != nil {
				return err
			}
		}
	}

	if r.Via != "" {
		// The host forwards between the transit link and its uplink; in
		// nat mode it also masquerades the transit link out of Via. The
		// table is created in routed mode too: it marks that this lab
		// relies on the host's forwarding (a lab stopping first does not
		// switch it off under another) and carries, as chain names, the
		// values the first lab found, so the last lab to go restores them.
		keys := []string{"net.ipv4.ip_forward"}
		if len(r.v6) > 0 {
			keys = append(keys, "net.ipv6.conf.all.forwarding")
		}
		var marks []SysctlRef
		for _, k := range keys {
			ref, err := setSharedSysctl(rec, r.HostNetns, k, "1")
			if err != nil {
				return err
			}
			if ref != nil {
				marks = append(marks, *ref)
			}
		}
		var masq []netip.Prefix
		if r.Mode == ModeNAT {
			masq = []netip.Prefix{r.Transit}
			if len(r.v6) > 0 {
				masq = append(masq, r.Transit6)
			}
		}
		if err := addMasqTable(r.HostNetns, table, r.Via, masq, marks...); err != nil {
			return err
		}
		rec.Tables = append(rec.Tables, TableRef{Netns: r.HostNetns, Name: table})
	}
	return nil
}

// upWithAddrs adds addresses to a link and sets it up, without duplicate
// address detection (on the link and on each address: a veth pair has
// no one else on it) so IPv6 is usable at once.
func upWithAddrs(h *netlink.Handle, netnsName, name string, addrs []netip.Prefix) error {
	l, err := h.LinkByName(name)
	if err != nil {
		return fmt.Errorf("find %s in %s: %w", name, nsLabel(netnsName), err)
	}
	if err := noDAD(netnsName, name); err != nil {
		return err
	}
	for _, a := range addrs {
		na := &netlink.Addr{IPNet: ipnet(a)}
		if a.Addr().Is6() {
			na.Flags = unix.IFA_F_NODAD
		}
		if err := h.AddrAdd(l, na); err != nil {
			return fmt.Errorf("add address %v to %s in %s: %w", a, name, nsLabel(netnsName), err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("set %s up in %s: %w", name, nsLabel(netnsName), err)
	}
	return nil
}

// operUpWait bounds how long Setup waits for the veth to carry traffic.
const operUpWait = 3 * time.Second

// waitOperUp waits until a link's operational state is up and, when
// v6, it has a usable (not tentative) IPv6 link-local address. A veth
// whose ends were just set up drops what it is given until the kernel's
// link watcher has run (up to a second later), and IPv6 neighbor
// solicitations for forwarded packets (whose source is not local) need
// the link-local address: without it the kernel waits for the next
// retransmission, a second later. Either would cost the first
// connection through the uplink a retransmission.
func waitOperUp(h *netlink.Handle, netnsName, name string, v6 bool) error {
	deadline := time.Now().Add(operUpWait)
	for {
		l, err := h.LinkByName(name)
		if err != nil {
			return fmt.Errorf("find %s in %s: %w", name, nsLabel(netnsName), err)
		}
		up := l.Attrs().OperState == netlink.OperUp
		ll := !v6
		if up && v6 {
			addrs, err := h.AddrList(l, netlink.FAMILY_V6)
			if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
				return fmt.Errorf("list addresses of %s in %s: %w", name, nsLabel(netnsName), err)
			}
			for _, a := range addrs {
				if a.IP.IsLinkLocalUnicast() && a.Flags&unix.IFA_F_TENTATIVE == 0 {
					ll = true
				}
			}
		}
		if up && ll {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s in %s is not ready after %v (operational state %v, IPv6 link-local ready %v)", name, nsLabel(netnsName), operUpWait, l.Attrs().OperState, ll)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func addRoute(h *netlink.Handle, l netlink.Link, rec *Record, rt RouteRef) error {
	nr := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipnet(rt.Dst), Gw: rt.Gw.AsSlice()}
	if err := h.RouteAdd(nr); err != nil {
		return fmt.Errorf("add route %v via %v dev %s in %s: %w", rt.Dst, rt.Gw, rt.Dev, nsLabel(rt.Netns), err)
	}
	rec.Routes = append(rec.Routes, rt)
	return nil
}

// setSharedSysctl is setSysctl for a namespace other labs may share (the
// host): when key already holds val because another vmedium lab set it,
// the value that lab found is taken from its table, so whichever lab goes
// last restores it. It returns what to mark in this lab's table (nil:
// the value was the user's, nothing to restore).
func setSharedSysctl(rec *Record, netnsName, key, val string) (*SysctlRef, error) {
	n := len(rec.Sysctls)
	if err := setSysctl(rec, netnsName, key, val); err != nil {
		return nil, err
	}
	if len(rec.Sysctls) > n {
		ref := rec.Sysctls[n]
		return &ref, nil
	}
	was, ok, err := markedSysctl(netnsName, key)
	if err != nil || !ok || was == val {
		return nil, err
	}
	ref := SysctlRef{Netns: netnsName, Key: key, Was: was, Set: val}
	rec.Sysctls = append(rec.Sysctls, ref)
	return &ref, nil
}

// setSysctl writes key=val in a namespace and records the earlier value.
func setSysctl(rec *Record, netnsName, key, val string) error {
	was, err := readSysctl(netnsName, key)
	if err != nil {
		return err
	}
	if was == val {
		return nil
	}
	if err := writeSysctl(netnsName, key, val); err != nil {
		return err
	}
	rec.Sysctls = append(rec.Sysctls, SysctlRef{Netns: netnsName, Key: key, Was: was, Set: val})
	return nil
}

// Reap removes what rec lists and is still there: tables, routes, links
// (the veth pair), then sysctls set back to their earlier value when they
// still hold what was written and no other vmedium table is left in that
// namespace. Things in a named namespace that is gone went with it. Reap
// is idempotent: reaping twice, or reaping a record whose uplink was
// closed, succeeds and changes nothing.
func Reap(rec Record) error {
	var errs []error
	for i := len(rec.Tables) - 1; i >= 0; i-- {
		t := rec.Tables[i]
		if nsGone(t.Netns) {
			continue
		}
		if err := delTable(t.Netns, t.Name); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(rec.Routes) - 1; i >= 0; i-- {
		if err := delRoute(rec.Routes[i]); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(rec.Links) - 1; i >= 0; i-- {
		if err := delLink(rec.Links[i]); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(rec.Sysctls) - 1; i >= 0; i-- {
		if err := restoreSysctl(rec.Sysctls[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove uplink of lab %q: %w", rec.Lab, err)
	}
	return nil
}

func delRoute(rt RouteRef) error {
	if nsGone(rt.Netns) {
		return nil
	}
	h, err := routeHandle(rt.Netns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(rt.Dev)
	if err != nil {
		return nil // the route went with its link
	}
	err = h.RouteDel(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipnet(rt.Dst), Gw: rt.Gw.AsSlice()})
	if err != nil && !errors.Is(err, unix.ESRCH) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete route %v via %v in %s: %w", rt.Dst, rt.Gw, nsLabel(rt.Netns), err)
	}
	return nil
}

func delLink(lr LinkRef) error {
	if nsGone(lr.Netns) {
		return nil
	}
	h, err := routeHandle(lr.Netns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(lr.Name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("find %s in %s: %w", lr.Name, nsLabel(lr.Netns), err)
	}
	if err := h.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("delete %s in %s: %w", lr.Name, nsLabel(lr.Netns), err)
	}
	return nil
}

func restoreSysctl(s SysctlRef) error {
	if nsGone(s.Netns) {
		return nil
	}
	cur, err := readSysctl(s.Netns, s.Key)
	if err != nil {
		return err
	}
	if cur != s.Set {
		return nil // changed by someone else since: theirs now
	}
	others, err := vmediumTables(s.Netns)
	if err != nil {
		return err
	}
	if len(others) > 0 {
		return nil // another lab still relies on it
	}
	return writeSysctl(s.Netns, s.Key, s.Was)
}
