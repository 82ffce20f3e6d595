// SPDX-License-Identifier: MIT

package wmediumd

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium/wmediumd/libconfig"
)

func load(t *testing.T, path string) *Config {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return c
}

func parse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return c
}

// matrix checks every off-diagonal entry of an n×n matrix; want uses NaN on
// the diagonal.
func matrix(t *testing.T, what string, got []float64, want [][]float64) {
	t.Helper()
	n := len(want)
	if len(got) != n*n {
		t.Fatalf("%s has %d entries, want %d", what, len(got), n*n)
	}
	for i := range n {
		for j := range n {
			if i != j && math.Abs(got[i*n+j]-want[i][j]) > 1e-9 {
				t.Errorf("%s[%d][%d] = %v, want %v", what, i, j, got[i*n+j], want[i][j])
			}
		}
	}
}

func noWarnings(t *testing.T, c *Config) {
	t.Helper()
	for _, w := range c.Warnings {
		t.Errorf("unexpected warning: %s", w)
	}
}

var x = math.NaN()

func TestLoadHostapSNR(t *testing.T) {
	c := load(t, "testdata/hostap-snr.cfg")
	noWarnings(t, c)
	if c.Model != ModelSNR || c.N() != 4 || c.IDs[3] != (MAC{2, 0, 0, 0, 3, 0}) {
		t.Fatalf("model %v ids %v", c.Model, c.IDs)
	}
	// Every link is given in one direction: mirrored.
	matrix(t, "SNR", c.SNR, [][]float64{
		{x, 50, 50, 0},
		{50, x, 30, 10},
		{50, 30, x, 20},
		{0, 10, 20, x},
	})
	if c.LossProb != nil || c.PathLoss != nil || c.Noise != NoiseLevel || c.Interference {
		t.Errorf("unexpected extras: %+v", c)
	}
	if l := c.Link(3, 0); l.SNR != 0 || l.HasLossProb || !l.SameMedium {
		t.Errorf("Link(3,0) = %+v", l)
	}
	if c.Signal(1, 3) != 10+NoiseLevel {
		t.Errorf("Signal(1,3) = %v", c.Signal(1, 3))
	}
	if i, ok := c.Index(MAC{2, 0, 0, 0, 2, 0}); !ok || i != 2 {
		t.Errorf("Index = %d %v", i, ok)
	}
	if err := c.CheckPERTable(); err != nil {
		t.Errorf("CheckPERTable: %v", err)
	}
}

func TestLoadHostapProb(t *testing.T) {
	c := load(t, "testdata/hostap-prob.cfg")
	noWarnings(t, c)
	if c.Model != ModelProb {
		t.Fatalf("model %v", c.Model)
	}
	matrix(t, "LossProb", c.LossProb, [][]float64{{x, 1, 0}, {1, x, 0}, {0, 0, x}})
	matrix(t, "SNR", c.SNR, [][]float64{{x, 30, 30}, {30, x, 30}, {30, 30, x}})
	if l := c.Link(0, 1); !l.HasLossProb || l.LossProb != 1 || l.SNR != DefaultSNR {
		t.Errorf("Link(0,1) = %+v", l)
	}
	if err := c.CheckPERTable(); !errors.Is(err, ErrPERWithProb) {
		t.Errorf("CheckPERTable = %v", err)
	}
}

func TestLoadMininetSNRMediums(t *testing.T) {
	c := load(t, "testdata/mininet-snr.cfg")
	noWarnings(t, c)
	// (0,1) given once: mirrored; (1,2) and (2,1) both given: asymmetric;
	// (0,2) unlisted: the default 30. default_prob is not read for snr.
	matrix(t, "SNR", c.SNR, [][]float64{{x, 25, 30}, {25, x, 15}, {30, 12, x}})
	if got := c.Medium; got[0] != 1 || got[1] != 1 || got[2] != 2 {
		t.Errorf("Medium = %v, want [1 1 2]", got)
	}
	if c.Link(0, 1).SameMedium != true || c.Link(1, 2).SameMedium != false {
		t.Errorf("SameMedium wrong: %+v %+v", c.Link(0, 1), c.Link(1, 2))
	}
}

