// SPDX-License-Identifier: MIT

// Package control is vmedium's control plane: a JSON-over-HTTP API served
// on a UNIX socket by `vmedium run`, the Go client vmctl uses, and the
// persistence of the medium's runtime state (deny pairs, links, positions)
// across restarts.
//
// Endpoints (all JSON unless noted; errors are {"error": "..."} with status
// 400 for bad input, nothing changed):
//
//	GET  /v1/status       Status; ?wait=30s answers once the state is live
//	                      or the wait is over, whichever comes first
//	GET  /v1/radios       []medium.RadioInfo
//	GET  /v1/links        []medium.LinkInfo (the effective matrix)
//	POST /v1/link         LinkRequest → LinkResult
//	POST /v1/move         MoveRequest → MoveResult
//	GET  /v1/air          medium.AirConfig (the air model)
//	POST /v1/air          AirRequest → medium.AirConfig
//	GET  /v1/deny         []denylist.Pair
//	POST /v1/deny         PairRequest → PairResult
//	POST /v1/allow        PairRequest → PairResult
//	POST /v1/deny/clear   {} → ClearResult
//	GET  /v1/state        medium.State
//	GET  /v1/capture      ?radio=NAME&duration=5s → pcap stream
//	GET  /v1/leases       []Lease (the lab's DHCP leases)
//	GET  /v1/addresses    []Addressing (each radio's address source)
//
// It is scriptable with curl:
//
//	curl --unix-socket /run/vmedium/vmedium.sock http://vmedium/v1/status
package control

import (
	"time"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/medium"
)

// Defaults for the socket and the state directory.
const (
	DefaultSocket   = "/run/vmedium/vmedium.sock"
	DefaultStateDir = "/var/lib/vmedium"
)

// MaxRequestBytes bounds a request body.
const MaxRequestBytes = 64 << 10

// Trailer names of a capture response.
const (
	TrailerFrames  = "Vmedium-Capture-Frames"
	TrailerDropped = "Vmedium-Capture-Dropped"
)

// Status answers GET /v1/status.
type Status struct {
	State         Phase        `json:"state"` // starting, then live
	Version       string       `json:"version"`
	GoVersion     string       `json:"go_version"`
	StartedAt     time.Time    `json:"started_at"`
	UptimeSeconds float64      `json:"uptime_seconds"`
	Seed          uint64       `json:"seed"`
	Radios        int          `json:"radios"`
	Kinds         []KindStatus `json:"kinds"`
	DenyPairs     int          `json:"deny_pairs"`
	ExplicitLinks int          `json:"explicit_links"`
	StateFile     string       `json:"state_file,omitempty"`
	// Air is the air model's one-line summary (errors, airtime,
	// propagation, noise, fading).
	Air string `json:"air,omitempty"`
}

// KindStatus says whether a radio kind is live (its backend runs or radios
// of that kind are registered) and how many radios it has. Summary is the
// running backend's own line (e.g. "hwsim: live, 3 radios").
type KindStatus struct {
	Kind    medium.Kind `json:"kind"`
	Live    bool        `json:"live"`
	Radios  int         `json:"radios"`
	Summary string      `json:"summary,omitempty"`
}

// LinkRequest sets (or with Reset, clears) the explicit signal and/or loss
// of the ordered pair Src→Dst. Unset fields are left as they are.
type LinkRequest struct {
	Src       string   `json:"src"`
	Dst       string   `json:"dst"`
	SignalDBm *float64 `json:"signal_dbm,omitempty"`
	Loss      *float64 `json:"loss,omitempty"`
	Reset     bool     `json:"reset,omitempty"`
}

// LinkResult is the pair's effective state after the change.
type LinkResult struct {
	Link medium.LinkInfo `json:"link"`
}

// MoveRequest places a radio at X, Y, Z metres (all three required), or
// with Speed (m/s, > 0) sends it there at that speed.
type MoveRequest struct {
	Name  string   `json:"name"`
	X     *float64 `json:"x"`
	Y     *float64 `json:"y"`
	Z     *float64 `json:"z"`
	Speed *float64 `json:"speed,omitempty"`
}

// MoveResult echoes the target; Moving is true while the radio travels
// there (Position is then the target, not where it is now).
type MoveResult struct {
	Name     string          `json:"name"`
	Position medium.Position `json:"position"`
	Speed    float64         `json:"speed,omitempty"`
	Moving   bool            `json:"moving,omitempty"`
}

// AirRequest changes the air model; unset fields stay as they are. A new
// Propagation model starts from that model's default parameters, then
// Params (medium.PropagationParams names) apply. Fading "none" turns
// fading off.
type AirRequest struct {
	Errors        *string            `json:"errors,omitempty"`
	Airtime       *string            `json:"airtime,omitempty"`
	Propagation   *string            `json:"propagation,omitempty"`
	Params        map[string]float64 `json:"params,omitempty"`
	NoiseFloorDBm *float64           `json:"noise_floor_dbm,omitempty"`
	// DefaultNoise puts the noise floor back to thermal noise + 7 dB.
	DefaultNoise  bool     `json:"default_noise,omitempty"`
	Fading        *string  `json:"fading,omitempty"`
	FadingSigmaDB *float64 `json:"fading_sigma_db,omitempty"`
}

// PairRequest names an ordered deny pair: Dst does not hear Src.
type PairRequest struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
}

// PairResult reports a deny or allow: Changed is false when the pair was
// already in (deny) or not in (allow) the list.
type PairResult struct {
	Pair    denylist.Pair `json:"pair"`
	Changed bool          `json:"changed"`
	Message string        `json:"message"`
}

// ClearResult reports how many deny pairs were removed.
type ClearResult struct {
	Cleared int `json:"cleared"`
}

// ErrorResponse is the body of every error answer.
type ErrorResponse struct {
	Error string `json:"error"`
}
