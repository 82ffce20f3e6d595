// SPDX-License-Identifier: MIT

// Package uplink connects a lab's AP namespace to the host's network (or
// to a stand-in namespace) so the stations behind the AP reach past the
// lab: a veth pair between the AP's namespace and the host side, transit
// addresses on it, IP forwarding in the AP's namespace, a default route
// there via the host side, and, in nat mode, masquerade of the lab's
// subnets in an nftables table of vmedium's own.
//
// Two modes:
//
//   - nat: the AP's namespace masquerades the lab subnets behind its
//     transit address, so the host side sees one address (the "laptop
//     whose only uplink is Wi-Fi" setup). With a host uplink interface
//     (Config.Via) the host namespace forwards and masquerades the transit
//     link out of that interface too, in its own vmedium table.
//   - routed: no NAT. The host side gets a route to each lab subnet via
//     the AP's transit address (the "VM host as router" setup); with Via
//     the host forwards, and the network beyond Via needs a route back to
//     the lab subnets (that is the user's router's business).
//
// Everything is built through netlink: links, addresses and routes with
// vishvananda/netlink, the rules with google/nftables (no nft binary).
// Rules live only in tables named "vmedium-<lab>" of the inet family;
// no other table is read for writing or touched.
//
// Everything Setup creates is written into a Record, a small JSON-able
// value the lab keeps in its runtime state. Close removes it; after a
// crash Reap(record) removes whatever of it is left, from the record
// alone, and is idempotent. Sysctls are set back to their earlier value
// only when they still hold the value Setup wrote and no other vmedium
// table remains in that namespace (another lab may rely on forwarding).
// On the host side the value found before the first lab changed it is
// also kept in each lab's table there, as the name of an empty chain
// ("was net.ipv4.ip_forward=0"), so whichever lab goes last restores it.
//
// IPv6: a lab subnet may be an IPv6 prefix (a ULA such as fd00:10::/64 is
// the expected case). The transit link then also gets IPv6 addresses
// (default: a ULA /64 derived from the lab name), the AP's namespace
// forwards IPv6 and routes ::/0 to the host side, and
//   - in routed mode the host side routes the lab's IPv6 prefix to the AP
//     (plain routing, end-to-end addresses, the way IPv6 is meant to be);
//   - in nat mode the same masquerade rule, being in an inet table, also
//     masquerades IPv6 (NAT66) behind the AP's transit address.
//
// Addresses on the transit link are added without duplicate address
// detection so the link is usable at once. Enabling IPv6 forwarding on the
// real host (Via set, HostNetns empty) makes the kernel ignore router
// advertisements on interfaces whose accept_ra is 1; a host that gets its
// own IPv6 address by SLAAC on Via should set accept_ra=2 there first.
// Setup does not change that for the user. A host firewall whose forward
// hook drops (for example Docker's) also drops the lab's forwarded traffic:
// an accept in vmedium's table cannot override another table's drop.
package uplink
