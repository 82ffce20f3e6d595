// SPDX-License-Identifier: MIT

package air

import (
	"math"
	"sync"
)

// Curve identifies a PER-vs-SNR curve: one per modulation and code rate.
// HT MCS m and m+8k share a curve (each stream sees the same SNR: the
// model assumes as many receive antennas as streams, so no MIMO gain or
// loss), and legacy OFDM rates share the curve of the HT MCS with the same
// modulation and code rate.
type Curve uint8

const (
	CurveDBPSK Curve = iota
	CurveDQPSK
	CurveCCK55
	CurveCCK11
	CurveBPSK12
	CurveBPSK34
	CurveQPSK12
	CurveQPSK34
	CurveQAM16_12
	CurveQAM16_34
	CurveQAM64_23
	CurveQAM64_34
	CurveQAM64_56
	CurveQAM256_34
	CurveQAM256_56
	NumCurves
)

// curveOf maps modulation and code rate to the curve.
func curveOf(m Modulation, c CodeRate) Curve {
	switch m {
	case ModDBPSK:
		return CurveDBPSK
	case ModDQPSK:
		return CurveDQPSK
	case ModCCK55:
		return CurveCCK55
	case ModCCK11:
		return CurveCCK11
	case ModBPSK:
		if c == rate34 {
			return CurveBPSK34
		}
		return CurveBPSK12
	case ModQPSK:
		if c == rate34 {
			return CurveQPSK34
		}
		return CurveQPSK12
	case ModQAM16:
		if c == rate34 {
			return CurveQAM16_34
		}
		return CurveQAM16_12
	case ModQAM64:
		switch c {
		case rate23:
			return CurveQAM64_23
		case rate34:
			return CurveQAM64_34
		}
		return CurveQAM64_56
	}
	if c == rate56 {
		return CurveQAM256_56
	}
	return CurveQAM256_34
}

// curveModCode is the inverse of curveOf for the OFDM curves.
func curveModCode(c Curve) (Modulation, CodeRate) {
	switch c {
	case CurveDBPSK:
		return ModDBPSK, CodeRate{}
	case CurveDQPSK:
		return ModDQPSK, CodeRate{}
	case CurveCCK55:
		return ModCCK55, CodeRate{}
	case CurveCCK11:
		return ModCCK11, CodeRate{}
	case CurveBPSK12:
		return ModBPSK, rate12
	case CurveBPSK34:
		return ModBPSK, rate34
	case CurveQPSK12:
		return ModQPSK, rate12
	case CurveQPSK34:
		return ModQPSK, rate34
	case CurveQAM16_12:
		return ModQAM16, rate12
	case CurveQAM16_34:
		return ModQAM16, rate34
	case CurveQAM64_23:
		return ModQAM64, rate23
	case CurveQAM64_34:
		return ModQAM64, rate34
	case CurveQAM64_56:
		return ModQAM64, rate56
	case CurveQAM256_34:
		return ModQAM256, rate34
	}
	return ModQAM256, rate56
}

// legacyCurve and mcsCurve are curveOf precomputed (a Mode's curve is
// looked up per frame): legacy rates by LegacyRate, HT/VHT by MCS mod 8/10.
var (
	legacyCurve = [numLegacyRates]Curve{CurveDBPSK, CurveDQPSK, CurveCCK55, CurveCCK11, CurveBPSK12, CurveBPSK34,
		CurveQPSK12, CurveQPSK34, CurveQAM16_12, CurveQAM16_34, CurveQAM64_23, CurveQAM64_34}
	mcsCurve = [10]Curve{CurveBPSK12, CurveQPSK12, CurveQPSK34, CurveQAM16_12, CurveQAM16_34, CurveQAM64_23,
		CurveQAM64_34, CurveQAM64_56, CurveQAM256_34, CurveQAM256_56}
)

// Curve returns the PER curve of mode m (of a valid mode; others get a
// curve of the same format without panicking).
func (m Mode) Curve() Curve {
	switch m.Format {
	case FormatHT:
		return mcsCurve[m.Index%8]
	case FormatVHT:
		return mcsCurve[m.Index%10]
	}
	return legacyCurve[m.Index%uint8(numLegacyRates)]
}

// The SNR grid of the tables: −10 … +50 dB in 0.25 dB steps.
const (
	gridMinDB = -10.0
	gridStep  = 0.25
	gridN     = 241
	gridMaxDB = gridMinDB + gridStep*(gridN-1)
)

// Classification thresholds (per grid point): a curve is clear where a
// maximal 2304 B MPDU fails with probability < 1e-5, dead where even a
// 14 B frame gets through with probability < 1e-6.
const (
	clearPER = 1e-5
	clearLen = 2304
	deadSucc = 1e-6
	deadLen  = AckLen
)

