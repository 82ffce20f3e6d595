// SPDX-License-Identifier: MIT

package wmediumd

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.4f, want %.4f ±%g", what, got, want, tol)
	}
}

func TestPropagationFormulas(t *testing.T) {
	// Friis: 20·log10(4π·d·f/c).
	near(t, "free space 1 m 2.412 GHz", FreeSpaceLossDB(1, DefaultFreqHz, 1), 40.0953, 1e-3)
	near(t, "free space 100 m 2.4 GHz", FreeSpaceLossDB(100, 2.4e9, 1), 80.0520, 1e-3)
	near(t, "free space 10 m 5.18 GHz", FreeSpaceLossDB(10, 5.18e9, 1), 66.7344, 1e-3)
	near(t, "system loss 10", FreeSpaceLossDB(10, DefaultFreqHz, 10)-FreeSpaceLossDB(10, DefaultFreqHz, 1), 10, 1e-9)
	// Clamped, never -Inf: λ/4π is 0 dB.
	near(t, "free space at 0 m", FreeSpaceLossDB(0, DefaultFreqHz, 1), 0, 1e-9)

	near(t, "log distance at d0", LogDistanceLossDB(1, DefaultFreqHz, 3.5, 0), 40.0953, 1e-3)
	near(t, "log distance 100 m n=3 xg=2", LogDistanceLossDB(100, DefaultFreqHz, 3, 2), 40.0953+60+2, 1e-3)
	near(t, "log distance below d0", LogDistanceLossDB(0.01, DefaultFreqHz, 3, 0), 40.0953, 1e-3)
	near(t, "shadowing", LogNormalShadowingLossDB(10, DefaultFreqHz, 2, 4), 40.0953+20-4, 1e-3)

	// ITU-R P.1238 with f in MHz: 20·log10(2412) = 67.647.
	near(t, "itu 10 m", ITULossDB(10, 2412, ITUDistanceCoefficient(10, 0), 0, 0), 67.647+28-28, 1e-3)
	near(t, "itu 20 m, 2 floors of 15 dB", ITULossDB(20, 2412, ITUDistanceCoefficient(20, 0), 15, 2), 67.647+38*math.Log10(20)+30-28, 1e-3)
	if ITUDistanceCoefficient(20, 31) != 31 {
		t.Error("pL must override N")
	}

	// Two-ray: cross-over 4π·ht·hr/λ = 101.1 m at 2.412 GHz for 1 m
	// antennas; continuous there; 40·log10(d) − 20·log10(ht·hr) beyond.
	dc := TwoRayCrossover(DefaultFreqHz, 1, 1)
	near(t, "cross-over", dc, 101.10, 0.01)
	near(t, "continuity", TwoRayGroundLossDB(dc-1e-9, DefaultFreqHz, 1, 1, 1), TwoRayGroundLossDB(dc, DefaultFreqHz, 1, 1, 1), 1e-6)
	near(t, "two-ray 1000 m", TwoRayGroundLossDB(1000, DefaultFreqHz, 1, 1, 1), 120, 1e-9)
	near(t, "two-ray 1000 m, 2 m antennas", TwoRayGroundLossDB(1000, DefaultFreqHz, 2, 2, 1), 120-20*math.Log10(4), 1e-9)
	near(t, "two-ray below cross-over", TwoRayGroundLossDB(50, DefaultFreqHz, 1, 1, 1), FreeSpaceLossDB(50, DefaultFreqHz, 1), 1e-9)
}

func TestFadingDraws(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	var sum, sq, lin float64
	for range n {
		f := FadingDB(3, r)
		sum += f
		sq += f * f
		lin += math.Pow(10, NakagamiGainDB(2, r)/10)
	}
	mean := sum / n
	near(t, "fading mean", mean, 0, 0.1)
	near(t, "fading std (coefficient 3)", math.Sqrt(sq/n-mean*mean), 3, 0.1)
	near(t, "Nakagami mean power gain", lin/n, 1, 0.03)
	if FadingDB(0, r) != 0 || NakagamiGainDB(0, r) != 0 {
		t.Error("no fading must be 0 dB")
	}
	near(t, "Nakagami m<1 mean", func() float64 {
		s := 0.0
		for range n {
			s += math.Pow(10, NakagamiGainDB(0.5, r)/10)
		}
		return s / n
	}(), 1, 0.05)
}
