// SPDX-License-Identifier: MIT

package lab

import (
	"errors"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

const airLab = `radios:
  - {name: vw0, role: ap, netns: ns0, ssid: lab, channel: 6, position: {x: 0, y: 0, z: 0}}
  - name: vw1
    role: sta
    netns: ns1
    ssid: lab
    channel: 6
    path:
      - {x: 0, y: 0, z: 0, speed: 0}
      - {x: 40, y: 0, z: 0, speed: 2}
  - name: vw2
    role: sta
    netns: ns2
    ssid: lab
    channel: 6
    mobility: {model: random-waypoint, box: {min: {x: 0, y: 0}, max: {x: 30, y: 30}}, speed: 1.5, pause: 1}
`

func TestAirSectionAndMobilityParse(t *testing.T) {
	cfg, err := ParseConfig("lab.yaml", []byte(airLab+`air:
  errors: per
  airtime: timed
  propagation: {model: log-distance, exponent: 3.5}
  noise_floor_dbm: -92
  fading: {kind: log-normal, sigma_db: 2}
`))
	if err != nil {
		t.Fatal(err)
	}
	st := ConfigState(cfg)
	a := st.Air
	if a == nil || a.Errors != medium.ErrorsPER || a.Airtime != medium.AirtimeTimed || a.Propagation.Exponent != 3.5 ||
		a.Propagation.RefLossDB != air.DefaultRefLossDB || *a.NoiseFloorDBm != -92 || a.Fading.SigmaDB != 2 {
		t.Fatalf("air %+v", a)
	}
	mob := ConfigMobility(cfg)
	if len(mob) != 2 || len(mob["vw1"].Path) != 2 || mob["vw2"].RandomWaypoint == nil || mob["vw2"].RandomWaypoint.Max.X != 30 {
		t.Fatalf("mobility %+v", mob)
	}
	// The scalar form of propagation.
	cfg, err = ParseConfig("lab.yaml", []byte(airLab+"air: {propagation: two-ray-ground}\n"))
	if err != nil || ConfigState(cfg).Air.Propagation.Model != air.ModelTwoRayGround || ConfigState(cfg).Air.Errors != medium.ErrorsFlat {
		t.Fatalf("scalar propagation: %v %+v", err, cfg)
	}
}

func TestAirSectionBadValuesNameLineAndAccepted(t *testing.T) {
	for _, c := range []struct {
		yaml, want string
	}{
		{"air:\n  errors: perfect\n", `lab.yaml:18: air.errors: invalid errors model "perfect": accepted is flat, per`},
		{"air:\n  airtime: sometimes\n", `lab.yaml:18: air.airtime: invalid airtime model "sometimes": accepted is off, account, timed`},
		{"air:\n  propagation: warp\n", "lab.yaml:18: air.propagation: invalid propagation model \"warp\": accepted is log-distance, free-space"},
		{"air:\n  propagation:\n    model: free-space\n    exponent: 2\n", "lab.yaml:20: air.propagation.exponent: invalid free-space parameter \"exponent\": accepted is system_loss_db, ref_distance"},
		{"air:\n  propagation:\n    model: log-distance\n    exponent: 40\n", "air.propagation: invalid log-distance exponent 40: accepted is [1, 8]"},
		{"air:\n  noise_floor_dbm: 5\n", "lab.yaml:18: air.noise_floor_dbm"},
		{"air:\n  fading: {kind: wobble}\n", "lab.yaml:18: air.fading"},
		{"air:\n  colour: blue\n", `line 18: air: unknown setting "colour": accepted are errors, airtime, propagation, noise_floor_dbm, fading`},
		{"air:\n  fading: {kind: log-normal, sgima: 3}\n", `air.fading: unknown setting "sgima": accepted are kind, sigma_db`},
		{"air:\n  fading: {kind: rayleigh, sigma_db: 3}\n", "air.fading: invalid fading sigma_db 3: accepted is 0 with fading rayleigh"},
		{"air:\n  fading: {kind: none, sigma_db: -3}\n", "air.fading: invalid fading sigma_db -3: accepted is 0 with fading none"},
		{"air:\n  fading: {kind: log-normal, sigma_db: 31}\n", "air.fading: invalid fading sigma_db 31: accepted is [0, 30]"},
		{"air:\n  fading: [1]\n", "air.fading: invalid value [1]: accepted is none, log-normal, rayleigh"},
		{"air:\n  fading: wobbly\n", `invalid fading kind "wobbly": accepted is none, log-normal, rayleigh`},
		{"air:\n  errors: [per]\n", "air.errors: invalid value [per]: accepted is flat, per"},
		{"air:\n  airtime: {a: 1}\n", "air.airtime: invalid value {a: 1}: accepted is off, account, timed"},
		{"air:\n  noise_floor_dbm: loud\n", `air.noise_floor_dbm: invalid value "loud": accepted is a level in dBm`},
		{"air:\n  propagation: {model: itu-indoor, floors: 1.5}\n", "air.propagation.floors: invalid propagation floors 1.5: accepted is a whole number"},
		{"air:\n  propagation: {model: log-normal-shadowing, sigma_db: -1}\n", "invalid log-normal-shadowing sigma_db -1: accepted is [0, 20]"},
	} {
		_, err := ParseConfig("lab.yaml", []byte(airLab+c.yaml))
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want a ConfigError containing %q", c.yaml, err, c.want)
		}
	}
	for _, c := range []struct {
		from, to, want string
	}{
		{"speed: 2}", "speed: -2}", "lab.yaml:10: radios[1].path[1]: radio vw1: invalid speed -2"},
		{"model: random-waypoint", "model: brownian", `lab.yaml:16: radios[2].mobility.model: radio vw2: invalid mobility model "brownian": accepted is random-waypoint`},
		{"max: {x: 30, y: 30}", "max: {x: -30, y: 30}", "radios[2].mobility: radio vw2: invalid random-waypoint box"},
		{"speed: 1.5", "speed: 0", "random-waypoint speed 0"},
	} {
		y := strings.Replace(airLab, c.from, c.to, 1)
		_, err := ParseConfig("lab.yaml", []byte(y))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: %v, want %q", c.from, c.to, err, c.want)
		}
	}
}

// `fading: KIND` is short for {kind: KIND}.
func TestAirFadingScalarShorthand(t *testing.T) {
	cfg, err := ParseConfig("lab.yaml", []byte(airLab+"air:\n  fading: rayleigh\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a := ConfigState(cfg).Air; a == nil || a.Fading.Kind != air.FadingRayleigh {
		t.Fatalf("fading: rayleigh parsed as %+v", a)
	}
}