func TestLoadAOSP(t *testing.T) {
	c := load(t, "testdata/aosp-cuttlefish.cfg")
	noWarnings(t, c)
	matrix(t, "SNR", c.SNR, [][]float64{{x, 40, 40}, {40, x, 20}, {40, 20, x}})
	if c.IDs[0].String() != "02:15:b2:00:00:00" || c.Interference {
		t.Errorf("ids %v interference %v", c.IDs, c.Interference)
	}
}

func TestLoadUpstreamPathLoss(t *testing.T) {
	c := load(t, "testdata/upstream-pathloss.cfg")
	noWarnings(t, c)
	pl := c.PathLoss
	if c.Model != ModelPathLoss || pl == nil || !pl.Moving || pl.APPower {
		t.Fatalf("model %v pathloss %+v", c.Model, pl)
	}
	if ld, ok := pl.Propagation.(LogDistance); !ok || ld.Exponent != 3.5 || ld.Xg != 0 {
		t.Fatalf("propagation %#v", pl.Propagation)
	}
	// 0 at (-50,0), 1 at (0,40): d = sqrt(50²+40²) = 64.03 m. Free space
	// at 1 m, 2.412 GHz: 40.10 dB; + 35·log10(64.03) = 63.22 dB.
	// SNR = 15 − 103.32 + 91 = 2.68 dB (wmediumd truncates to 3).
	want := 15 - (40.0953 + 35*math.Log10(math.Sqrt(4100))) + 91
	if got := c.SNR[0*4+1]; math.Abs(got-want) > 0.01 || math.Abs(got-2.68) > 0.01 {
		t.Errorf("SNR[0][1] = %.3f, want %.3f", got, want)
	}
	if c.SNR[1*4+0] != c.SNR[0*4+1] {
		t.Errorf("equal powers must give a symmetric link")
	}
	// Station 1 moves 5 m east per interval.
	pl.Move()
	if s := pl.Stations[1]; s.X != 5 || s.Y != 40 || pl.Stations[0].X != -50 {
		t.Errorf("after Move: %+v", pl.Stations)
	}
	pl.Recompute(c.SNR, DefaultFreqHz)
	want = 15 - (40.0953 + 35*math.Log10(math.Sqrt(55*55+40*40))) + 91
	if got := c.SNR[1]; math.Abs(got-want) > 0.01 {
		t.Errorf("after Move SNR[0][1] = %.3f, want %.3f", got, want)
	}
	// At 5.18 GHz the loss is 20·log10(5180/2412) = 6.64 dB higher.
	if d := pl.SNR(0, 1, DefaultFreqHz) - pl.SNR(0, 1, 5.18e9); math.Abs(d-6.64) > 0.01 {
		t.Errorf("2.4→5 GHz SNR difference %.3f, want 6.64", d)
	}
}

func TestLoadMininetInterference(t *testing.T) {
	c := load(t, "testdata/mininet-interference.cfg")
	noWarnings(t, c)
	pl := c.PathLoss
	if !c.Interference || c.FadingCoefficient != 0 || c.Noise != -91 || !pl.APPower || !pl.Stations[0].IsAP || pl.Stations[1].IsAP {
		t.Fatalf("config %+v pathloss %+v", c, pl)
	}
	if pl.Stations[2].Z != 1.5 || pl.Stations[2].TxPower != 20 {
		t.Errorf("station 2 = %+v", pl.Stations[2])
	}
	loss := func(i, j int) float64 { return LogDistanceLossDB(pl.Distance(i, j), DefaultFreqHz, 3, 0) }
	// Links with the AP (0) use the AP's 14 dBm both ways, even from
	// station 2 at 20 dBm; between stations 1 and 2 the sender's power.
	cases := []struct {
		tx, rx int
		power  float64
	}{{0, 1, 14}, {1, 0, 14}, {0, 2, 14}, {2, 0, 14}, {1, 2, 14}, {2, 1, 20}}
	for _, k := range cases {
		want := k.power - loss(k.tx, k.rx) + 91
		if got := c.SNR[k.tx*3+k.rx]; math.Abs(got-want) > 1e-9 {
			t.Errorf("SNR[%d][%d] = %.3f, want %.3f (tx power %v)", k.tx, k.rx, got, want, k.power)
		}
	}
	// 0→1: 20 m: 40.10 + 30·1.301 = 79.13 dB loss, SNR 25.87 dB.
	if got := c.SNR[1]; math.Abs(got-25.87) > 0.01 {
		t.Errorf("SNR[0][1] = %.3f, want 25.88", got)
	}
}

