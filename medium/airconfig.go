// SPDX-License-Identifier: MIT

package medium

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vmedium/vmedium/medium/air"
)

// Error models of the air (AirConfig.Errors).
const (
	// ErrorsFlat is the explicit per-link loss only: a frame's rate and
	// length play no role.
	ErrorsFlat = "flat"
	// ErrorsPER adds the packet error rate from the link's SNR, the
	// frame's rate and its length, per attempt of the retry chain.
	ErrorsPER = "per"
)

// Airtime models (AirConfig.Airtime).
const (
	// AirtimeOff delivers every frame at once, as fast as the host goes.
	AirtimeOff = "off"
	// AirtimeAccount computes each exchange's airtime and exports channel
	// utilisation without delaying anything.
	AirtimeAccount = "account"
	// AirtimeTimed delivers frames when the air would have: contention
	// per channel, PPDU durations, collisions.
	AirtimeTimed = "timed"
)

// ErrorModels and AirtimeModels list the accepted values, in order.
var (
	ErrorModels   = []string{ErrorsFlat, ErrorsPER}
	AirtimeModels = []string{AirtimeOff, AirtimeAccount, AirtimeTimed}
	FadingModels  = []string{"none", air.FadingLogNormal, air.FadingRayleigh}
)

// AirConfig is the air model of the medium: how errors, airtime, path loss
// and noise are computed. The zero value is today's medium: flat errors,
// no airtime, log-distance path loss. It is compiled into the link
// snapshot at configuration time; with errors flat and airtime off the
// dispatch path is the plain one.
type AirConfig struct {
	Errors  string `json:"errors" yaml:"errors"`
	Airtime string `json:"airtime" yaml:"airtime"`
	// Propagation is the path-loss model for pairs without an explicit
	// signal; the zero value is the log-distance default.
	Propagation air.Propagation `json:"propagation" yaml:"propagation"`
	// NoiseFloorDBm at 20 MHz; nil is thermal noise + 7 dB (−94 dBm).
	NoiseFloorDBm *float64 `json:"noise_floor_dbm,omitempty" yaml:"noise_floor_dbm,omitempty"`
	// Fading per frame; the zero value is none.
	Fading air.Fading `json:"fading" yaml:"fading"`
}

// DefaultAirConfig is flat errors, airtime off, log-distance propagation
// with its default parameters, default noise, no fading.
func DefaultAirConfig() AirConfig {
	p, _ := air.DefaultPropagation(air.ModelLogDistance)
	return AirConfig{Errors: ErrorsFlat, Airtime: AirtimeOff, Propagation: p}
}

// Normalize fills empty fields with their defaults: an empty error or
// airtime model, and a propagation without a model (all parameters from
// DefaultPropagation). A propagation that names a model keeps its
// parameters as given.
func (c AirConfig) Normalize() AirConfig {
	if c.Errors == "" {
		c.Errors = ErrorsFlat
	}
	if c.Airtime == "" {
		c.Airtime = AirtimeOff
	}
	if c.Propagation.Model == "" {
		c.Propagation, _ = air.DefaultPropagation(air.ModelLogDistance)
	}
	if c.Fading.Kind == "none" {
		c.Fading.Kind = air.FadingNone
	}
	return c
}

// Validate checks every field of a normalized configuration and returns an
// *InvalidValueError naming the bad value and the accepted ones.
func (c *AirConfig) Validate() error {
	if !contains(ErrorModels, c.Errors) {
		return &InvalidValueError{What: "errors model", Value: strconv.Quote(c.Errors), Accepted: strings.Join(ErrorModels, ", ")}
	}
	if !contains(AirtimeModels, c.Airtime) {
		return &InvalidValueError{What: "airtime model", Value: strconv.Quote(c.Airtime), Accepted: strings.Join(AirtimeModels, ", ")}
	}
	if err := c.Propagation.Validate(); err != nil {
		return paramError(err)
	}
	if c.NoiseFloorDBm != nil {
		if _, err := air.NoiseFromFloor(*c.NoiseFloorDBm); err != nil {
			return paramError(err)
		}
	}
	if err := c.Fading.Validate(); err != nil {
		return paramError(err)
	}
	return nil
}

