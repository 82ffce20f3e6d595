// SPDX-License-Identifier: MIT

package air

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPropagationModels(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.01 }
	p, _ := DefaultPropagation(ModelFreeSpace)
	if l := p.LossDB(1, 2412, 0); !near(l, 40.09) {
		t.Errorf("free space 1 m 2412 MHz: %.3f dB", l)
	}
	// +20 dB per decade, +6.02 dB per frequency doubling.
	if d := p.LossDB(10, 2412, 0) - p.LossDB(1, 2412, 0); !near(d, 20) {
		t.Errorf("free space decade %.3f", d)
	}
	if d := p.LossDB(5, 5000, 0) - p.LossDB(5, 2500, 0); !near(d, 6.02) {
		t.Errorf("free space octave %.3f", d)
	}
	// Two-ray: Friis inside the crossover, 40 dB/decade far out, and the
	// far-field formula is frequency independent.
	p, _ = DefaultPropagation(ModelTwoRayGround)
	p.TxHeight, p.RxHeight = 1.5, 1.5
	fs, _ := DefaultPropagation(ModelFreeSpace)
	if a, b := p.LossDB(10, 2412, 0), fs.LossDB(10, 2412, 0); a != b {
		t.Errorf("two-ray inside crossover %.2f vs free space %.2f", a, b)
	}
	if d := p.LossDB(10000, 2412, 0) - p.LossDB(1000, 2412, 0); !near(d, 40) {
		t.Errorf("two-ray far decade %.3f", d)
	}
	if p.LossDB(2000, 2412, 0) != p.LossDB(2000, 5180, 0) {
		t.Error("two-ray far field depends on frequency")
	}
	// ITU-R P.1238, 2412 MHz, N = 30, 10 m, no floor: 67.65 + 30 − 28.
	p, _ = DefaultPropagation(ModelITUIndoor)
	if l := p.LossDB(10, 2412, 0); !near(l, 69.65) {
		t.Errorf("itu 10 m %.3f", l)
	}
	p.Floors = 2
	if l := p.LossDB(10, 2412, 0); !near(l, 69.65+19) {
		t.Errorf("itu 10 m two floors %.3f", l)
	}
	// Shadowing: fixed per pair, symmetric, the spread σ.
	p, _ = DefaultPropagation(ModelLogNormalShadowing)
	p.Seed = 7
	ld, _ := DefaultPropagation(ModelLogDistance)
	var sum, sum2 float64
	const n = 4000
	for i := range uint64(n) {
		k := PairKey(i, i+1000)
		if k != PairKey(i+1000, i) {
			t.Fatal("PairKey not symmetric")
		}
		x := p.LossDB(20, 2412, k) - ld.LossDB(20, 2412, k)
		if x != p.LossDB(20, 2412, k)-ld.LossDB(20, 2412, k) {
			t.Fatal("shadowing not fixed per pair")
		}
		sum += x
		sum2 += x * x
	}
	mean := sum / n
	sd := math.Sqrt(sum2/n - mean*mean)
	if math.Abs(mean) > 0.3 || math.Abs(sd-4) > 0.3 {
		t.Errorf("shadowing mean %.2f sd %.2f, want 0 and 4", mean, sd)
	}
	// Below the reference distance the loss stops falling.
	if ld.LossDB(0.1, 2412, 0) != ld.LossDB(1, 2412, 0) {
		t.Error("no clamp at the reference distance")
	}
}

func TestPropagationValidate(t *testing.T) {
	if _, err := DefaultPropagation("okumura"); err == nil || !strings.Contains(err.Error(), "log-distance") ||
		!strings.Contains(err.Error(), "okumura") {
		t.Errorf("unknown model error %v", err)
	}
	for _, m := range Models {
		p, err := DefaultPropagation(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("default %s: %v", m, err)
		}
	}
	bad := []struct {
		model string
		set   func(*Propagation)
		param string
	}{
		{ModelLogDistance, func(p *Propagation) { p.Exponent = 0.5 }, "exponent"},
		{ModelLogDistance, func(p *Propagation) { p.Exponent = math.NaN() }, "exponent"},
		{ModelLogDistance, func(p *Propagation) { p.RefDistance = 0 }, "ref_distance"},
		{ModelLogNormalShadowing, func(p *Propagation) { p.SigmaDB = -1 }, "sigma_db"},
		{ModelTwoRayGround, func(p *Propagation) { p.TxHeight = 0 }, "tx_height"},
		{ModelITUIndoor, func(p *Propagation) { p.Floors = -1 }, "floors"},
		{ModelITUIndoor, func(p *Propagation) { p.PowerLossCoeff = 100 }, "power_loss_coeff"},
	}
	for _, b := range bad {
		p, _ := DefaultPropagation(b.model)
		b.set(&p)
		err := p.Validate()
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != b.param || !strings.Contains(err.Error(), "accepted") {
			t.Errorf("%s %s: %v", b.model, b.param, err)
		}
	}
}

func TestNoise(t *testing.T) {
	n := DefaultNoise()
	if v := n.DBm(Width20); math.Abs(v-(-93.99)) > 0.01 {
		t.Errorf("default noise 20 MHz %.2f", v)
	}
	if d := n.DBm(Width40) - n.DBm(Width20); math.Abs(d-3.01) > 0.01 {
		t.Errorf("noise per doubling %.2f", d)
	}
	u, err := NoiseFromFloor(-91)
	if err != nil || u.DBm(Width20) != -91 || math.Abs(u.DBm(Width80)-(-91+6.02)) > 0.01 {
		t.Errorf("user floor %v %v", u, err)
	}
	if _, err := NoiseFromFloor(0); err == nil {
		t.Error("floor 0 dBm accepted")
	}
}

func TestFading(t *testing.T) {
	f := Fading{Kind: FadingLogNormal, SigmaDB: 3}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (&Fading{Kind: "nakagami"}).Validate(); err == nil {
		t.Error("unknown fading accepted")
	}
	if err := (&Fading{Kind: FadingLogNormal, SigmaDB: 40}).Validate(); err == nil {
		t.Error("sigma 40 accepted")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var s, s2 float64
	for range 20000 {
		x := f.DrawDB(rng)
		s += x
		s2 += x * x
	}
	if sd := math.Sqrt(s2 / 20000); math.Abs(sd-3) > 0.1 {
		t.Errorf("log-normal sd %.2f", sd)
	}
	// Rayleigh: mean linear power 1.
	r := Fading{Kind: FadingRayleigh}
	var pw float64
	for range 20000 {
		pw += math.Pow(10, r.DrawDB(rng)/10)
	}
	if m := pw / 20000; math.Abs(m-1) > 0.03 {
		t.Errorf("rayleigh mean power %.3f", m)
	}
	// Same seed, same draws.
	a, b := rand.New(rand.NewPCG(5, 5)), rand.New(rand.NewPCG(5, 5))
	for range 10 {
		if f.DrawDB(a) != f.DrawDB(b) {
			t.Fatal("fading not reproducible")
		}
	}
}
