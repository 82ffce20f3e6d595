// SPDX-License-Identifier: MIT

package wmediumd

import (
	"math"
	"math/rand/v2"
)

// Propagation formulas of wmediumd's path_loss model, as small pure
// functions returning a loss in dB (positive = the signal gets weaker).
// Distances are in metres, frequencies as each function names them.
//
// Where wmediumd's own formulas are wrong (bcopeland's config.c and the
// mininet-wifi fork's), this package computes the textbook formula instead:
//
//   - itu: upstream evaluates 20·log10(f) with f in Hz (2.412e9) where
//     ITU-R P.1238 takes MHz, so every loss is 120 dB too high and every
//     link unusable; the fork does the same whenever the station's
//     frequency is not known yet (always at load time). Here f is in MHz.
//   - two_ray_ground (fork only): computes the wavelength from a fixed
//     20 MHz instead of the carrier, divides it by 1000 in the cross-over
//     distance (cross-over at 838 m instead of ~101 m for 1 m antennas at
//     2.4 GHz), and beyond the cross-over returns the received power in
//     linear units (tx_power·G·G·h²/d⁴) as if it were a loss in dB. Here:
//     free space below the cross-over 4π·ht·hr/λ, 40·log10(d) −
//     20·log10(ht·hr) beyond it (continuous at the cross-over), both plus
//     the system loss.
//   - every model at d → 0: wmediumd takes log10(0) = −inf and converts it
//     to int (undefined in C). Here distances are clamped: to the 1 m
//     reference distance for the log-distance family and ITU (the models
//     are defined from there on), and for free space to λ/4π, where the
//     loss reaches 0 dB (no gain from propagation).
//   - wmediumd truncates the loss and then the SNR to integers (up to
//     2 dB off, always towards a stronger signal for positive values); here
//     they stay float64 and the serving layer rounds once if it must.
//   - upstream fixes the frequency at 2.412 GHz (channel 1) whatever the
//     channel; here the frequency is a parameter, 2.412 GHz being only the
//     default before a frame's frequency is known.

// SpeedOfLight in m/s.
const SpeedOfLight = 299792458.0

// DefaultFreqHz is the frequency wmediumd assumes (channel 1, 2412 MHz).
const DefaultFreqHz = 2.412e9

// ReferenceDistance is d0 of the log-distance family and the ITU model, m.
const ReferenceDistance = 1.0

// Wavelength returns c/f in metres.
func Wavelength(freqHz float64) float64 { return SpeedOfLight / freqHz }

// FreeSpaceLossDB is Friis' free-space path loss 20·log10(4π·d·f/c) plus a
// system loss given as a linear factor L ≥ 1 (the fork's sL; 1 = none):
// 10·log10((4πd)²·L/λ²).
func FreeSpaceLossDB(d, freqHz, systemLoss float64) float64 {
	lambda := Wavelength(freqHz)
	d = math.Max(d, lambda/(4*math.Pi))
	return 20*math.Log10(4*math.Pi*d/lambda) + lossFactorDB(systemLoss)
}

func lossFactorDB(l float64) float64 {
	if l <= 1 {
		return 0
	}
	return 10 * math.Log10(l)
}

// LogDistanceLossDB is the log-distance model: the free-space loss at the
// 1 m reference distance, plus 10·n·log10(d/1 m), plus a fixed extra loss
// xg in dB (wmediumd's Xg, nominally a shadowing sample).
func LogDistanceLossDB(d, freqHz, exponent, xg float64) float64 {
	d = math.Max(d, ReferenceDistance)
	return FreeSpaceLossDB(ReferenceDistance, freqHz, 1) + 10*exponent*math.Log10(d/ReferenceDistance) + xg
}

// LogNormalShadowingLossDB is the log-distance loss minus a shadowing
// sample in dB (the fork's per-station Gaussian value, set over its
// socket, 0 until then). The sign follows the fork: a positive sample
// strengthens the signal; for a zero-mean Gaussian the distribution is the
// same either way.
func LogNormalShadowingLossDB(d, freqHz, exponent, shadowDB float64) float64 {
	return LogDistanceLossDB(d, freqHz, exponent, 0) - shadowDB
}

// ITUDistanceCoefficient is the distance power loss coefficient N that
// wmediumd uses: 28 up to 16 m, 38 beyond (from a site-specific validation
// of ITU-R P.1238 at 2.4 GHz), unless the config gives one (the fork's pL).
func ITUDistanceCoefficient(d float64, override int) float64 {
	if override != 0 {
		return float64(override)
	}
	if d > 16 {
		return 38
	}
	return 28
}

// ITULossDB is ITU-R P.1238 indoor loss 20·log10(f/MHz) + N·log10(d) +
// Lf(n) − 28, with the floor penetration loss Lf = floorLossDB·floors as
// wmediumd writes it. f is in MHz (wmediumd passes Hz: +120 dB).
func ITULossDB(d, freqMHz, n, floorLossDB float64, floors int) float64 {
	d = math.Max(d, ReferenceDistance)
	return 20*math.Log10(freqMHz) + n*math.Log10(d) + floorLossDB*float64(floors) - 28
}

// TwoRayCrossover is the distance 4π·ht·hr/λ beyond which the ground
// reflection dominates, in metres.
func TwoRayCrossover(freqHz, ht, hr float64) float64 {
	return 4 * math.Pi * ht * hr / Wavelength(freqHz)
}

// TwoRayGroundLossDB is the two-ray ground reflection model: free space up
// to the cross-over distance, 40·log10(d) − 20·log10(ht·hr) beyond it, with
// antenna heights ht, hr in metres, both plus the system loss factor.
func TwoRayGroundLossDB(d, freqHz, ht, hr, systemLoss float64) float64 {
	if d < TwoRayCrossover(freqHz, ht, hr) {
		return FreeSpaceLossDB(d, freqHz, systemLoss)
	}
	return 40*math.Log10(d) - 20*math.Log10(ht*hr) + lossFactorDB(systemLoss)
}

// NakagamiGainDB draws a Nakagami-m fading power gain in dB: the power of
// a Nakagami-m amplitude is Gamma(m, 1/m) distributed (mean 1 = 0 dB).
// m ≤ 0 means no fading (0 dB). The fork's "nakagami" model adds one such
// draw to the log-distance SNR at every recomputation.
func NakagamiGainDB(m float64, r *rand.Rand) float64 {
	if m <= 0 {
		return 0
	}
	g := gammaSample(m, r) / m
	if g <= 1e-10 {
		g = 1e-10
	}
	return 10 * math.Log10(g)
}

// gammaSample draws Gamma(shape, 1) by Marsaglia and Tsang's method
// (shape < 1 boosted by U^(1/shape)).
func gammaSample(shape float64, r *rand.Rand) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gammaSample(shape+1, r) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// FadingDB is wmediumd's fading term for model.fading_coefficient c: c
// times an approximately standard normal sample (the sum of 12 uniforms
// minus 6), in dB.
func FadingDB(c int, r *rand.Rand) float64 {
	if c <= 0 {
		return 0
	}
	s := -6.0
	for range 12 {
		s += r.Float64()
	}
	return float64(c) * s
}
