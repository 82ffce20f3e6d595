// SPDX-License-Identifier: MIT

package natdhcp

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
	"github.com/vmedium/vmedium/medium/dhcp"
	"github.com/vmedium/vmedium/medium/uplink"
)

// TestRootNATWithDHCP: an AP namespace with a bridge (standing in for the
// AP's Wi-Fi side) serves DHCP; two stations behind it get leases within
// 5 s, reach a TCP server in a wan namespace through the AP's NAT uplink,
// and the server sees the uplink address, not 10.0.0.x. After the
// uplink's record is reaped (no Close, as after a crash) nothing of
// vmedium's is left in the AP or wan namespace.
func TestRootNATWithDHCP(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "builds network namespaces, a bridge, veths and nftables tables")
	ap := testutil.NewNetns(t, "vmnatap")
	wan := testutil.NewNetns(t, "vmnatwan")
	hap := testutil.RouteHandle(t, ap.Name)
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "br0"}}
	if err := hap.LinkAdd(br); err != nil {
		t.Fatal(err)
	}
	if err := hap.AddrAdd(br, &netlink.Addr{IPNet: &net.IPNet{IP: net.IPv4(10, 0, 0, 1), Mask: net.CIDRMask(24, 32)}}); err != nil {
		t.Fatal(err)
	}
	if err := hap.LinkSetUp(br); err != nil {
		t.Fatal(err)
	}
	var stas []*testutil.Netns
	for i := range 2 {
		s := testutil.NewNetns(t, "vmnatsta")
		sns, err := netns.GetFromName(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		port := fmt.Sprintf("sta%d", i)
		err = hap.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: port, MasterIndex: br.Attrs().Index}, PeerName: "wlan0", PeerNamespace: netlink.NsFd(sns)})
		sns.Close()
		if err != nil {
			t.Fatal(err)
		}
		pl, _ := hap.LinkByName(port)
		if err := hap.LinkSetUp(pl); err != nil {
			t.Fatal(err)
		}
		hs := testutil.RouteHandle(t, s.Name)
		wl, _ := hs.LinkByName("wlan0")
		if err := hs.LinkSetUp(wl); err != nil {
			t.Fatal(err)
		}
		testutil.WaitLinkUp(t, hs, "wlan0")
		stas = append(stas, s)
	}
	testutil.WaitLinkUp(t, hap, "br0")

	up, err := uplink.Setup(uplink.Config{Lab: "natdhcp-" + ap.Name, Mode: uplink.ModeNAT, APNetns: ap.Name, HostNetns: wan.Name,
		Subnets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	rec := up.Record()
	saved, _ := json.Marshal(rec) // what the lab keeps in its state
	t.Cleanup(func() { _ = uplink.Reap(rec) })
	srv, err := dhcp.NewServer(dhcp.ServerConfig{Netns: ap.Name, Interface: "br0", Addr: netip.MustParsePrefix("10.0.0.1/24"),
		Range: dhcp.Range{Start: netip.MustParseAddr("10.0.0.100"), End: netip.MustParseAddr("10.0.0.199")}, Lease: time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	var ln net.Listener
	if err := wan.Do(func() (err error) { ln, err = net.Listen("tcp4", ":0"); return }); err != nil {
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
	target := net.JoinHostPort(rec.HostAddrs[0].Addr().String(), fmt.Sprint(ln.Addr().(*net.TCPAddr).Port))

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	clients := make([]*dhcp.Client, len(stas))
	errs := make([]error, len(stas))
	var wg sync.WaitGroup
	for i, s := range stas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clients[i], errs[i] = dhcp.StartClient(ctx, dhcp.ClientConfig{Netns: s.Name, Interface: "wlan0", Hostname: fmt.Sprintf("sta%d", i)})
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for i, err := range errs {
		if err != nil {
			t.Fatalf("station %d: %v", i, err)
		}
		defer clients[i].Close()
	}
	t.Logf("two stations leased %v and %v in %v", clients[0].Assigned().Addr, clients[1].Assigned().Addr, took.Round(time.Millisecond))

	for i, s := range stas {
		var seen string
		t0 := time.Now()
		err := s.Do(func() error {
			c, err := net.DialTimeout("tcp4", target, 5*time.Second)
			if err != nil {
				return err
			}
			defer c.Close()
			b, err := io.ReadAll(c)
			seen = string(b)
			return err
		})
		if err != nil {
			t.Fatalf("station %d -> wan %s: %v", i, target, err)
		}
		t.Logf("station %d (%v) reached wan in %v, seen as %s", i, clients[i].Assigned().Addr.Addr(), time.Since(t0).Round(time.Microsecond), seen)
		if seen != rec.APAddrs[0].Addr().String() {
			t.Errorf("station %d: wan saw %s, want the uplink address %v", i, seen, rec.APAddrs[0].Addr())
		}
	}

	// Crash: no Close; reap from the saved record.
	var back uplink.Record
	if err := json.Unmarshal(saved, &back); err != nil {
		t.Fatal(err)
	}
	if err := uplink.Reap(back); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{ap.Name, wan.Name} {
		if tabs, err := uplink.VmediumTables(ns); err != nil || len(tabs) != 0 {
			t.Errorf("namespace %s: vmedium tables %v (%v)", ns, tabs, err)
		}
	}
	if _, err := testutil.RouteHandle(t, wan.Name).LinkByName(rec.HostIf); err == nil {
		t.Errorf("veth %s left in wan", rec.HostIf)
	}
	if _, err := testutil.RouteHandle(t, ap.Name).LinkByName(rec.APIf); err == nil {
		t.Errorf("veth %s left in the AP namespace", rec.APIf)
	}
}