// libconfig's type rules as wmediumd reads them: the value wmediumd would
// use, and a warning naming line, key and the fix.
func TestTypeRuleWarnings(t *testing.T) {
	c := parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00"];
  enable_interference = 1; };
model: {
  type = "prob";
  default_prob = 1;
  links = ( (0, 1, 1),
            (1.0, 2, 0.5) );
  fading_coefficient = 2.5;
};`)
	want := []struct {
		line     int
		key, msg string
	}{
		{2, "ifaces.enable_interference", "is a integer, not a boolean; wmediumd reads false"},
		{8, "model.fading_coefficient", "2.5 is a float; wmediumd reads only integers here and takes 0, and so does vmedium: write 3"},
		{5, "model.default_prob", "1 is an integer; wmediumd reads only floats here and takes 0, and so does vmedium: write 1.0"},
		{6, "model.links[0][2]", "write 1.0"},
		{7, "model.links[1][0]", "1.0 is a float; wmediumd reads only integers here and takes 0"},
	}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings:\n%v", c.Warnings)
	}
	for i, w := range want {
		g := c.Warnings[i]
		if g.File != "t.cfg" || g.Line != w.line || g.Key != w.key || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("warning %d = %q, want line %d key %s msg %q", i, g, w.line, w.key, w.msg)
		}
	}
	// The values are wmediumd's: default 0, (0,1) p 0 (mirrored),
	// (0,2) from index 1.0 → 0 with p 0.5 (mirrored), (1,2) the default 0.
	matrix(t, "LossProb", c.LossProb, [][]float64{{x, 0, 0.5}, {0, x, 0}, {0.5, 0, x}})
	if c.Interference || c.FadingCoefficient != 0 {
		t.Errorf("interference %v fading %d", c.Interference, c.FadingCoefficient)
	}
}

func TestPathLossIntegerTxPowers(t *testing.T) {
	c := parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };
model: { type = "path_loss"; positions = ((0.0, 0.0), (10, 0.0));
  tx_powers = (15, 15.0); model_name = "free_space"; };`)
	if got := c.PathLoss.Stations; got[1].X != 0 || got[0].TxPower != 0 || got[1].TxPower != 15 {
		t.Errorf("stations %+v: integers must read 0 as in wmediumd", got)
	}
	if len(c.Warnings) != 2 || c.Warnings[1].Key != "model.positions[1][0]" || c.Warnings[0].Key != "model.tx_powers[0]" ||
		!strings.Contains(c.Warnings[0].Msg, "write 15.0") || c.Warnings[0].Line != 3 {
		t.Errorf("warnings %v", c.Warnings)
	}
}

