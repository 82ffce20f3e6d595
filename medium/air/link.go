// SPDX-License-Identifier: MIT

package air

// Link is the compiled state of one ordered pair of radios for the error
// model: its signal, SNR and, for every curve and channel width, whether
// frames always get through (clear), never (dead) or sometimes (grey).
// It is computed at configuration time (config change, move, mobility
// tick), so the per-frame path can skip the model entirely for a link
// that is clear or dead for the modes a frame uses.
type Link struct {
	SignalDBm float64
	// SNRDB is the SNR at 20 MHz.
	SNRDB   float64
	classes [4][NumCurves]Class
}

// CompileLink classifies a link with received signal signalDBm.
func (m *Model) CompileLink(signalDBm float64) Link {
	l := Link{SignalDBm: signalDBm, SNRDB: signalDBm - m.noise.DBm(Width20)}
	for wi, w := range [4]Width{Width20, Width40, Width80, Width160} {
		snr := signalDBm - m.noise.DBm(w)
		for c := Curve(0); c < NumCurves; c++ {
			l.classes[wi][c] = ClassOf(m.table.LogSuccess(c, snr))
		}
	}
	return l
}

// Class returns the link's class for frames in mode md.
func (l *Link) Class(md Mode) Class { return l.classes[md.Width.index()][md.Curve()] }

// ChainClass is Clear when the chain's first stage is clear, Dead when
// every stage is dead, else Grey: a clear first stage means one attempt
// delivers; an all-dead chain means every attempt fails.
func (l *Link) ChainClass(c *Chain) Class {
	if c.N == 0 {
		return Dead
	}
	if l.Class(c.Stages[0].Mode) == Clear {
		return Clear
	}
	for i := 0; i < c.N; i++ {
		if l.Class(c.Stages[i].Mode) != Dead {
			return Grey
		}
	}
	return Dead
}

// LegacyModes returns the legacy modes of a band, slowest first: DSSS and
// OFDM at 2.4 GHz, OFDM only at 5/6 GHz.
func LegacyModes(b Band) []Mode {
	var out []Mode
	for r := LegacyRate(legacyOffset(b)); r <= Rate54; r++ {
		out = append(out, Legacy(r))
	}
	return out
}

// HTModes returns HT MCS 0 … 8·nss−1 at width w.
func HTModes(w Width, shortGI bool, nss int) []Mode {
	var out []Mode
	for mcs := 0; mcs < 8*nss && mcs < 32; mcs++ {
		out = append(out, HT(uint8(mcs), w, shortGI))
	}
	return out
}

// VHTModes returns every valid VHT MCS 0–9 for 1…nss streams at width w.
func VHTModes(w Width, shortGI bool, nss int) []Mode {
	var out []Mode
	for n := 1; n <= nss && n <= 4; n++ {
		for mcs := 0; mcs <= 9; mcs++ {
			md := VHT(uint8(mcs), uint8(n), w, shortGI)
			if md.Validate() == nil {
				out = append(out, md)
			}
		}
	}
	return out
}

// FastestRate returns the fastest of candidates whose PER for a
// length-byte frame at signalDBm is below maxPER (0.1 for the "fastest
// rate a link sustains" vmctl shows), and false when none is.
func (m *Model) FastestRate(signalDBm float64, candidates []Mode, length int, maxPER float64) (Mode, bool) {
	var best Mode
	found := false
	for _, md := range candidates {
		if m.PER(md, signalDBm, length) < maxPER && (!found || md.Kbps() > best.Kbps()) {
			best, found = md, true
		}
	}
	return best, found
}
