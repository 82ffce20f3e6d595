// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"

	"github.com/vmedium/vmedium/medium/vmnic"
)

// validVMNIC checks a radio of kind vmnic: a station standing in for a
// VM's NIC, listening where QEMU connects; the VM, not the lab, has its
// namespace and address. listens maps listen addresses to radio names
// seen so far.
func (r *RadioConfig) validVMNIC(p, who string, listens map[string]string) error {
	bad := func(field, format string, a ...any) error {
		return &ConfigError{Path: p + "." + field, Msg: fmt.Sprintf(format, a...)}
	}
	if r.Role != RoleSTA {
		return bad("role", "%s: a vmnic radio is a VM's NIC joining as a station: accepted role is sta (an AP of another kind serves it)", who)
	}
	if r.Listen == "" {
		return bad("listen", "%s: a vmnic radio needs listen: where QEMU's -netdev stream connects: accepted is %s", who, vmnic.Accepted)
	}
	a, err := vmnic.ParseAddr(r.Listen)
	if err != nil {
		return bad("listen", "%s: %v", who, err)
	}
	if other, dup := listens[a.String()]; dup {
		return bad("listen", "%s: listen %s is also %s's: accepted is an address of its own", who, a, other)
	}
	listens[a.String()] = r.Name
	if r.Netns != "" {
		return bad("netns", "%s: a vmnic radio lives in its VM: accepted is no netns (the VM's NIC is its interface)", who)
	}
	if r.Address != "" {
		return bad("address", "%s: a vmnic radio's address is set inside the VM (e.g. ip addr add, or DHCP): accepted is no address", who)
	}
	return nil
}

// kindOrBackend names a radio's kind for messages.
func kindOrBackend(kind string) string {
	if kind == "" {
		return "the lab's backend"
	}
	return kind
}
