// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
)

// leases is `vmctl leases`: the lab's DHCP leases, one line each.
func (a *app) leases(ctx context.Context, args []string) error {
	if err := parseFlags(a.flags("leases"), args, 0); err != nil {
		return err
	}
	ls, err := a.client.Leases(ctx)
	if err != nil {
		return err
	}
	if a.json {
		if ls == nil {
			ls = []control.Lease{}
		}
		return a.printJSON(ls)
	}
	if len(ls) == 0 {
		fmt.Fprintln(a.stdout, "no DHCP leases (no AP of the lab has `dhcp:`, or no station asked yet)")
		return nil
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MAC\tRADIO\tIP\tEXPIRES\tSTATE\tAP\tHOSTNAME")
	now := time.Now()
	for _, l := range ls {
		exp := l.Expiry.UTC().Format(time.RFC3339)
		if d := l.Expiry.Sub(now); d > 0 {
			exp += fmt.Sprintf(" (in %v)", d.Round(time.Second))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.MAC, dash(l.Radio), l.IP, exp, l.State, l.AP, dash(l.Hostname))
	}
	return tw.Flush()
}

// addresses returns each radio's address and its source by radio name;
// empty when the daemon does not say (an older one, or no lab).
func (a *app) addresses(ctx context.Context) map[string]control.Addressing {
	out := map[string]control.Addressing{}
	as, err := a.client.Addresses(ctx)
	if err != nil {
		return out
	}
	for _, ad := range as {
		out[ad.Radio] = ad
	}
	return out
}

// radioWithAddress is a radio in `vmctl radios --json`: the medium's
// description plus, when the lab knows it, its IPv4 address and source.
type radioWithAddress struct {
	medium.RadioInfo
	IP         string `json:"ip,omitempty"`
	AddrSource string `json:"addr_source,omitempty"` // static, dhcp or none
}

func withAddressing(rs []medium.RadioInfo, addrs map[string]control.Addressing) []radioWithAddress {
	out := make([]radioWithAddress, len(rs))
	for i, r := range rs {
		out[i] = radioWithAddress{RadioInfo: r}
		if ad, ok := addrs[r.Name]; ok {
			out[i].IP, out[i].AddrSource = ad.Addr, ad.Source
		}
	}
	return out
}
