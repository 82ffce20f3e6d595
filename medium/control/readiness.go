// SPDX-License-Identifier: MIT

package control

import "sync"

// Phase is where `vmedium run` is in its life, as `vmctl status` shows it.
type Phase string

const (
	// PhaseStarting: the control API answers, the rules are in force, and
	// the lab (or attachment) is still coming up: radios being created,
	// stations associating.
	PhaseStarting Phase = "starting"
	// PhaseLive: every radio is up and the association wait is over.
	PhaseLive Phase = "live"
)

// Readiness holds the daemon's phase and wakes whoever waits for it to
// change: `GET /v1/status?wait=…` blocks on it instead of polling.
type Readiness struct {
	mu      sync.Mutex
	phase   Phase
	changed chan struct{} // closed and replaced at every change
}

// NewReadiness starts in PhaseStarting.
func NewReadiness() *Readiness {
	return &Readiness{phase: PhaseStarting, changed: make(chan struct{})}
}

// Set moves to phase p and wakes the waiters.
func (r *Readiness) Set(p Phase) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.phase == p {
		return
	}
	r.phase = p
	close(r.changed)
	r.changed = make(chan struct{})
}

// Phase returns the current phase and a channel closed at the next change.
func (r *Readiness) Phase() (Phase, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.phase, r.changed
}