// paramError turns the air package's parameter errors into the medium's
// bad-input error, so the control API answers 400 and vmctl exits 2.
func paramError(err error) error {
	if pe, ok := err.(*air.ParamError); ok {
		return &InvalidValueError{What: pe.Model + " " + pe.Param, Value: pe.Value, Accepted: pe.Accepted}
	}
	return err
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// active reports whether the model needs the air path of the dispatcher.
func (c *AirConfig) active() bool { return c.Errors != ErrorsFlat || c.Airtime != AirtimeOff }

// String is the one-line summary `vmctl status` shows.
func (c AirConfig) String() string {
	c = c.Normalize()
	s := fmt.Sprintf("errors %s, airtime %s, propagation %s", c.Errors, c.Airtime, c.Propagation.Model)
	if c.NoiseFloorDBm != nil {
		s += fmt.Sprintf(", noise floor %g dBm", *c.NoiseFloorDBm)
	}
	if c.Fading.Kind != air.FadingNone {
		s += ", fading " + c.Fading.Kind
		if c.Fading.Kind == air.FadingLogNormal {
			s += fmt.Sprintf(" σ %g dB", c.Fading.SigmaDB)
		}
	}
	return s
}

// PropagationParams lists the parameter names of propagation models, as
// written in YAML, JSON and `vmctl air --param NAME=VALUE`.
var PropagationParams = []string{"exponent", "ref_loss_db", "ref_distance", "sigma_db", "tx_height", "rx_height",
	"system_loss_db", "power_loss_coeff", "floors", "floor_loss_db", "floor_step_db", "seed"}

// ModelParams lists the parameters each propagation model uses.
var ModelParams = map[string][]string{
	air.ModelLogDistance:        {"exponent", "ref_loss_db", "ref_distance"},
	air.ModelLogNormalShadowing: {"exponent", "ref_loss_db", "ref_distance", "sigma_db", "seed"},
	air.ModelFreeSpace:          {"system_loss_db", "ref_distance"},
	air.ModelTwoRayGround:       {"tx_height", "rx_height", "system_loss_db", "ref_distance"},
	air.ModelITUIndoor:          {"power_loss_coeff", "floors", "floor_loss_db", "floor_step_db", "ref_distance"},
}

// SetPropagationParam sets one named parameter of p (see ModelParams); a
// name p's model does not use is an *InvalidValueError naming the ones
// it does.
func SetPropagationParam(p *air.Propagation, name string, v float64) error {
	if ps, ok := ModelParams[p.Model]; ok && !contains(ps, name) {
		return &InvalidValueError{What: p.Model + " parameter", Value: strconv.Quote(name), Accepted: strings.Join(ps, ", ")}
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return &InvalidValueError{What: "propagation " + name, Value: strconv.FormatFloat(v, 'g', -1, 64), Accepted: "a finite number"}
	}
	switch name {
	case "exponent":
		p.Exponent = v
	case "ref_loss_db":
		p.RefLossDB = v
	case "ref_distance":
		p.RefDistance = v
	case "sigma_db":
		p.SigmaDB = v
	case "tx_height":
		p.TxHeight = v
	case "rx_height":
		p.RxHeight = v
	case "system_loss_db":
		p.SystemLossDB = v
	case "power_loss_coeff":
		p.PowerLossCoeff = v
	case "floors":
		if v != math.Trunc(v) {
			return &InvalidValueError{What: "propagation floors", Value: strconv.FormatFloat(v, 'g', -1, 64), Accepted: "a whole number from 0 to 20"}
		}
		p.Floors = int(v)
	case "floor_loss_db":
		p.FloorLossDB = v
	case "floor_step_db":
		p.FloorStepDB = v
	case "seed":
		if v < 0 || v != math.Trunc(v) {
			return &InvalidValueError{What: "propagation seed", Value: strconv.FormatFloat(v, 'g', -1, 64), Accepted: "a whole number ≥ 0"}
		}
		p.Seed = uint64(v)
	default:
		return &InvalidValueError{What: "propagation parameter", Value: strconv.Quote(name), Accepted: strings.Join(PropagationParams, ", ")}
	}
	return nil
}
