// SPDX-License-Identifier: MIT

package uplink

import "net/netip"

// Record lists everything Setup created, so Close, or Reap after a crash,
// can remove it from the record alone. It marshals to JSON for the lab's
// runtime state. Namespace "" is the namespace vmedium runs in.
type Record struct {
	Lab     string `json:"lab"`
	Mode    Mode   `json:"mode"`
	APNetns string `json:"ap_netns"`
	// HostNetns is the host side ("" = vmedium's own namespace).
	HostNetns string `json:"host_netns,omitempty"`
	// HostIf and APIf are the two ends of the veth; deleting HostIf
	// deletes both.
	HostIf string `json:"host_if"`
	APIf   string `json:"ap_if"`
	// HostAddrs and APAddrs are the transit addresses of each end.
	HostAddrs []netip.Prefix `json:"host_addrs"`
	APAddrs   []netip.Prefix `json:"ap_addrs"`
	// Links, Tables, Routes and Sysctls are what was created or changed,
	// in order; Reap undoes them in reverse.
	Links   []LinkRef   `json:"links,omitempty"`
	Tables  []TableRef  `json:"tables,omitempty"`
	Routes  []RouteRef  `json:"routes,omitempty"`
	Sysctls []SysctlRef `json:"sysctls,omitempty"`
}

// LinkRef is a link created in a namespace.
type LinkRef struct {
	Netns string `json:"netns,omitempty"`
	Name  string `json:"name"`
}

// TableRef is an nftables table (family inet) created in a namespace.
type TableRef struct {
	Netns string `json:"netns,omitempty"`
	Name  string `json:"name"`
}

// RouteRef is a route added in a namespace.
type RouteRef struct {
	Netns string       `json:"netns,omitempty"`
	Dst   netip.Prefix `json:"dst"`
	Gw    netip.Addr   `json:"gw"`
	Dev   string       `json:"dev"`
}

// SysctlRef is a sysctl written in a namespace: Was is the value found,
// Set the value written.
type SysctlRef struct {
	Netns string `json:"netns,omitempty"`
	Key   string `json:"key"`
	Was   string `json:"was"`
	Set   string `json:"set"`
}