// deadK is the log success per byte of a dead curve point.
var deadK = math.Inf(-1)

// PERTable holds, per curve and SNR grid point, k = ln P(byte received)
// so that a frame of L bytes is received with probability exp(k·L): the
// length scaling PER_L = 1 − (1 − PER_ref)^(L/L_ref) of IEEE 802.11
// document 11-14/0803r1 holds exactly for any L_ref. k is exactly 0 where
// the curve is clear and −∞ where it is dead, so those links never need
// a random draw.
type PERTable struct {
	k [NumCurves][gridN]float64
}

// byteErrOFDM is the probability that a byte is in error for an
// OFDM-based curve at linear SNR: a bit-level union bound for BICM over
// the 802.11 BCC (see eventProb), per data bit, turned into a per-byte
// error. The SNR is taken per data subcarrier, the convention of the
// ns-3/MATLAB reference tables whose 10 % crossings the tests check.
func byteErrOFDM(pt *pepTable, m Modulation, snr float64) float64 {
	pe := math.Min(pt.eventProb(unitSNR(m, snr)), 0.5)
	return -math.Expm1(8 * math.Log1p(-pe))
}

var (
	tableOnce sync.Once
	table     *PERTable
)

// Table returns the PER table, computed from the equations on first use
// (some 30 ms of CPU, once per process): call it at configuration time,
// not from the first frame.
func Table() *PERTable {
	tableOnce.Do(func() { table = buildTable() })
	return table
}

// spectrumDepth is how many distances above d_free the union bound sums.
const spectrumDepth = 12

func buildTable() *PERTable {
	t := new(PERTable)
	cck := [2]cckSpectrum{newCCKSpectrum(false), newCCKSpectrum(true)}
	spectra := map[CodeRate]spectrum{}
	for c := Curve(0); c < NumCurves; c++ {
		mod, code := curveModCode(c)
		var pt pepTable
		ofdm := c >= CurveBPSK12
		if ofdm {
			sp, ok := spectra[code]
			if !ok {
				// Find d_free (≤ 10 for every 802.11 rate), then
				// enumerate spectrumDepth distances past it.
				df := codeSpectrum(punctureFor(code), 10).dfree
				sp = codeSpectrum(punctureFor(code), df+spectrumDepth)
				spectra[code] = sp
			}
			pt = newPEPTable(mod, sp)
		}
		for i := 0; i < gridN; i++ {
			snr := math.Pow(10, (gridMinDB+gridStep*float64(i))/10)
			var pb float64 // byte error probability
			if ofdm {
				pb = byteErrOFDM(&pt, mod, snr)
			} else {
				pb = dsssByteErr(mod, snr, &cck)
			}
			k := math.Log1p(-math.Min(pb, 1))
			switch {
			case -math.Expm1(k*clearLen) < clearPER:
				k = 0
			case math.Exp(k*deadLen) < deadSucc || math.IsNaN(k):
				k = deadK
			}
			t.k[c][i] = k
		}
		// The bounds are monotone; make rounding unable to break that.
		for i := gridN - 2; i >= 0; i-- {
			if t.k[c][i] > t.k[c][i+1] {
				t.k[c][i] = t.k[c][i+1]
			}
		}
	}
	return t
}

// LogSuccess returns k = ln P(byte received) for curve c at snrDB, by
// linear interpolation on the grid; below the grid −∞ (dead), above it 0.
func (t *PERTable) LogSuccess(c Curve, snrDB float64) float64 {
	x := (snrDB - gridMinDB) * (1 / gridStep)
	if !(x >= 0) { // also NaN
		return deadK
	}
	i := int(x)
	if i >= gridN-1 {
		return t.k[c][gridN-1]
	}
	lo := t.k[c][i]
	if lo == deadK {
		return deadK
	}
	return lo + (x-float64(i))*(t.k[c][i+1]-lo)
}

// PER returns the packet error rate of an L-byte frame on curve c at snrDB.
func (t *PERTable) PER(c Curve, snrDB float64, length int) float64 {
	return -math.Expm1(t.LogSuccess(c, snrDB) * float64(length))
}

// Class is how a link behaves for one curve.
type Class uint8

const (
	// Clear: every frame gets through; no random draw.
	Clear Class = iota
	// Grey: frames get through with a probability; one draw per attempt.
	Grey
	// Dead: no frame gets through; no random draw.
	Dead
)

func (c Class) String() string {
	switch c {
	case Clear:
		return "clear"
	case Grey:
		return "grey"
	}
	return "dead"
}

// ClassOf classifies a log success per byte.
func ClassOf(k float64) Class {
	switch {
	case k == 0:
		return Clear
	case k == deadK:
		return Dead
	}
	return Grey
}
