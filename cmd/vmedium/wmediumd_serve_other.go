// SPDX-License-Identifier: MIT

//go:build !linux

package main

import (
	"fmt"
	"io"
)

// serveWmediumd needs mac80211_hwsim: Linux only.
func serveWmediumd(argv0 string, _ *wmdFlags, _, stderr io.Writer) int {
	fmt.Fprintf(stderr, "%s: the wmediumd drop-in serves mac80211_hwsim radios: Linux only\n", argv0)
	return 1
}
