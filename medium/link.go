// SPDX-License-Identifier: MIT

package medium

import (
	"math"
)

// Link-model constants. Signal for a pair without an explicit value comes from
// positions with a log-distance path loss model:
//
//	signal = txPower − (PL0 + 10·n·log10(d/d0)),  d ≥ d0
//
// PL0 is the free-space loss at d0 = 1 m for 2.4 GHz (20·log10(4π·d0/λ),
// λ = c/2437 MHz ≈ 0.123 m → 40.2 dB); n = 3 is the usual indoor exponent.
// Without positions, DefaultSignalDBm is used (hwsim's own default rx RSSI).
const (
	DefaultTxPowerDBm     = 20.0
	DefaultSignalDBm      = -50.0
	DefaultSensitivityDBm = -90.0 // frames weaker than this are not heard
	DefaultNoiseDBm       = -95.0
	PathLossRefDB         = 40.2 // PL0 at 1 m, 2.4 GHz
	PathLossExponent      = 3.0
	PathLossRefDistance   = 1.0 // d0 in metres
)

// Position is a point in metres.
type Position struct {
	X float64 `json:"x" yaml:"x"`
	Y float64 `json:"y" yaml:"y"`
	Z float64 `json:"z" yaml:"z"`
}

// Distance returns the Euclidean distance between p and q in metres.
func (p Position) Distance(q Position) float64 {
	dx, dy, dz := p.X-q.X, p.Y-q.Y, p.Z-q.Z
	return math.Sqrt(dx*dx + dy*dy + dz*dz)
}

// PathLossSignal returns the received signal in dBm at distance d metres for
// a transmitter at txPower dBm, using the log-distance model above.
func PathLossSignal(txPower, d float64) float64 {
	if d < PathLossRefDistance {
		d = PathLossRefDistance
	}
	return txPower - (PathLossRefDB + 10*PathLossExponent*math.Log10(d/PathLossRefDistance))
}

// LinkConfig is the explicit configuration of one ordered pair. Nil fields
// fall back to the model.
type LinkConfig struct {
	SignalDBm *float64 `json:"signal_dbm,omitempty"`
	Loss      *float64 `json:"loss,omitempty"`
}

// LinkSource says where an effective signal came from.
type LinkSource string

const (
	SourceExplicit LinkSource = "explicit"
	SourcePosition LinkSource = "position"
	SourceDefault  LinkSource = "default"
)

// link is the compiled, effective state of one ordered pair, read per frame.
type link struct {
	signal int32   // dBm
	loss   float64 // probability in [0,1]
	denied bool    // denylist (src, dst)
	weak   bool    // signal below sensitivity: not heard
	// frameLoss: loss is one draw per frame covering its retry chain.
	frameLoss bool
	// judged: the FrameJudge decides this pair's frames, knowing it as
	// (jfrom, jto).
	judged     bool
	jfrom, jto uint16
	source     LinkSource
}
