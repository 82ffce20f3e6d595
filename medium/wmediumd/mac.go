// SPDX-License-Identifier: MIT

package wmediumd

import (
	"fmt"
	"strconv"
	"strings"
)

// MAC is a station's 802.11 address as listed in ifaces.ids.
type MAC [6]byte

func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// ParseMAC reads "xx:xx:xx:xx:xx:xx": six groups of one or two hex
// digits separated by ':'. (wmediumd's sscanf also takes longer groups and
// truncates them, and leaves garbage for fewer groups; both are refused
// here.)
func ParseMAC(s string) (MAC, error) {
	var m MAC
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 6 {
		return m, fmt.Errorf("%q is not a MAC address; write six hex bytes separated by ':', e.g. \"02:00:00:00:01:00\"", s)
	}
	for i, p := range parts {
		if len(p) < 1 || len(p) > 2 {
			return m, fmt.Errorf("%q is not a MAC address: byte %d %q must be one or two hex digits", s, i, p)
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return m, fmt.Errorf("%q is not a MAC address: byte %d %q is not hex", s, i, p)
		}
		m[i] = byte(v)
	}
	return m, nil
}
