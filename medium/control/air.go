// SPDX-License-Identifier: MIT

package control

import (
	"sort"
	"strconv"
	"strings"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// Apply returns cur changed as the request says, validated; the error
// names the bad value and the accepted ones.
func (r *AirRequest) Apply(cur medium.AirConfig) (medium.AirConfig, error) {
	c := cur.Normalize()
	if r.Errors != nil {
		c.Errors = *r.Errors
	}
	if r.Airtime != nil {
		c.Airtime = *r.Airtime
	}
	if r.Propagation != nil {
		p, err := air.DefaultPropagation(*r.Propagation)
		if err != nil || *r.Propagation == "" {
			return cur, &medium.InvalidValueError{What: "propagation model", Value: strconv.Quote(*r.Propagation),
				Accepted: strings.Join(air.Models, ", ")}
		}
		p.Seed = c.Propagation.Seed
		c.Propagation = p
	}
	names := make([]string, 0, len(r.Params))
	for k := range r.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := medium.SetPropagationParam(&c.Propagation, k, r.Params[k]); err != nil {
			return cur, err
		}
	}
	if r.DefaultNoise && r.NoiseFloorDBm != nil {
		return cur, badRequest("air: default_noise cannot be combined with noise_floor_dbm")
	}
	if r.DefaultNoise {
		c.NoiseFloorDBm = nil
	}
	if r.NoiseFloorDBm != nil {
		v := *r.NoiseFloorDBm
		c.NoiseFloorDBm = &v
	}
	if r.Fading != nil {
		if !contains(medium.FadingModels, *r.Fading) {
			return cur, &medium.InvalidValueError{What: "fading", Value: strconv.Quote(*r.Fading), Accepted: strings.Join(medium.FadingModels, ", ")}
		}
		c.Fading.Kind = *r.Fading
		switch c.Fading.Kind {
		case "none":
			c.Fading = air.Fading{}
		case air.FadingRayleigh:
			c.Fading.SigmaDB = 0 // a log-normal sigma before does not carry over
		}
	}
	if r.FadingSigmaDB != nil {
		c.Fading.SigmaDB = *r.FadingSigmaDB
	}
	c = c.Normalize()
	if err := c.Validate(); err != nil {
		return cur, err
	}
	return c, nil
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}
