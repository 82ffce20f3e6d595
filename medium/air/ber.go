// SPDX-License-Identifier: MIT

package air

import (
	"math"
	"math/cmplx"
)

// qfunc is the Gaussian tail Q(x) = ½·erfc(x/√2).
func qfunc(x float64) float64 { return 0.5 * math.Erfc(x/math.Sqrt2) }

// bitClasses describes how reliable the coded bits of a Gray-labelled
// square M-QAM constellation are after a max-log demapper: w[s] is the
// probability that a coded bit's Gaussian-equivalent squared amplitude is
// s, in units of (d_min/2)². For bit level i of a √M-PAM axis, a point's
// amplitude is half its distance to the nearest point with the other value
// of that bit; the bit score of max-log BICM is then Gaussian with that
// SNR (Martinez, Guillén i Fàbregas, Caire, "Error probability analysis of
// bit-interleaved coded modulation", IEEE Trans. IT 52(1), 2006). BPSK and
// QPSK have one class, s = 1.
func bitClasses(m Modulation) []float64 {
	k := m.bitsPerSubcarrier()
	if k <= 2 {
		return []float64{0, 1}
	}
	levels := 1 << (k / 2) // √M points per axis
	nb := k / 2            // bits per axis
	gray := func(i int) int { return i ^ i>>1 }
	w := make([]float64, levels*levels+1)
	total := 0.0
	for b := 0; b < nb; b++ {
		for i := 0; i < levels; i++ {
			bit := gray(i) >> b & 1
			best := levels
			for j := 0; j < levels; j++ {
				if gray(j)>>b&1 != bit {
					if d := abs(i - j); d < best {
						best = d
					}
				}
			}
			w[best*best]++
			total++
		}
	}
	for i := range w {
		w[i] /= total
	}
	return w
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// unitSNR converts the SNR per constellation symbol (Es/N0, linear) into
// (d_min/2)²/N0 for BPSK (Es), QPSK (Es/2) and square M-QAM
// (3/(2(M−1))·Es).
func unitSNR(m Modulation, esn0 float64) float64 {
	switch m {
	case ModBPSK:
		return esn0
	case ModQPSK:
		return esn0 / 2
	}
	mm := float64(int(1) << m.bitsPerSubcarrier())
	return 3 / (2 * (mm - 1)) * esn0
}

// pepTable holds, for one modulation and code, the distribution of the
// summed squared amplitude of d coded bits (the d-fold convolution of
// bitClasses), for each d of the code's spectrum.
type pepTable struct {
	sp   spectrum
	dist [][]float64 // dist[d][s]
}

func newPEPTable(m Modulation, sp spectrum) pepTable {
	cls := bitClasses(m)
	t := pepTable{sp: sp, dist: make([][]float64, len(sp.a))}
	cur := []float64{1}
	for d := 1; d < len(sp.a); d++ {
		nxt := make([]float64, len(cur)+len(cls)-1)
		for i, p := range cur {
			if p == 0 {
				continue
			}
			for j, q := range cls {
				if q != 0 {
					nxt[i+j] += p * q
				}
			}
		}
		cur = nxt
		t.dist[d] = cur
	}
	return t
}

// eventProb is the union bound on the probability that a Viterbi decoder
// with soft (max-log) inputs starts an error event at a given bit:
// Σ_d a_d · E[Q(√(2·S_d·u))], S_d the summed squared amplitude of d coded
// bits and u = (d_min/2)²/N0 (Viterbi 1971; BICM form per Martinez et al.).
func (t *pepTable) eventProb(u float64) float64 {
	p := 0.0
	for d := t.sp.dfree; d < len(t.sp.a); d++ {
		a := t.sp.a[d]
		if a == 0 {
			continue
		}
		pd := 0.0
		for s, w := range t.dist[d] {
			if w == 0 {
				continue
			}
			x := 2 * float64(s) * u
			if x > 100 {
				break // Q(10) < 1e-23: the rest adds nothing measurable
			}
			pd += w * qfunc(math.Sqrt(x))
		}
		p += a * pd
		if p >= 0.5 {
			return p // the caller clamps at 0.5 anyway
		}
	}
	return p
}

// dsssChipRate is the 802.11b chip rate (11 Mchip/s).
const dsssChipRate = 11e6

// dsssNoiseBW is the bandwidth over which the SNR of a DSSS frame is
// measured: the 20 MHz the noise floor is computed for.
const dsssNoiseBW = 20e6

// dsssByteErr returns, for the DSSS/CCK modulations, the probability that a
// byte is received in error at linear SNR snr (signal over noise in
// dsssNoiseBW):
//   - 1 Mbit/s DBPSK: bit error ½·exp(−Eb/N0), the binary DPSK result
//     (Proakis, Digital Communications), Eb/N0 = SNR·B/R.
//   - 2 Mbit/s DQPSK (Gray): symbol error ≈ 2·Q(√(2Es/N0)·sin(π/(4√2)))
//     (Proakis' high-SNR approximation for differential M-PSK), bit error
//     half of it.
//   - CCK 5.5/11: φ1 of each codeword is DQPSK-encoded, so its two bits
//     see the DQPSK error above with the whole 8-chip codeword energy as
//     the symbol energy; the remaining 2 (5.5) or 6 (11) bits pick the
//     codeword among those with the same φ1, bounded by the coherent union
//     bound over that set (codewords from the CCK chip equations of IEEE
//     802.11-2020 16.3.6.5): P_sym ≤ P_DQPSK(8·Ec) + (1/M)·Σ_i Σ_{j≠i, same φ1}
//     Q(√(Ec·|c_i−c_j|²/(2N0))).
func dsssByteErr(m Modulation, snr float64, cck *[2]cckSpectrum) float64 {
	switch m {
	case ModDBPSK:
		eb := snr * dsssNoiseBW / 1e6
		pb := 0.5 * math.Exp(-eb)
		return -math.Expm1(8 * math.Log1p(-math.Min(pb, 0.5)))
	case ModDQPSK:
		es := snr * dsssNoiseBW / 1e6 // 2 bits per 1 µs symbol: Es = 2·Eb
		ps := 2 * qfunc(math.Sqrt(2*es)*math.Sin(math.Pi/(4*math.Sqrt2)))
		pb := math.Min(ps/2, 0.5)
		return -math.Expm1(8 * math.Log1p(-pb))
	}
	c := &cck[0]
	bitsPerSym := 4.0
	if m == ModCCK11 {
		c = &cck[1]
		bitsPerSym = 8
	}
	ec := snr * dsssNoiseBW / dsssChipRate
	ps := 2 * qfunc(math.Sqrt(2*8*ec)*math.Sin(math.Pi/(4*math.Sqrt2)))
	for i, d2 := range c.d2 {
		ps += c.n[i] * qfunc(math.Sqrt(ec*d2/2))
	}
	ps = math.Min(ps, 1-1e-12)
	// A byte spans 8/bitsPerSym codewords.
	return -math.Expm1(8 / bitsPerSym * math.Log1p(-ps))
}

// cckSpectrum is the average number of codewords n[i] at squared distance
// d2[i] (unit-energy chips) from a codeword of a CCK set, among the
// codewords with the same φ1.
type cckSpectrum struct {
	d2, n []float64
}

// cckCodewords builds the CCK codeword set: 8 chips
// {e^{j(φ1+φ2+φ3+φ4)}, e^{j(φ1+φ3+φ4)}, e^{j(φ1+φ2+φ4)}, −e^{j(φ1+φ4)},
// e^{j(φ1+φ2+φ3)}, e^{j(φ1+φ3)}, −e^{j(φ1+φ2)}, e^{jφ1}}; at 11 Mbit/s
// φ1…φ4 are QPSK (256 words), at 5.5 Mbit/s φ1 is QPSK, φ2 ∈ {π/2, 3π/2},
// φ3 = 0, φ4 ∈ {0, π} (16 words).
// The second result is each word's φ1 index.
func cckCodewords(eleven bool) ([][8]complex128, []int) {
	q := []float64{0, math.Pi / 2, math.Pi, 3 * math.Pi / 2}
	p2, p3, p4 := q, q, q
	if !eleven {
		p2 = []float64{math.Pi / 2, 3 * math.Pi / 2}
		p3 = []float64{0}
		p4 = []float64{0, math.Pi}
	}
	e := func(x float64) complex128 { return cmplx.Exp(complex(0, x)) }
	var words [][8]complex128
	var phi1 []int
	for ai, a := range q {
		for _, b := range p2 {
			for _, c := range p3 {
				for _, d := range p4 {
					words = append(words, [8]complex128{
						e(a + b + c + d), e(a + c + d), e(a + b + d), -e(a + d),
						e(a + b + c), e(a + c), -e(a + b), e(a),
					})
					phi1 = append(phi1, ai)
				}
			}
		}
	}
	return words, phi1
}

func newCCKSpectrum(eleven bool) cckSpectrum {
	words, phi1 := cckCodewords(eleven)
	counts := map[int64]float64{}
	for i := range words {
		for j := range words {
			if i == j || phi1[i] != phi1[j] {
				continue
			}
			d2 := 0.0
			for k := 0; k < 8; k++ {
				x := words[i][k] - words[j][k]
				d2 += real(x)*real(x) + imag(x)*imag(x)
			}
			counts[int64(math.Round(d2*1e6))]++
		}
	}
	var s cckSpectrum
	for k, n := range counts {
		s.d2 = append(s.d2, float64(k)/1e6)
		s.n = append(s.n, n/float64(len(words)))
	}
	return s
}
