// SPDX-License-Identifier: MIT

package dhcp

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/vmedium/vmedium/internal/testutil"
)

// lanTopo builds a server namespace with bridge br0 (10.0.0.1/24) and
// one namespace per client, each linked to the bridge by a veth whose
// client end (eth0) is up without an address.
func lanTopo(t *testing.T, clients int) (srv *testutil.Netns, cl []*testutil.Netns) {
	t.Helper()
	srv = testutil.NewNetns(t, "vmnatdsrv")
	hs := testutil.RouteHandle(t, srv.Name)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := hs.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	if err := hs.AddrAdd(br, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 0, 0, 1), Mask: net.CIDRMask(24, 32)}}); err != nil {
		t.Fatal(err)
	}
	if err := hs.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	for i := range clients {
		c := testutil.NewNetns(t, "vmnatdcl")
		cns, err := netns.GetFromName(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		port := fmt.Sprintf("p%d", i)
		err = hs.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: port, MasterIndex: br.Attrs().Index}, PeerName: "eth0", PeerNamespace: netlink.NsFd(cns)})
		cns.Close()
		if err != nil {
			t.Fatal(err)
		}
		pl, _ := hs.LinkByName(port)
		if err := hs.LinkSetUp(pl); err != nil {
			t.Fatal(err)
		}
		hc := testutil.RouteHandle(t, c.Name)
		el, err := hc.LinkByName("eth0")
		if err != nil {
			t.Fatal(err)
		}
		if err := hc.LinkSetUp(el); err != nil {
			t.Fatal(err)
		}
		testutil.WaitLinkUp(t, hc, "eth0")
		cl = append(cl, c)
	}
	testutil.WaitLinkUp(t, hs, "br0")
	return srv, cl
}

// hasAddr reports whether the client's eth0 carries a.
func hasAddr(t *testing.T, ns string, a netip.Prefix) bool {
	t.Helper()
	h := testutil.RouteHandle(t, ns)
	l, err := h.LinkByName("eth0")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range addrs {
		ones, _ := x.Mask.Size()
		if x.IP.String() == a.Addr().String() && ones == a.Bits() {
			return true
		}
	}
	return false
}