func TestLoadErrors(t *testing.T) {
	ids3 := `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00"]; };` + "\n"
	cases := []struct {
		name, src string
		line      int
		key       string
		msg       []string
	}{
		{"syntax", ids3 + "model: {\n type = \"snr\"\n links = ((0, 1, 5) (1, 2, 5));\n};", 4, "model.links", []string{"expected ',' or ')'"}},
		{"unknown model name", ids3 + "model: { type = \"path_loss\"; positions = ((0.0,0.0),(1.0,0.0),(2.0,0.0));\n tx_powers = (1.0, 1.0, 1.0);\n model_name = \"log_distnace\"; };", 4, "model.model_name",
			[]string{`unknown path loss model "log_distnace"`, "free_space, itu, log_distance, log_normal_shadowing, nakagami, two_ray_ground"}},
		{"link index out of range", ids3 + "model: { type = \"snr\";\n links = ((0, 1, 10),\n (1, 3, 10)); };", 4, "model.links[1][1]",
			[]string{"station index 3 is out of range", "ifaces.ids has 3 stations (indices 0..2)"}},
		{"negative index", ids3 + "ifaces2 = 1; model: { type = \"prob\"; links = ((-1, 1, 0.5)); };", 2, "model.links[0][0]", []string{"station index -1"}},
		{"ifaces.links index", `ifaces: { ids = ["02:00:00:00:00:00"];` + "\n links = ((0, 1, 10)); };", 2, "ifaces.links[0][1]", []string{"index 1 is out of range", "1 stations"}},
		{"unknown type", ids3 + "model: {\n type = \"pathloss\"; };", 3, "model.type", []string{`unknown model type "pathloss"`, `"snr", "prob", "path_loss"`}},
		{"short link", ids3 + "model: { type = \"snr\"; links = ((0, 1)); };", 2, "model.links[0]", []string{"a link has 3 values (int, int, int)", "found 2 values"}},
		{"prob range", ids3 + "model: { type = \"prob\"; links = ((0, 1, 1.5)); };", 2, "model.links[0][2]", []string{"1.5 is not a probability", "0.0 (no loss) to 1.0"}},
		{"default_prob range", ids3 + "model: { type = \"prob\";\n default_prob = -0.5; };", 3, "model.default_prob", []string{"-0.5 is not a probability"}},
		{"no ids", "ifaces: {\n count = 2; };", 1, "ifaces.ids", []string{"missing", "MAC addresses"}},
		{"bad mac", `ifaces: { ids = ["02:00:00:00:00:00",` + "\n" + `"02:00:00:00:01"]; };`, 2, "ifaces.ids[1]", []string{`"02:00:00:00:01" is not a MAC address`}},
		{"mac not string", `ifaces: { ids = (1); };`, 1, "ifaces.ids[0]", []string{"must be a MAC address string", "found a integer"}},
		{"positions count", ids3 + "model: { type = \"path_loss\";\n positions = ((0.0, 0.0), (1.0, 0.0)); tx_powers = (1.0, 1.0, 1.0); model_name = \"free_space\"; };", 3, "model.positions",
			[]string{"has 2 values; ifaces.ids has 3 stations"}},
		{"no tx_powers", ids3 + "model: { type = \"path_loss\";\n positions = ((0.0, 0.0), (1.0, 0.0), (2.0, 0.0)); model_name = \"free_space\"; };", 2, "model.tx_powers", []string{"missing", "tx powers"}},
		{"integer path_loss_exp", ids3 + "model: { type = \"path_loss\"; positions = ((0.0,0.0),(1.0,0.0),(2.0,0.0)); tx_powers = (1.0,1.0,1.0);\n model_name = \"log_distance\";\n path_loss_exp = 3; xg = 0.0; };", 4, "model.path_loss_exp",
			[]string{"3 is an integer", "write 3.0"}},
		{"missing xg", ids3 + "model: { type = \"path_loss\"; positions = ((0.0,0.0),(1.0,0.0),(2.0,0.0)); tx_powers = (1.0,1.0,1.0);\n model_name = \"log_distance\"; path_loss_exp = 3.0; };", 2, "model.xg",
			[]string{"missing", `model_name "log_distance" needs xg`}},
		{"float nFLOORS", ids3 + "model: { type = \"path_loss\"; positions = ((0.0,0.0),(1.0,0.0),(2.0,0.0)); tx_powers = (1.0,1.0,1.0);\n model_name = \"itu\";\n nFLOORS = 1.0; LF = 5; };", 4, "model.nFLOORS",
			[]string{"1.0 is a float", "write 1"}},
		{"position arity", ids3 + "model: { type = \"path_loss\"; positions = ((0.0,0.0),\n (1.0),(2.0,0.0)); tx_powers = (1.0,1.0,1.0); model_name = \"free_space\"; };", 3, "model.positions[1]",
			[]string{"(x, y) or (x, y, z)"}},
		{"medium index", `ifaces: { ids = ["02:00:00:00:00:00"];` + "\n medium_array = ((0, 4)); };", 2, "ifaces.medium_array[0][1]", []string{"station index 4 is out of range"}},
		{"system loss", ids3 + "model: { type = \"path_loss\"; positions = ((0.0,0.0),(1.0,0.0),(2.0,0.0)); tx_powers = (1.0,1.0,1.0);\n model_name = \"free_space\"; sL = 0; };", 3, "model.sL", []string{"linear loss factor"}},
	}
	for _, c := range cases {
		_, err := Parse("e.cfg", []byte(c.src))
		var me *Error
		var se *libconfig.Error
		var line int
		var key, msg, full string
		switch {
		case errors.As(err, &me):
			line, key, msg, full = me.Line, me.Key, me.Msg, me.Error()
		case errors.As(err, &se):
			line, key, msg, full = se.Line, se.Path, se.Msg, se.Error()
		default:
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		ok := line == c.line && key == c.key
		for _, m := range c.msg {
			ok = ok && strings.Contains(msg, m)
		}
		if !ok || !strings.Contains(full, "e.cfg:") || !strings.Contains(full, c.key) {
			t.Errorf("%s:\n got  %s\n want line %d key %s msg containing %q", c.name, full, c.line, c.key, c.msg)
		}
	}
}

func TestLoadWarningsForIgnoredKeys(t *testing.T) {
	c := parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; links = ((0, 1, 7)); };
model: { type = "prob"; links = ((0, 1, 0.5)); noise_threshold = 5; };`)
	if c.Model != ModelSNR || c.SNR[1] != 7 || c.SNR[2] != 7 || c.LossProb != nil || c.Noise != NoiseLevel {
		t.Errorf("ifaces.links must win over model.*: %+v", c)
	}
	if len(c.Warnings) != 2 || c.Warnings[0].Key != "model.noise_threshold" || c.Warnings[1].Key != "model.type" {
		t.Errorf("warnings %v", c.Warnings)
	}
	c = parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };
model: { type = "snr_matrix"; links = ((0, 1, 7)); };`)
	if c.SNR[2] != 7 || len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0].Msg, `read as "snr"`) {
		t.Errorf("prefix type: %v %v", c.SNR, c.Warnings)
	}
	c = parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "2:0:0:0:0:0"]; };
