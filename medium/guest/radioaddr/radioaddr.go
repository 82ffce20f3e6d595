// SPDX-License-Identifier: MIT

// Package radioaddr derives the permanent addresses of the radios a guest
// agent creates (`vmedium agent --radios N`). mac80211_hwsim gives every
// radio created at module load the same addresses in every guest
// (02:00:00:00:II:00 and 42:00:00:00:II:00), so two guests on one host
// medium would present the same stations; a radio created with an address
// derived from the guest's name (unique on the host: the host refuses a
// second guest of the same name) is unique across guests, and the same
// on every start of the guest, so rules and captures keep meaning the
// same station.
//
// Layout: 06:HH:HH:HH:HH:II. The first byte has the locally-administered
// bit set and the group bit clear (a unicast address no vendor owns) and
// differs from hwsim's 02:… and 42:… defaults and from the 02:… addresses
// vmedium gives lab radios; HH are the first four bytes of SHA-256 of the
// guest name; II is the radio's index in the guest.
package radioaddr

import (
	"crypto/sha256"
	"fmt"

	"github.com/vmedium/vmedium/frames"
)

// Prefix is the first byte of every derived address.
const Prefix = 0x06

// MaxRadios is the number of radios one guest can derive addresses for
// (the index is one byte).
const MaxRadios = 256

// For returns the address of radio index (0 ≤ index < MaxRadios) of guest.
func For(guest string, index int) (frames.MAC, error) {
	if guest == "" {
		return frames.MAC{}, fmt.Errorf("radio address: empty guest name")
	}
	if index < 0 || index >= MaxRadios {
		return frames.MAC{}, fmt.Errorf("radio address: index %d of guest %q: accepted 0 to %d", index, guest, MaxRadios-1)
	}
	h := sha256.Sum256([]byte(guest))
	return frames.MAC{Prefix, h[0], h[1], h[2], h[3], byte(index)}, nil
}

// Of reports whether a is the address of one of guest's radios, and which.
func Of(guest string, a frames.MAC) (index int, ok bool) {
	want, err := For(guest, 0)
	if err != nil || a[0] != want[0] || a[1] != want[1] || a[2] != want[2] || a[3] != want[3] || a[4] != want[4] {
		return 0, false
	}
	return int(a[5]), true
}
