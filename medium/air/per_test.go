// SPDX-License-Identifier: MIT

package air

import (
	"math"
	"testing"
)

// The distance spectra are computed, not tabulated; check them against the
// published values (Odenwalder/Proakis for rate 1/2: d_free 10, 11 paths,
// 36 bit errors; Haccoun & Bégin 1989 for the punctured codes: d_free 6,
// 5, 4 with 3, 42 and 92 bit errors per puncturing period of 2, 3, 5 bits).
func TestCodeSpectrum(t *testing.T) {
	cases := []struct {
		r      CodeRate
		dfree  int
		bits   float64 // b_dfree × period
		period int
	}{{rate12, 10, 36, 1}, {rate23, 6, 3, 2}, {rate34, 5, 42, 3}, {rate56, 4, 92, 5}}
	for _, c := range cases {
		sp := codeSpectrum(punctureFor(c.r), 16)
		if sp.dfree != c.dfree {
			t.Errorf("rate %v: d_free %d, want %d", c.r, sp.dfree, c.dfree)
		}
		if got := sp.b[sp.dfree] * float64(c.period); math.Abs(got-c.bits) > 1e-9 {
			t.Errorf("rate %v: b_dfree·P %v, want %v", c.r, got, c.bits)
		}
	}
	sp := codeSpectrum(punctureFor(rate12), 14)
	if sp.a[10] != 11 || sp.a[12] != 38 || sp.a[14] != 193 || sp.a[11] != 0 {
		t.Errorf("rate 1/2 a_d: %v", sp.a[10:15])
	}
}

func TestCCKSpectrum(t *testing.T) {
	for _, c := range []struct {
		eleven bool
		words  int
		dmin   float64
	}{{false, 4, 16}, {true, 64, 8}} { // words sharing φ1
		s := newCCKSpectrum(c.eleven)
		n, dmin := 0.0, math.Inf(1)
		for i := range s.d2 {
			n += s.n[i]
			dmin = math.Min(dmin, s.d2[i])
		}
		if math.Abs(n-float64(c.words-1)) > 1e-9 || math.Abs(dmin-c.dmin) > 1e-6 {
			t.Errorf("cck eleven=%v: %v neighbours, d²min %v", c.eleven, n, dmin)
		}
	}
}