// TestRootDHCP: a server on a bridge, two clients in their own
// namespaces get distinct leases within 5 s, configure them (the server
// sees each client's TCP connection from its leased address), renew
// them, and after a server restart from the persisted leases get the
// same addresses again, even when they ask in the other order.
func TestRootDHCP(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds network namespaces, a bridge and veths")
	srvNS, cls := lanTopo(t, 2)
	cfg := ServerConfig{
		Netns: srvNS.Name, Interface: "br0", Addr: netip.MustParsePrefix("10.0.0.1/24"),
		Range: mustRange(t, "10.0.0.100-10.0.0.110"), Lease: 4 * time.Second,
		DNS: []netip.Addr{netip.MustParseAddr("10.0.0.53")}, Static: []netip.Addr{netip.MustParseAddr("10.0.0.5")},
	}
	srv, err := NewServer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Close() }()

	// A TCP listener on the server side reporting the peer's address.
	var ln net.Listener
	if err := srvNS.Do(func() (err error) { ln, err = net.Listen("tcp4", "10.0.0.1:0"); return }); err != nil {
		t.Fatal(err)
	}
	lnDone := make(chan struct{})
	go func() {
		defer close(lnDone)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprint(c, strings.Split(c.RemoteAddr().String(), ":")[0])
			c.Close()
		}
	}()
	defer func() { ln.Close(); <-lnDone }()

	start := func(order []int) ([]*Client, []Assigned, time.Duration) {
		t.Helper()
		clients := make([]*Client, len(cls))
		errs := make([]error, len(cls))
		t0 := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		for _, i := range order {
			wg.Add(1)
			go func() {
				defer wg.Done()
				clients[i], errs[i] = StartClient(ctx, ClientConfig{Netns: cls[i].Name, Interface: "eth0", Hostname: fmt.Sprintf("sta%d", i)})
			}()
			if len(order) > 1 {
				time.Sleep(50 * time.Millisecond) // keep the asking order
			}
		}
		wg.Wait()
		took := time.Since(t0)
		var as []Assigned
		for i, err := range errs {
			if err != nil {
				t.Fatalf("client %d: %v", i, err)
			}
			t.Cleanup(func() { clients[i].Close() })
			as = append(as, clients[i].Assigned())
		}
		return clients, as, took
	}

	clients, as, took := start([]int{0, 1})
	t.Logf("two leases in %v: %v %v", took.Round(time.Millisecond), as[0].Addr, as[1].Addr)
	if took > 5*time.Second {
		t.Errorf("leases took %v, want within 5s", took)
	}
	if as[0].Addr == as[1].Addr {
		t.Fatalf("both clients got %v", as[0].Addr)
	}
	for i, a := range as {
		if !cfg.Range.Contains(a.Addr.Addr()) || a.Addr.Bits() != 24 || a.Router != cfg.Addr.Addr() ||
			len(a.DNS) != 1 || a.DNS[0] != cfg.DNS[0] || a.Lease != cfg.Lease || a.Server != cfg.Addr.Addr() {
			t.Errorf("client %d assigned %+v", i, a)
		}
		if !hasAddr(t, cls[i].Name, a.Addr) {
			t.Errorf("client %d: %v not on eth0", i, a.Addr)
		}
		var seen string
		err := cls[i].Do(func() error {
			c, err := net.DialTimeout("tcp4", ln.Addr().String(), 2*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			b, err := io.ReadAll(c)
			seen = string(b)
			return err
		})
		if err != nil || seen != a.Addr.Addr().String() {
			t.Errorf("client %d: server saw %q (%v), want %v", i, seen, err, a.Addr.Addr())
		}
	}
	leases := srv.Leases()
	if len(leases) != 2 || leases[0].Hostname == "" || leases[0].Offered {
		t.Errorf("Leases() = %+v", leases)
	}

	// Renewal at half the lease (2 s).
	deadline := time.Now().Add(4 * time.Second)
	for clients[0].Assigned().Renewals < 1 || clients[1].Assigned().Renewals < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no renewal within 4s: %+v %+v", clients[0].Assigned(), clients[1].Assigned())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("renewed: %+v", srv.Leases())
	if st := srv.Stats(); st.Acks.Load() < 4 || st.Naks.Load() != 0 {
		t.Errorf("server stats: acks %d naks %d", st.Acks.Load(), st.Naks.Load())
	}

	// Persist, restart the server from the saved leases; the client with
	// the higher address asks first, so a server that forgot would hand
	// it the lower one.
	b, err := json.Marshal(srv.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		c.Close()
	}
	srv.Close()
	var saved []Lease
	if err := json.Unmarshal(b, &saved); err != nil {
		t.Fatal(err)
	}
	srv, err = NewServer(cfg, saved)
	if err != nil {
		t.Fatal(err)
	}
	order := []int{1, 0}
	if as[0].Addr.Addr().Compare(as[1].Addr.Addr()) > 0 {
		order = []int{0, 1}
	}
	_, again, took := start(order)
	t.Logf("after restart, asking in order %v: %v %v in %v", order, again[0].Addr, again[1].Addr, took.Round(time.Millisecond))
	for i := range as {
		if again[i].Addr != as[i].Addr {
			t.Errorf("client %d: %v after restart, want %v", i, again[i].Addr, as[i].Addr)
		}
	}
}

// TestRootDHCPBadInterface: a server on an interface that does not exist
// fails, naming it.
func TestRootDHCPBadInterface(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds a network namespace")
	ns := testutil.NewNetns(t, "vmnatdsrv")
	_, err := NewServer(ServerConfig{Netns: ns.Name, Interface: "nope0", Addr: netip.MustParsePrefix("10.0.0.1/24"),
		Range: mustRange(t, "10.0.0.100-10.0.0.110"), Lease: time.Hour}, nil)
	if err == nil || !strings.Contains(err.Error(), "nope0") {
		t.Errorf("NewServer on a missing interface: %v", err)
	}
}
