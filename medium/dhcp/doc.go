// SPDX-License-Identifier: MIT

// Package dhcp serves and obtains IPv4 addresses by DHCP for a lab: a
// server bound to one interface in a namespace (the AP's side), handing
// out a range A-B with a lease duration, a router and DNS servers, and a
// client that gets an address for an interface in a namespace (a
// station), configures it (address with the lease's lifetime, default
// route) and renews it.
//
// The wire format and the sockets come from github.com/insomniacslk/dhcp
// (dhcpv4 messages, server4's interface-bound UDP socket, nclient4's raw
// client for an unconfigured interface); the lease logic is this
// package's. Leases live in a Pool, a table that lists (Leases, for
// `vmctl leases`), persists and restores (Snapshot/Restore, JSON-able), so
// the lab's runtime state can carry them across a restart and a station
// gets its address back.
//
// The server answers every client by broadcast unless the client already
// has the address (a renewal from a configured interface): a plain UDP
// socket cannot unicast to an address the kernel has no neighbor entry
// for, and RFC 2131 clients accept broadcast replies.
//
// IPv4 only: IPv6 stations take a static address in the lab's ULA prefix
// (or SLAAC from a router advertisement, not provided here); DHCPv6 is
// not implemented.
package dhcp
