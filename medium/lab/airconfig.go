// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// AirConfig is the `air:` section of a lab config: the medium's air model
// (the same settings as `vmctl air`).
//
//	air:
//	  errors: per              # flat | per
//	  airtime: timed           # off | account | timed
//	  propagation: free-space  # or a mapping: {model: log-distance, exponent: 3.5}
//	  noise_floor_dbm: -94
//	  fading: {kind: log-normal, sigma_db: 3}
type AirConfig struct {
	Errors        string             `yaml:"errors,omitempty"`
	Airtime       string             `yaml:"airtime,omitempty"`
	Propagation   *PropagationConfig `yaml:"propagation,omitempty"`
	NoiseFloorDBm *float64           `yaml:"noise_floor_dbm,omitempty"`
	Fading        *air.Fading        `yaml:"fading,omitempty"`
}

// airKeys and fadingKeys are the settings an `air:` section and its
// `fading:` mapping accept.
var (
	airKeys    = []string{"errors", "airtime", "propagation", "noise_floor_dbm", "fading"}
	fadingKeys = []string{"kind", "sigma_db"}
)

// UnmarshalYAML decodes the section, refusing a setting it does not know
// with the list of those it does (the decoder's own message names a Go
// type instead).
func (a *AirConfig) UnmarshalYAML(n *yaml.Node) error {
	if err := checkKeys(n, "air", airKeys); err != nil {
		return err
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			bad := func(accepted string) error {
				return fmt.Errorf("line %d: air.%s: invalid value %s: accepted is %s", v.Line, k.Value, nodeText(v), accepted)
			}
			switch k.Value {
			case "errors":
				if v.Kind != yaml.ScalarNode {
					return bad(strings.Join(medium.ErrorModels, ", "))
				}
			case "airtime":
				if v.Kind != yaml.ScalarNode {
					return bad(strings.Join(medium.AirtimeModels, ", "))
				}
			case "noise_floor_dbm":
				if _, err := strconv.ParseFloat(v.Value, 64); v.Kind != yaml.ScalarNode || err != nil {
					return bad("a level in dBm from -130 to -30")
				}
			case "fading":
				if v.Kind == yaml.ScalarNode {
					// `fading: rayleigh` is short for {kind: rayleigh}.
					n.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column,
						Content: []*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "kind"}, v}}
					continue
				}
				if v.Kind != yaml.MappingNode {
					return bad(strings.Join(medium.FadingModels, ", ") + ", or {kind: log-normal, sigma_db: DB}")
				}
				if err := checkKeys(v, "air.fading", fadingKeys); err != nil {
					return err
				}
			}
		}
	}
	type plain AirConfig
	return n.Decode((*plain)(a))
}

// nodeText is a node as the user wrote it, for errors.
func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return strconv.Quote(n.Value)
	}
	out, err := yaml.Marshal(n)
	if err != nil {
		return "(" + n.Tag + ")"
	}
	return strings.TrimSpace(string(out))
}

// checkKeys refuses a mapping key not in keys.
func checkKeys(n *yaml.Node, what string, keys []string) error {
	if n.Kind != yaml.MappingNode {
		return nil // the decoder reports the wrong kind
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(keys, k.Value) {
			return fmt.Errorf("line %d: %s: unknown setting %q: accepted are %s", k.Line, what, k.Value, strings.Join(keys, ", "))
		}
	}
	return nil
}

// PropagationConfig is a propagation model and the parameters it sets
// (medium.ModelParams); written as a model name or a mapping.
type PropagationConfig struct {
	Model  string
	Params map[string]float64
	// lines of each parameter, for errors
	lines map[string]int
}

// UnmarshalYAML accepts `free-space` or `{model: free-space, system_loss_db: 3}`.
func (p *PropagationConfig) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		p.Model = n.Value
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("line %d: propagation: accepted is a model name or a mapping with model and its parameters", n.Line)
	}
	p.Params, p.lines = map[string]float64{}, map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value == "model" {
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: propagation model: accepted is one of %s", v.Line, strings.Join(air.Models, ", "))
			}
			p.Model = v.Value
			continue
		}
		f, err := strconv.ParseFloat(v.Value, 64)
		if v.Kind != yaml.ScalarNode || err != nil {
			return fmt.Errorf("line %d: propagation %s %q: accepted is a number", v.Line, k.Value, v.Value)
		}
		p.Params[k.Value] = f
		p.lines[k.Value] = k.Line
	}
	return nil
}

