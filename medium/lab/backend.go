// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vmedium/vmedium/medium"
)

// Backend is one running radio kind: what a lab built for the radios of
// that kind, or what an attachment serves. A mixed lab has one Backend per
// kind it runs. vmedium run reads everything it shows about a kind through
// this interface, so adding a kind adds no code to the commands.
type Backend interface {
	// Kind is the radio kind this backend runs.
	Kind() medium.Kind
	// Summary is the kind's line in `vmctl status`, e.g.
	// "hwsim: live, 3 radios".
	Summary() string
	// Collector exports the backend's own counters (socket overruns, …)
	// to Prometheus next to the medium's; nil when it has none.
	Collector() prometheus.Collector
	// MACStatus describes the MAC of one of the backend's radios for
	// `vmctl radios` (role, state, SSID, BSSID, signal); ok is false when
	// the radio is not this backend's or nothing can describe it.
	MACStatus(radio string) (st medium.MACStatus, ok bool)
	// Close stops the backend. A lab's backends are stopped by Lab.Close
	// (with everything else the lab made); Close is for attachments.
	Close() error
}

// summaryLine is the common form of Backend.Summary.
func summaryLine(kind medium.Kind, state string, radios int) string {
	return fmt.Sprintf("%s: %s, %d %s", kind, state, radios, plural(radios, "radio", "radios"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// countKind returns how many radios of kind are registered on m.
func countKind(m *medium.Medium, kind medium.Kind) int { return m.KindCounts()[kind] }