model: { links = ((0, 1, 7)); };`)
	if c.SNR[1] != DefaultSNR || len(c.Warnings) != 2 {
		t.Errorf("links without type: %v %v", c.SNR, c.Warnings)
	}
	c = parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };
model: { type = "snr"; noise_threshold = -95; fading_coefficient = 3; };`)
	if c.Noise != -95 || c.FadingCoefficient != 3 || len(c.Warnings) != 0 {
		t.Errorf("noise %v fading %v warnings %v", c.Noise, c.FadingCoefficient, c.Warnings)
	}
}

func TestPropagationModelsFromConfig(t *testing.T) {
	base := `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };
model: { type = "path_loss"; positions = ((0.0, 0.0, 0.0), (30.0, 40.0, 0.0)); tx_powers = (20.0, 20.0); `
	cases := []struct {
		params string
		want   Propagation
		loss   float64 // at 50 m, 2.412 GHz
	}{
		{`model_name = "free_space";`, FreeSpace{SystemLoss: 1}, 74.07},
		{`model_name = "free_space"; sL = 2;`, FreeSpace{SystemLoss: 2}, 77.08},
		{`model_name = "log_normal_shadowing"; sL = 1; path_loss_exp = 2.0;`, LogNormalShadowing{Exponent: 2, SystemLoss: 1}, 74.07},
		{`model_name = "itu"; nFLOORS = 1; lF = 5; pL = 0;`, ITU{Floors: 1, FloorLossDB: 5}, 67.65 + 38*math.Log10(50) + 5 - 28},
		{`model_name = "itu"; nFLOORS = 0; LF = 0;`, ITU{}, 67.65 + 38*math.Log10(50) - 28},
		{`model_name = "two_ray_ground"; sL = 1;`, TwoRayGround{SystemLoss: 1}, 74.07},
		{`model_name = "nakagami"; m = 3.0;`, Nakagami{M: 3, Exponent: 2}, 74.07},
		{`model_name = "nakagami";`, Nakagami{M: 1, Exponent: 2}, 74.07},
	}
	for _, k := range cases {
		c := parse(t, base+k.params+" };")
		if c.PathLoss.Propagation != k.want {
			t.Errorf("%s: got %#v, want %#v", k.params, c.PathLoss.Propagation, k.want)
		}
		if got := 20 - c.Signal(0, 1); math.Abs(got-k.loss) > 0.01 {
			t.Errorf("%s: loss %.3f, want %.3f", k.params, got, k.loss)
		}
	}
}

// default_prob = 1.0 isolates every pair the links do not name, and a
// pair given in both directions keeps both values.
func TestProbDefaultIsolates(t *testing.T) {
	c := parse(t, `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00"]; };
model: { type = "prob"; default_prob = 1.0;
  links = ( (0, 1, 0.0), (1, 2, 0.25), (2, 1, 0.75) ); };`)
	noWarnings(t, c)
	matrix(t, "LossProb", c.LossProb, [][]float64{{x, 0, 1}, {0, x, 0.25}, {1, 0.75, x}})
}