// MobilityConfig is a radio's `mobility:` mapping: the random-waypoint
// model inside a box.
//
//	mobility: {model: random-waypoint, box: {min: {x: 0, y: 0}, max: {x: 50, y: 50}}, speed: 1.5, pause: 2}
type MobilityConfig struct {
	Model string  `yaml:"model"`
	Box   *Box    `yaml:"box"`
	Speed float64 `yaml:"speed"`
	Pause float64 `yaml:"pause,omitempty"`
}

// Box is an axis-aligned box in metres.
type Box struct {
	Min medium.Position `yaml:"min"`
	Max medium.Position `yaml:"max"`
}

// MobilityRandomWaypoint is the one mobility model a config can name.
const MobilityRandomWaypoint = "random-waypoint"

// Medium returns the air model the section describes (unset fields at
// their defaults), validated; errors name the field path.
func (a *AirConfig) Medium() (medium.AirConfig, error) {
	c := medium.AirConfig{Errors: a.Errors, Airtime: a.Airtime, NoiseFloorDBm: a.NoiseFloorDBm}
	if a.Fading != nil {
		c.Fading = *a.Fading
		if c.Fading.Kind == "none" {
			c.Fading.Kind = air.FadingNone // a sigma with it is refused below
		}
	}
	c = c.Normalize()
	if p := a.Propagation; p != nil {
		pr, err := air.DefaultPropagation(p.Model)
		if err != nil || p.Model == "" {
			return c, &ConfigError{Path: "air.propagation", Msg: fmt.Sprintf("invalid propagation model %q: accepted is %s", p.Model, strings.Join(air.Models, ", "))}
		}
		names := make([]string, 0, len(p.Params))
		for k := range p.Params {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := medium.SetPropagationParam(&pr, k, p.Params[k]); err != nil {
				return c, &ConfigError{Path: "air.propagation." + k, Msg: err.Error()}
			}
		}
		c.Propagation = pr
	}
	if err := c.Validate(); err != nil {
		path := "air"
		switch {
		case strings.Contains(err.Error(), "errors model"):
			path = "air.errors"
		case strings.Contains(err.Error(), "airtime model"):
			path = "air.airtime"
		case strings.Contains(err.Error(), "noise"):
			path = "air.noise_floor_dbm"
		case strings.Contains(err.Error(), "fading"):
			path = "air.fading"
		case a.Propagation != nil:
			path = "air.propagation"
		}
		return c, &ConfigError{Path: path, Msg: err.Error()}
	}
	return c, nil
}

// Mobility returns how a radio moves (zero: it does not), validated.
func (r *RadioConfig) mobility(p string) (medium.Mobility, error) {
	var mb medium.Mobility
	if len(r.Path) > 0 && r.Mobility != nil {
		return mb, &ConfigError{Path: p + ".mobility", Msg: fmt.Sprintf("radio %s: path and mobility both set: accepted is one of them", r.Name)}
	}
	if len(r.Path) > 0 {
		mb.Path, mb.Loop = r.Path, r.Loop
		for i, w := range r.Path {
			if err := medium.ValidateSpeed(w.Speed); err != nil {
				return mb, &ConfigError{Path: fmt.Sprintf("%s.path[%d]", p, i), Msg: fmt.Sprintf("radio %s: %v", r.Name, err)}
			}
		}
	}
	if m := r.Mobility; m != nil {
		if m.Model != MobilityRandomWaypoint {
			return mb, &ConfigError{Path: p + ".mobility.model", Msg: fmt.Sprintf("radio %s: invalid mobility model %q: accepted is %s", r.Name, m.Model, MobilityRandomWaypoint)}
		}
		if m.Box == nil {
			return mb, &ConfigError{Path: p + ".mobility", Msg: fmt.Sprintf("radio %s: random-waypoint needs box: {min: {x, y, z}, max: {x, y, z}}", r.Name)}
		}
		mb.RandomWaypoint = &medium.RandomWaypoint{Min: m.Box.Min, Max: m.Box.Max, Speed: m.Speed, Pause: m.Pause}
	}
	if err := mb.Validate(); err != nil {
		return mb, &ConfigError{Path: p + ".mobility", Msg: fmt.Sprintf("radio %s: %v", r.Name, err)}
	}
	return mb, nil
}

// ConfigMobility returns the radios that move, by name.
func ConfigMobility(cfg *Config) map[string]medium.Mobility {
	out := map[string]medium.Mobility{}
	for i := range cfg.Radios {
		r := &cfg.Radios[i]
		if mb, err := r.mobility(""); err == nil && (len(mb.Path) > 0 || mb.RandomWaypoint != nil) {
			out[r.Name] = mb
		}
	}
	return out
}
