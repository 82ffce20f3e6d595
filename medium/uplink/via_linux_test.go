// SPDX-License-Identifier: MIT

package uplink

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// viaTopo adds, behind the host-side namespace (tp.wan, standing for the
// host), an "inet" namespace reached through the host's uplink interface
// up0 (172.31.0.1/24 on the host, 172.31.0.2/24 in inet).
func viaTopo(t *testing.T, v6 bool) (*topo, *testutil.Netns) {
	tp := newTopo(t, v6)
	inet := testutil.NewNetns(t, "vmnatinet")
	mustVeth(t, tp.wan.Name, "up0", pfx("172.31.0.1/24"), inet.Name, "eth0", pfx("172.31.0.2/24"))
	return tp, inet
}

// TestRootUplinkViaNAT: a host (the wan namespace here) with an uplink
// interface: the host forwards and masquerades the transit link out of
// it, so a server beyond sees the host's uplink address. Two labs share
// the host: the first one reaped (after its AP namespace is gone, as
// after a crash and cleanup) leaves the host's forwarding on for the
// second; the second one's Close turns it back off.
func TestRootUplinkViaNAT(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds network namespaces, veths and nftables tables")
	tp, inet := viaTopo(t, false)
	port := serveRemote(t, inet)
	if v, _ := readSysctl(tp.wan.Name, "net.ipv4.ip_forward"); v != "0" {
		t.Fatalf("host-side ip_forward starts at %q, want 0", v)
	}

	u1, err := Setup(Config{Lab: "t1-" + tp.ap.Name, Mode: ModeNAT, APNetns: tp.ap.Name, HostNetns: tp.wan.Name, Via: "up0", Subnets: tp.subnets})
	if err != nil {
		t.Fatal(err)
	}
	rec1 := u1.Record()
	t.Cleanup(func() { _ = Reap(rec1) })
	ap2 := testutil.NewNetns(t, "vmnatap")
	u2, err := Setup(Config{Lab: "t2-" + ap2.Name, Mode: ModeNAT, APNetns: ap2.Name, HostNetns: tp.wan.Name, Via: "up0", Subnets: pfx("10.1.0.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = u2.Close() })
	if rec1.HostAddrs[0] == u2.Record().HostAddrs[0] {
		t.Fatalf("two labs share the transit %v", rec1.HostAddrs[0])
	}
	if tabs, _ := VmediumTables(tp.wan.Name); len(tabs) != 2 {
		t.Errorf("host-side vmedium tables %v, want one per lab", tabs)
	}

	got, err := seenAs(tp.sta, netip.MustParseAddr("172.31.0.2"), port, 5*time.Second)
	if err != nil {
		t.Fatalf("sta -> server beyond the host's uplink: %v", err)
	}
	if got != "172.31.0.1" {
		t.Errorf("server beyond the uplink saw %s, want the host's uplink address 172.31.0.1", got)
	}

	// Lab 1 crashed and its namespaces were removed; its record is reaped.
	if err := netnsutil.Delete(tp.ap.Name); err != nil {
		t.Fatal(err)
	}
	if err := Reap(rec1); err != nil {
		t.Fatalf("reap after the AP namespace is gone: %v", err)
	}
	if tabs, _ := VmediumTables(tp.wan.Name); len(tabs) != 1 || tabs[0] != TableName("t2-"+ap2.Name) {
		t.Errorf("after reaping lab 1 the host has tables %v, want lab 2's only", tabs)
	}
	if v, _ := readSysctl(tp.wan.Name, "net.ipv4.ip_forward"); v != "1" {
		t.Errorf("host ip_forward %q after lab 1 left, want 1 (lab 2 still needs it)", v)
	}
	waitGone(t, tp.wan.Name, rec1.HostIf)

	if err := u2.Close(); err != nil {
		t.Fatal(err)
	}
	if tabs, _ := VmediumTables(tp.wan.Name); len(tabs) != 0 {
		t.Errorf("host tables left %v", tabs)
	}
	if v, _ := readSysctl(tp.wan.Name, "net.ipv4.ip_forward"); v != "0" {
		t.Errorf("host ip_forward %q after the last lab left, want 0 again", v)
	}
}

// waitGone waits for a link to disappear (a veth whose peer namespace was
// deleted goes when the kernel's namespace cleanup runs).
func waitGone(t *testing.T, ns, name string) {
	t.Helper()
	h := mustHandle(t, ns)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := h.LinkByName(name); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s still in %s", name, ns)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRootUplinkViaRouted: routed mode through a host with an uplink
// interface: no NAT anywhere, the server beyond sees the station's own
// address once its network routes the lab subnet back via the host.
func TestRootUplinkViaRouted(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds network namespaces, veths and nftables tables")
	tp, inet := viaTopo(t, false)
	port := serveRemote(t, inet)
	u, err := Setup(Config{Lab: "t-" + tp.ap.Name, Mode: ModeRouted, APNetns: tp.ap.Name, HostNetns: tp.wan.Name, Via: "up0", Subnets: tp.subnets})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	// The upstream network's route back to the lab (the user's router's job).
	h := mustHandle(t, inet.Name)
	l, _ := h.LinkByName("eth0")
	if err := h.RouteAdd(&netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipnet(tp.subnets[0]), Gw: netip.MustParseAddr("172.31.0.1").AsSlice()}); err != nil {
		t.Fatal(err)
	}
	got, err := seenAs(tp.sta, netip.MustParseAddr("172.31.0.2"), port, 5*time.Second)
	if err != nil {
		t.Fatalf("sta -> server beyond the host's uplink: %v", err)
	}
	if got != "10.0.0.2" {
		t.Errorf("routed: server saw %s, want the station's 10.0.0.2", got)
	}
}
