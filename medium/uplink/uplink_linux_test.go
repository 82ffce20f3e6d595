// SPDX-License-Identifier: MIT

package uplink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/nftables"
	"github.com/vishvananda/netlink"

	"github.com/vmedium/vmedium/internal/testutil"
)

// topo is the test stand-in for a lab: an "ap" namespace, a "sta" behind
// it on a veth (standing in for the Wi-Fi side) and a "wan" namespace
// standing in for the host's network.
type topo struct {
	ap, sta, wan *testutil.Netns
	subnets      []netip.Prefix
}

const (
	apLAN4  = "10.0.0.1/24"
	staLAN4 = "10.0.0.2/24"
	apLAN6  = "fd00:10::1/64"
	staLAN6 = "fd00:10::2/64"
)

func newTopo(t *testing.T, v6 bool) *topo {
	t.Helper()
	tp := &topo{
		ap:  testutil.NewNetns(t, "vmnatap"),
		sta: testutil.NewNetns(t, "vmnatsta"),
		wan: testutil.NewNetns(t, "vmnatwan"),
	}
	tp.subnets = pfx("10.0.0.0/24")
	apAddrs, staAddrs := pfx(apLAN4), pfx(staLAN4)
	if v6 {
		tp.subnets = append(tp.subnets, pfx("fd00:10::/64")...)
		apAddrs, staAddrs = append(apAddrs, pfx(apLAN6)...), append(staAddrs, pfx(staLAN6)...)
	}
	mustVeth(t, tp.ap.Name, "lan0", apAddrs, tp.sta.Name, "eth0", staAddrs)
	h := mustHandle(t, tp.sta.Name)
	l, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	for _, gw := range []string{"10.0.0.1", "fd00:10::1"} {
		if !v6 && strings.Contains(gw, ":") {
			continue
		}
		g := netip.MustParseAddr(gw)
		dst := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if g.Is6() {
			dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		if err := h.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipnet(dst), Gw: g.AsSlice()}); err != nil {
			t.Fatalf("sta default route via %s: %v", gw, err)
		}
	}
	return tp
}

func mustHandle(t *testing.T, ns string) *netlink.Handle {
	t.Helper()
	h, err := routeHandle(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// mustVeth links namespace a (interface an) with namespace b (bn) and
// gives each end its addresses.
func mustVeth(t *testing.T, a, an string, aAddrs []netip.Prefix, b, bn string, bAddrs []netip.Prefix) {
	t.Helper()
	bNS, err := openNS(b)
	if err != nil {
		t.Fatal(err)
	}
	defer bNS.Close()
	ha := mustHandle(t, a)
	if err := ha.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: an}, PeerName: bn, PeerNamespace: netlink.NsFd(bNS)}); err != nil {
		t.Fatalf("veth %s/%s - %s/%s: %v", a, an, b, bn, err)
	}
	if err := upWithAddrs(ha, a, an, aAddrs); err != nil {
		t.Fatal(err)
	}
	hb := mustHandle(t, b)
	if err := upWithAddrs(hb, b, bn, bAddrs); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	v6 := false
	for _, p := range append(append([]netip.Prefix(nil), aAddrs...), bAddrs...) {
		v6 = v6 || p.Addr().Is6()
	}
	if err := waitOperUp(ha, a, an, v6); err != nil {
		t.Fatal(err)
	}
	if err := waitOperUp(hb, b, bn, v6); err != nil {
		t.Fatal(err)
	}
	t.Logf("veth %s-%s up after %v", an, bn, time.Since(start).Round(time.Millisecond))
}

// serveRemote listens on TCP in ns and answers each connection with the
// remote address it sees, until the test ends.
func serveRemote(t *testing.T, ns *testutil.Netns) int {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() error {
		var err error
		ln, err = net.Listen("tcp", "[::]:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			ap, _ := netip.ParseAddrPort(c.RemoteAddr().String())
			fmt.Fprintln(c, ap.Addr().Unmap())
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port
}

// seenAs dials addr:port from ns within timeout and returns the address
// the server saw.
func seenAs(ns *testutil.Netns, addr netip.Addr, port int, timeout time.Duration) (string, error) {
	var out string
	err := ns.Do(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(addr, uint16(port)).String())
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		b, err := io.ReadAll(c)
		out = strings.TrimSpace(string(b))
		return err
	})
	return out, err
}