// crossing finds the SNR where the PER of an L-byte frame on curve c falls
// to p, by bisection on the table.
func crossing(tb *PERTable, c Curve, length int, p float64) float64 {
	lo, hi := gridMinDB, gridMaxDB
	for range 60 {
		m := (lo + hi) / 2
		if tb.PER(c, m, length) > p {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// The 10 % PER crossings at 1458 B of the reference AWGN/BCC tables (as
// listed in the project's air-model notes): the curves computed here must
// land within 0.5 dB of each.
func TestPERCrossingsMatchReference(t *testing.T) {
	tb := Table()
	ref := []float64{0.92, 3.94, 6.43, 9.70, 12.80, 17.04, 18.38, 19.63}
	for mcs, want := range ref {
		m := HT(uint8(mcs), Width20, false)
		got := crossing(tb, m.Curve(), 1458, 0.1)
		if math.Abs(got-want) > 0.5 {
			t.Errorf("MCS%d: 10%% PER at %.2f dB, reference %.2f", mcs, got, want)
		}
		t.Logf("MCS%d: 10%% PER at %.2f dB (reference %.2f)", mcs, got, want)
		// HT MCS m+8 and the legacy rate with the same modulation share it.
		if HT(uint8(mcs+8), Width40, true).Curve() != m.Curve() {
			t.Errorf("MCS%d and MCS%d curves differ", mcs, mcs+8)
		}
	}
	// Legacy 6…54 map to MCS 0,1,2,3,4,5,6 (and 9 Mbit/s to BPSK 3/4).
	for r, mcs := range map[LegacyRate]uint8{Rate6: 0, Rate12: 1, Rate18: 2, Rate24: 3, Rate36: 4, Rate48: 5, Rate54: 6} {
		if Legacy(r).Curve() != HT(mcs, Width20, false).Curve() {
			t.Errorf("%v does not use MCS%d's curve", r, mcs)
		}
	}
	// The order of the rates holds for every curve, DSSS included.
	order := []Curve{CurveDBPSK, CurveDQPSK, CurveCCK55, CurveCCK11}
	for i := 1; i < len(order); i++ {
		a, b := crossing(tb, order[i-1], 1458, 0.1), crossing(tb, order[i], 1458, 0.1)
		if a >= b {
			t.Errorf("curve %d crosses at %.2f, not below curve %d at %.2f", order[i-1], a, order[i], b)
		}
		t.Logf("DSSS curve %d: 10%% at %.2f dB", order[i], b)
	}
	if a, b := crossing(tb, CurveQAM64_56, 1458, 0.1), crossing(tb, CurveQAM256_34, 1458, 0.1); a >= b {
		t.Errorf("256-QAM 3/4 (%.2f) not above 64-QAM 5/6 (%.2f)", b, a)
	}
}

func TestPERMonotoneAndLengthScaling(t *testing.T) {
	tb := Table()
	for c := Curve(0); c < NumCurves; c++ {
		prev := 2.0
		for snr := gridMinDB - 1; snr <= gridMaxDB+1; snr += 0.05 {
			p := tb.PER(c, snr, 1500)
			if p > prev+1e-15 {
				t.Fatalf("curve %d: PER rises from %g to %g at %.2f dB", c, prev, p, snr)
			}
			prev = p
			// Longer frames never fare better.
			if tb.PER(c, snr, 100) > tb.PER(c, snr, 1000)+1e-15 {
				t.Fatalf("curve %d at %.2f: PER(100 B) > PER(1000 B)", c, snr)
			}
			// PER_L = 1 − (1 − PER_ref)^(L/L_ref).
			ref := tb.PER(c, snr, 1458)
			if ref < 0.999 {
				want := 1 - math.Pow(1-ref, 300.0/1458)
				if got := tb.PER(c, snr, 300); math.Abs(got-want) > 1e-9 {
					t.Fatalf("curve %d at %.2f: PER(300) %g, scaled %g", c, snr, got, want)
				}
			}
		}
		if tb.PER(c, -50, 14) != 1 || tb.PER(c, 80, 2304) != 0 {
			t.Errorf("curve %d: ends not dead/clear", c)
		}
	}
}

func TestClassBoundaries(t *testing.T) {
	tb := Table()
	for c := Curve(0); c < NumCurves; c++ {
		seenGrey := false
		last := Dead
		for i := 0; i < gridN; i++ {
			snr := gridMinDB + gridStep*float64(i)
			k := tb.LogSuccess(c, snr)
			cl := ClassOf(k)
			if cl < last && !(last == Dead && cl <= Grey) && !(last == Grey && cl == Clear) {
				t.Fatalf("curve %d: class goes from %v to %v", c, last, cl)
			}
			switch cl {
			case Clear:
				if p := -math.Expm1(k * clearLen); p != 0 {
					t.Fatalf("clear with PER %g", p)
				}
			case Grey:
				seenGrey = true
				// At a grid point, a grey curve is neither clear nor dead.
				if -math.Expm1(k*clearLen) < clearPER || math.Exp(k*deadLen) < deadSucc {
					t.Fatalf("curve %d at %.2f: grey point meets a clear/dead threshold (k=%g)", c, snr, k)
				}
			}
			last = cl
		}
		if !seenGrey || last != Clear {
			t.Errorf("curve %d: grey seen %v, ends %v", c, seenGrey, last)
		}
	}
}

// The precomputed curve and control-response lookups agree with the
// derivations they replace, for every valid mode.
func TestCurveLookupsConsistent(t *testing.T) {
	m := testModel(t)
	var modes []Mode
	for r := Rate1; r <= Rate54; r++ {
		modes = append(modes, Legacy(r))
	}
	for _, w := range []Width{Width20, Width40} {
		modes = append(modes, HTModes(w, false, 4)...)
	}
	for _, w := range []Width{Width20, Width40, Width80, Width160} {
		modes = append(modes, VHTModes(w, true, 4)...)
	}
	for _, md := range modes {
		if got, want := md.Curve(), curveOf(md.modcode()); got != want {
			t.Errorf("%v: curve %d, want %d", md, got, want)
		}
		if got, want := m.controlCurve(md), m.basic.ControlRate(md).Curve(); got != want {
			t.Errorf("%v: control curve %d, want %d", md, got, want)
		}
	}
}
