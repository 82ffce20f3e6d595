// SPDX-License-Identifier: MIT

package air

import (
	"fmt"
	"math"
	"strings"
)

// Propagation model names, as users write them.
const (
	ModelLogDistance        = "log-distance"
	ModelFreeSpace          = "free-space"
	ModelLogNormalShadowing = "log-normal-shadowing"
	ModelTwoRayGround       = "two-ray-ground"
	ModelITUIndoor          = "itu-indoor"
)

// Models lists the accepted propagation model names.
var Models = []string{ModelLogDistance, ModelFreeSpace, ModelLogNormalShadowing, ModelTwoRayGround, ModelITUIndoor}

// speedOfLight in m/s.
const speedOfLight = 299792458.0

// Propagation is a path loss model with its parameters. Get one with
// DefaultPropagation (which fills every parameter with its default), change
// fields, then Validate. Fields a model does not use are ignored.
type Propagation struct {
	Model string `json:"model" yaml:"model"`
	// Exponent n of the log-distance laws (log-distance, log-normal-shadowing).
	Exponent float64 `json:"exponent" yaml:"exponent"`
	// RefLossDB is the loss at RefDistance (log-distance, log-normal-shadowing).
	RefLossDB float64 `json:"ref_loss_db" yaml:"ref_loss_db"`
	// RefDistance in metres: the log-distance reference d0, and for every
	// model the distance below which the loss stops falling (no model holds
	// in the antenna's near field).
	RefDistance float64 `json:"ref_distance" yaml:"ref_distance"`
	// SigmaDB is the standard deviation of log-normal shadowing, drawn once
	// per pair of radios (not per frame).
	SigmaDB float64 `json:"sigma_db" yaml:"sigma_db"`
	// TxHeight and RxHeight are antenna heights in metres (two-ray-ground).
	TxHeight float64 `json:"tx_height" yaml:"tx_height"`
	RxHeight float64 `json:"rx_height" yaml:"rx_height"`
	// SystemLossDB is added to the loss (free-space, two-ray-ground).
	SystemLossDB float64 `json:"system_loss_db" yaml:"system_loss_db"`
	// PowerLossCoeff is N of ITU-R P.1238 (itu-indoor): 28 residential,
	// 30 office, 22 commercial at 2.4 GHz.
	PowerLossCoeff float64 `json:"power_loss_coeff" yaml:"power_loss_coeff"`
	// Floors between the radios and the penetration loss of the first and
	// of each further floor (itu-indoor, Lf(n) = FloorLossDB + FloorStepDB·(n−1)).
	Floors      int     `json:"floors" yaml:"floors"`
	FloorLossDB float64 `json:"floor_loss_db" yaml:"floor_loss_db"`
	FloorStepDB float64 `json:"floor_step_db" yaml:"floor_step_db"`
	// Seed makes the per-pair shadowing reproducible.
	Seed uint64 `json:"seed" yaml:"seed"`
}

// Defaults of today's link model (medium/link.go): PL0 = 40.2 dB at 1 m
// (free-space loss at 2.437 GHz), exponent 3.
const (
	DefaultExponent    = 3.0
	DefaultRefLossDB   = 40.2
	DefaultRefDistance = 1.0
)

// DefaultPropagation returns model with every parameter at its default,
// or an error naming the accepted models.
func DefaultPropagation(model string) (Propagation, error) {
	p := Propagation{
		Model: model, Exponent: DefaultExponent, RefLossDB: DefaultRefLossDB, RefDistance: DefaultRefDistance,
		SigmaDB: 4, TxHeight: 1, RxHeight: 1, PowerLossCoeff: 30, FloorLossDB: 15, FloorStepDB: 4,
	}
	if model == "" {
		p.Model = ModelLogDistance
	}
	if !validModel(p.Model) {
		return Propagation{}, &ParamError{Model: "propagation", Param: "model", Value: fmt.Sprintf("%q", model),
			Accepted: strings.Join(Models, ", ")}
	}
	return p, nil
}

func validModel(m string) bool {
	for _, n := range Models {
		if n == m {
			return true
		}
	}
	return false
}

// ParamError is a configuration value out of range. Callers show it to the
// user as is: it names the model, the parameter, the bad value and what is
// accepted.
type ParamError struct {
	Model, Param, Value, Accepted string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("%s: %s %s not accepted (accepted: %s)", e.Model, e.Param, e.Value, e.Accepted)
}

// checkRange returns a ParamError unless lo ≤ v ≤ hi (and v is a number).
func checkRange(model, param string, v, lo, hi float64) error {
	if math.IsNaN(v) || v < lo || v > hi {
		return &ParamError{Model: model, Param: param, Value: fmt.Sprintf("%g", v), Accepted: fmt.Sprintf("[%g, %g]", lo, hi)}
	}
	return nil
}