// addUserTable creates a table that is not vmedium's, which the uplink
// must never touch.
func addUserTable(t *testing.T, ns string) {
	t.Helper()
	err := withNft(ns, func(c *nftables.Conn) error {
		c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: "user-filter"})
		return c.Flush()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func allTables(t *testing.T, ns string) []string {
	t.Helper()
	var names []string
	err := withNft(ns, func(c *nftables.Conn) error {
		ts, err := c.ListTables()
		for _, tb := range ts {
			names = append(names, tb.Name)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// assertClean checks that nothing of the uplink is left: no vmedium
// table, no veth end, no route to or default route via the transit link,
// forwarding back off in the AP's namespace; other tables untouched.
func assertClean(t *testing.T, tp *topo, rec Record) {
	t.Helper()
	for _, ns := range []string{tp.ap.Name, tp.wan.Name} {
		if tabs, err := VmediumTables(ns); err != nil || len(tabs) > 0 {
			t.Errorf("namespace %s: vmedium tables left %v (%v)", ns, tabs, err)
		}
		if got := allTables(t, ns); len(got) != 1 || got[0] != "user-filter" {
			t.Errorf("namespace %s: tables %v, want only the user's", ns, got)
		}
	}
	if _, err := mustHandle(t, tp.wan.Name).LinkByName(rec.HostIf); err == nil {
		t.Errorf("veth %s left in %s", rec.HostIf, tp.wan.Name)
	}
	if _, err := mustHandle(t, tp.ap.Name).LinkByName(rec.APIf); err == nil {
		t.Errorf("veth %s left in %s", rec.APIf, tp.ap.Name)
	}
	for _, ns := range []string{tp.ap.Name, tp.wan.Name} {
		routes, err := mustHandle(t, ns).RouteList(nil, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for _, rt := range routes {
			p, ok := prefixOf(rt.Dst)
			if rt.Dst == nil || (ok && p.Bits() == 0) {
				t.Errorf("namespace %s: default route left: %v", ns, rt)
			}
			for _, s := range tp.subnets {
				if ok && rt.Gw != nil && s.Overlaps(p) {
					t.Errorf("namespace %s: route to lab subnet left: %v", ns, rt)
				}
			}
		}
	}
	for _, key := range []string{"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding"} {
		if v, err := readSysctl(tp.ap.Name, key); err != nil || v != "0" {
			t.Errorf("namespace %s: %s = %q (%v), want 0 again", tp.ap.Name, key, v, err)
		}
	}
}

func TestRootUplinkNAT(t *testing.T)         { runUplink(t, ModeNAT, false, false) }
func TestRootUplinkNATReap(t *testing.T)     { runUplink(t, ModeNAT, false, true) }
func TestRootUplinkNAT66(t *testing.T)       { runUplink(t, ModeNAT, true, true) }
func TestRootUplinkRouted(t *testing.T)      { runUplink(t, ModeRouted, false, false) }
func TestRootUplinkRouted6Reap(t *testing.T) { runUplink(t, ModeRouted, true, true) }

// runUplink builds ap+sta+wan, sets up the uplink, checks that the sta
// reaches a TCP server in wan and what source address the server sees,
// then removes the uplink either by Close or, as after a crash, by Reap
// of the record decoded from JSON, and checks nothing is left.
func runUplink(t *testing.T, mode Mode, v6, crash bool) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds network namespaces, veths and nftables tables")
	tp := newTopo(t, v6)
	addUserTable(t, tp.ap.Name)
	addUserTable(t, tp.wan.Name)
	port := serveRemote(t, tp.wan)

	cfg := Config{Lab: "t-" + tp.ap.Name, Mode: mode, APNetns: tp.ap.Name, HostNetns: tp.wan.Name, Subnets: tp.subnets}
	plan, err := Plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	u, err := Setup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := u.Record()
	t.Cleanup(func() { _ = Reap(rec) })
	// The plan (written to the lab's state before Setup) names what
	// Setup built, sysctls and the AP's own default routes (they go with
	// its namespace) aside.
	var hostRoutes []RouteRef
	for _, r := range rec.Routes {
		if r.Netns != rec.APNetns {
			hostRoutes = append(hostRoutes, r)
		}
	}
	plan.Sysctls = nil
	got := rec
	got.Sysctls, got.Routes = nil, hostRoutes
	if !reflect.DeepEqual(plan, got) {
		t.Errorf("plan %+v\nbuilt %+v", plan, got)
	}
	if tabs, _ := VmediumTables(tp.ap.Name); mode == ModeNAT && len(tabs) != 1 {
		t.Errorf("nat mode: vmedium tables in the AP namespace %v, want 1", tabs)
	}

	type probe struct{ server, want netip.Addr }
	probes := []probe{{rec.HostAddrs[0].Addr(), rec.APAddrs[0].Addr()}}
	if mode == ModeRouted {
		probes[0].want = netip.MustParsePrefix(staLAN4).Addr()
	}
	if v6 {
		p := probe{rec.HostAddrs[1].Addr(), rec.APAddrs[1].Addr()}
		if mode == ModeRouted {
			p.want = netip.MustParsePrefix(staLAN6).Addr()
		}
		probes = append(probes, p)
	}
	for _, p := range probes {
		start := time.Now()
		got, err := seenAs(tp.sta, p.server, port, 5*time.Second)
		if err != nil {
			t.Fatalf("sta -> wan server %v: %v", p.server, err)
		}
		t.Logf("%s: sta reached %v in %v, seen as %s", mode, p.server, time.Since(start).Round(time.Microsecond), got)
		if got != p.want.String() {
			t.Errorf("%s: the wan server saw %s, want %v", mode, got, p.want)
		}
	}

	if crash {
		// The lab died without Close: only its saved record is left.
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var saved Record
		if err := json.Unmarshal(b, &saved); err != nil {
			t.Fatal(err)
		}
		if err := Reap(saved); err != nil {
			t.Fatalf("reap: %v", err)
		}
		if err := Reap(saved); err != nil {
			t.Fatalf("second reap: %v", err)
		}
	} else {
		if err := u.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := u.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
	}
	assertClean(t, tp, rec)
	if _, err := seenAs(tp.sta, probes[0].server, port, 500*time.Millisecond); err == nil {
		t.Errorf("sta still reaches the wan server after the uplink was removed")
	}
}

// TestRootUplinkBadInput: a missing uplink interface and a lab subnet
// that overlaps an address on the host side are refused, naming the
// value, and nothing is built.
func TestRootUplinkBadInput(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds network namespaces")
	tp := newTopo(t, false)
	addUserTable(t, tp.ap.Name)
	addUserTable(t, tp.wan.Name)
	cfg := Config{Lab: "t-" + tp.ap.Name, Mode: ModeNAT, APNetns: tp.ap.Name, HostNetns: tp.wan.Name, Subnets: tp.subnets}

	bad := cfg
	bad.Via = "vmnat-nope0"
	_, err := Setup(bad)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"vmnat-nope0"`) || !strings.Contains(err.Error(), "lo") {
		t.Errorf("missing uplink interface: %v", err)
	}
	rec := Record{HostIf: HostIf(cfg.Lab), APIf: DefaultAPIf}
	assertClean(t, tp, rec)

	// The wan side already uses the lab's subnet.
	mustVeth(t, tp.wan.Name, "other0", pfx("10.0.0.200/24"), tp.sta.Name, "other1", nil)
	_, err = Setup(cfg)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "10.0.0.0/24") || !strings.Contains(err.Error(), "10.0.0.200/24 on other0") {
		t.Errorf("overlapping subnet: %v", err)
	}
	assertClean(t, tp, rec)

	// A default route already in the AP's namespace is refused too.
	h := mustHandle(t, tp.ap.Name)
	l, _ := h.LinkByName("lan0")
	if err := h.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipnet(netip.MustParsePrefix("0.0.0.0/0")), Gw: net.ParseIP("10.0.0.2")}); err != nil {
		t.Fatal(err)
	}
	cfg.Subnets = pfx("10.1.0.0/24")
	_, err = Setup(cfg)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "default route") {
		t.Errorf("existing default route: %v", err)
	}
	if _, err := h.LinkByName(DefaultAPIf); err == nil {
		t.Errorf("%s built despite the error", DefaultAPIf)
	}
}
