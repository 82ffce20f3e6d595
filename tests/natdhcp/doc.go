// SPDX-License-Identifier: MIT

// Package natdhcp holds root tests of the "laptop whose only uplink is
// Wi-Fi" building blocks put together, without a lab: stations get their
// addresses by DHCP from the AP's side and reach a "wan" namespace
// through the AP's NAT uplink.
package natdhcp
