// SPDX-License-Identifier: MIT

// Command taprelay is the floor of the lab benchmark (make bench-lab): two
// TAP devices, each in its own network namespace, and nothing between them
// but vmedium's TAP reader (package medium/tap) copying every Ethernet frame
// read from one into the other. No 802.11, no medium, no MAC: the
// throughput iperf3 reaches through it is what one read(2) and one write(2)
// per frame cost on this machine, the most any TAP-based radio can reach.
//
// Usage (root): taprelay -ns vmr1,vmr2 -addr 10.9.8.1/24,10.9.8.2/24
// It creates the TAPs (tr1, tr2) in the existing namespaces, prints "ready"
// and relays until SIGINT/SIGTERM, then removes them.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/tap"
)

// peer is the Sender of one device: it writes what that device's host
// sends into the other device.
type peer struct{ to *tap.Device }

func (p peer) SendEthernet(eth []byte) error { return p.to.WriteEthernet(eth) }

func main() {
	nsFlag := flag.String("ns", "vmr1,vmr2", "the two existing network namespaces, comma-separated")
	addrFlag := flag.String("addr", "10.9.8.1/24,10.9.8.2/24", "the two interface addresses, comma-separated")
	flag.Parse()
	ns := strings.Split(*nsFlag, ",")
	as := strings.Split(*addrFlag, ",")
	if len(ns) != 2 || len(as) != 2 {
		fmt.Fprintln(os.Stderr, "taprelay: -ns and -addr take exactly two comma-separated values")
		os.Exit(2)
	}
	var devs [2]*tap.Device
	for i := range devs {
		p, err := netip.ParsePrefix(as[i])
		if err != nil {
			fmt.Fprintf(os.Stderr, "taprelay: invalid -addr %q: %v\n", as[i], err)
			os.Exit(2)
		}
		d, err := tap.Open(tap.Config{
			Name: fmt.Sprintf("tr%d", i+1), Netns: ns[i],
			MAC:   frames.MAC{0x02, 0x76, 0x6d, 0x72, 0x00, byte(i + 1)},
			Addrs: []netip.Prefix{p},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "taprelay:", err)
			os.Exit(1)
		}
		defer d.Close()
		devs[i] = d
	}
	devs[0].Serve(peer{devs[1]})
	devs[1].Serve(peer{devs[0]})
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
