// SPDX-License-Identifier: MIT

package air

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultNoiseFigureDB is the receiver noise figure ns-3 assumes.
const DefaultNoiseFigureDB = 7.0

// ThermalNoiseDBm is kTB at 290 K over a bandwidth of w: −174 dBm/Hz +
// 10·log10(B) (−101 dBm at 20 MHz, +3 dB per doubling).
func ThermalNoiseDBm(w Width) float64 {
	return -174 + 10*math.Log10(float64(w)*1e6)
}

// Noise is the noise floor per channel width (20, 40, 80, 160 MHz).
type Noise struct {
	floor [4]float64
}

// DefaultNoise is thermal noise plus a 7 dB noise figure: −94 dBm at 20 MHz.
func DefaultNoise() Noise { return NoiseFromFigure(DefaultNoiseFigureDB) }

// NoiseFromFigure is thermal noise plus nf dB at every width.
func NoiseFromFigure(nf float64) Noise {
	var n Noise
	for i, w := range [4]Width{Width20, Width40, Width80, Width160} {
		n.floor[i] = ThermalNoiseDBm(w) + nf
	}
	return n
}

// NoiseFromFloor takes a user's noise floor at 20 MHz and scales it by
// bandwidth for the wider channels. It rejects values outside
// [−130, −30] dBm.
func NoiseFromFloor(floor20DBm float64) (Noise, error) {
	if err := checkRange("noise", "noise_floor_dbm", floor20DBm, -130, -30); err != nil {
		return Noise{}, err
	}
	return NoiseFromFigure(floor20DBm - ThermalNoiseDBm(Width20)), nil
}

// DBm returns the noise floor at width w.
func (n *Noise) DBm(w Width) float64 { return n.floor[w.index()] }

// Fading kinds.
const (
	FadingNone      = ""
	FadingLogNormal = "log-normal"
	FadingRayleigh  = "rayleigh"
)

// Fading is optional per-frame fading: each frame's SNR moves by a random
// amount drawn from the transmitter's seeded generator.
type Fading struct {
	Kind string `json:"kind" yaml:"kind"`
	// SigmaDB is the standard deviation of log-normal fading.
	SigmaDB float64 `json:"sigma_db" yaml:"sigma_db"`
}

// Validate checks the fading kind and sigma.
func (f *Fading) Validate() error {
	switch f.Kind {
	case FadingNone, FadingRayleigh:
		// A sigma here would be ignored: refuse it rather than let
		// the user believe it applies.
		if f.SigmaDB != 0 {
			kind := f.Kind
			if kind == FadingNone {
				kind = "none"
			}
			return &ParamError{Model: "fading", Param: "sigma_db", Value: fmt.Sprintf("%g", f.SigmaDB),
				Accepted: "0 with fading " + kind + " (a sigma applies to log-normal only)"}
		}
		return nil
	case FadingLogNormal:
		return checkRange("fading", "sigma_db", f.SigmaDB, 0, 30)
	}
	return &ParamError{Model: "fading", Param: "kind", Value: "\"" + f.Kind + "\"", Accepted: "none, log-normal, rayleigh"}
}

// Enabled reports whether frames fade at all.
func (f *Fading) Enabled() bool {
	return f.Kind == FadingRayleigh || (f.Kind == FadingLogNormal && f.SigmaDB > 0)
}

// DrawDB returns one frame's SNR offset in dB: σ·N(0,1) for log-normal;
// for Rayleigh the power of a unit-mean Rayleigh channel, 10·log10(E) with
// E ~ Exp(1) (mean power unchanged, deep fades included).
func (f *Fading) DrawDB(rng *rand.Rand) float64 {
	switch f.Kind {
	case FadingLogNormal:
		return f.SigmaDB * rng.NormFloat64()
	case FadingRayleigh:
		e := rng.ExpFloat64()
		if e < 1e-12 {
			e = 1e-12
		}
		return 10 * math.Log10(e)
	}
	return 0
}
