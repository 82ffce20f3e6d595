// SPDX-License-Identifier: MIT

package uplink

import "net/netip"

// Plan returns the Record of what Setup(cfg) will create, before it
// creates anything: the veth, the tables and the host-side routes, with
// the names and addresses Setup uses. A lab writes it into its state file
// before Setup, so a crash in the middle of Setup leaves a record the next
// run can Reap from. Sysctls are not in the plan (their earlier values are
// known only once read): those Setup changes in the AP's namespace go with
// the namespace, and the full Record, written once Setup returns, lists
// the host side's.
func Plan(cfg Config) (Record, error) {
	r, err := cfg.resolve()
	if err != nil {
		return Record{}, err
	}
	rec := Record{
		Lab: r.Lab, Mode: r.Mode, APNetns: r.APNetns, HostNetns: r.HostNetns,
		HostIf: r.hostIf, APIf: r.APIf,
		HostAddrs: []netip.Prefix{r.hostAddr}, APAddrs: []netip.Prefix{r.apAddr},
		Links: []LinkRef{{Netns: r.HostNetns, Name: r.hostIf}},
	}
	if len(r.v6) > 0 {
		rec.HostAddrs = append(rec.HostAddrs, r.hostAddr6)
		rec.APAddrs = append(rec.APAddrs, r.apAddr6)
	}
	table := TableName(r.Lab)
	if r.Mode == ModeNAT {
		rec.Tables = append(rec.Tables, TableRef{Netns: r.APNetns, Name: table})
	}
	if r.Mode == ModeRouted {
		for _, s := range r.v4 {
			rec.Routes = append(rec.Routes, RouteRef{Netns: r.HostNetns, Dst: s, Gw: r.apAddr.Addr(), Dev: r.hostIf})
		}
		for _, s := range r.v6 {
			rec.Routes = append(rec.Routes, RouteRef{Netns: r.HostNetns, Dst: s, Gw: r.apAddr6.Addr(), Dev: r.hostIf})
		}
	}
	if r.Via != "" {
		rec.Tables = append(rec.Tables, TableRef{Netns: r.HostNetns, Name: table})
	}
	return rec, nil
}