// Validate checks the parameters the model uses.
func (p *Propagation) Validate() error {
	if !validModel(p.Model) {
		return &ParamError{Model: "propagation", Param: "model", Value: fmt.Sprintf("%q", p.Model), Accepted: strings.Join(Models, ", ")}
	}
	m := p.Model
	if err := checkRange(m, "ref_distance", p.RefDistance, 0.01, 1000); err != nil {
		return err
	}
	switch m {
	case ModelLogDistance, ModelLogNormalShadowing:
		if err := checkRange(m, "exponent", p.Exponent, 1, 8); err != nil {
			return err
		}
		if err := checkRange(m, "ref_loss_db", p.RefLossDB, 0, 200); err != nil {
			return err
		}
		if m == ModelLogNormalShadowing {
			if err := checkRange(m, "sigma_db", p.SigmaDB, 0, 20); err != nil {
				return err
			}
		}
	case ModelFreeSpace, ModelTwoRayGround:
		if err := checkRange(m, "system_loss_db", p.SystemLossDB, 0, 100); err != nil {
			return err
		}
		if m == ModelTwoRayGround {
			if err := checkRange(m, "tx_height", p.TxHeight, 0.01, 1000); err != nil {
				return err
			}
			if err := checkRange(m, "rx_height", p.RxHeight, 0.01, 1000); err != nil {
				return err
			}
		}
	case ModelITUIndoor:
		if err := checkRange(m, "power_loss_coeff", p.PowerLossCoeff, 10, 60); err != nil {
			return err
		}
		if err := checkRange(m, "floors", float64(p.Floors), 0, 20); err != nil {
			return err
		}
		if err := checkRange(m, "floor_loss_db", p.FloorLossDB, 0, 50); err != nil {
			return err
		}
		if err := checkRange(m, "floor_step_db", p.FloorStepDB, 0, 20); err != nil {
			return err
		}
	}
	return nil
}

// freeSpaceDB is Friis' free-space loss 20·log10(4π·d·f/c).
func freeSpaceDB(d float64, freqMHz uint32) float64 {
	return 20 * math.Log10(4*math.Pi*d*float64(freqMHz)*1e6/speedOfLight)
}

// LossDB returns the path loss in dB over d metres at freqMHz (0 means
// 2412) between the pair identified by pair (see PairKey; it only matters
// for shadowing). Formulas:
//   - log-distance: PL0 + 10·n·log10(d/d0) (Rappaport, Wireless
//     Communications, §4.9.1); with the defaults exactly medium/link.go's
//     model, which ignores the frequency.
//   - free-space: Friis, 20·log10(4π·d·f/c) + system loss.
//   - log-normal-shadowing: log-distance + X, X ~ N(0, σ²) fixed per pair
//     (Rappaport §4.9.2).
//   - two-ray-ground: Friis up to the crossover distance 4π·ht·hr/λ, then
//     40·log10(d) − 20·log10(ht·hr) (Rappaport §4.6), + system loss.
//   - itu-indoor: ITU-R P.1238, 20·log10(f MHz) + N·log10(d) + Lf(n) − 28.
func (p *Propagation) LossDB(d float64, freqMHz uint32, pair uint64) float64 {
	if d < p.RefDistance {
		d = p.RefDistance
	}
	if freqMHz == 0 {
		freqMHz = 2412
	}
	switch p.Model {
	case ModelFreeSpace:
		return freeSpaceDB(d, freqMHz) + p.SystemLossDB
	case ModelLogNormalShadowing:
		return p.RefLossDB + 10*p.Exponent*math.Log10(d/p.RefDistance) + p.SigmaDB*pairNormal(p.Seed, pair)
	case ModelTwoRayGround:
		lambda := speedOfLight / (float64(freqMHz) * 1e6)
		if dc := 4 * math.Pi * p.TxHeight * p.RxHeight / lambda; d <= dc {
			return freeSpaceDB(d, freqMHz) + p.SystemLossDB
		}
		return 40*math.Log10(d) - 20*math.Log10(p.TxHeight*p.RxHeight) + p.SystemLossDB
	case ModelITUIndoor:
		lf := 0.0
		if p.Floors > 0 {
			lf = p.FloorLossDB + p.FloorStepDB*float64(p.Floors-1)
		}
		return 20*math.Log10(float64(freqMHz)) + p.PowerLossCoeff*math.Log10(d) + lf - 28
	}
	return p.RefLossDB + 10*p.Exponent*math.Log10(d/p.RefDistance)
}

// SignalDBm is txPowerDBm − LossDB.
func (p *Propagation) SignalDBm(txPowerDBm, d float64, freqMHz uint32, pair uint64) float64 {
	return txPowerDBm - p.LossDB(d, freqMHz, pair)
}

// PairKey is a symmetric key for the unordered pair of radios a and b (any
// stable ids, e.g. MAC addresses as integers), so shadowing is the same in
// both directions.
func PairKey(a, b uint64) uint64 {
	if a > b {
		a, b = b, a
	}
	return splitmix(a ^ splitmix(b))
}

// splitmix is the SplitMix64 finaliser (Steele, Lea, Flood 2014): a
// bijective 64-bit mix.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// pairNormal is a standard normal value fixed by (seed, pair), by the
// Box–Muller transform of two hashed uniforms.
func pairNormal(seed, pair uint64) float64 {
	h1 := splitmix(seed ^ pair)
	h2 := splitmix(h1)
	u1 := (float64(h1>>11) + 0.5) / (1 << 53)
	u2 := float64(h2>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
