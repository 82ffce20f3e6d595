// SPDX-License-Identifier: MIT

package dropin

import (
	"math"
	"math/rand/v2"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// The per-frame half of the model (medium.FrameJudge): what wmediumd
// decides for each frame rather than once per pair.
//
//   - Fading (model.fading_coefficient = c): each frame's SNR moves by
//     trunc(c·(Σ₁₂ U(0,1) − 6)) dB, an approximately normal term with
//     standard deviation c, drawn once per unicast frame (all its retries
//     share it) and once per receiver of a group frame. The receiver
//     reports the faded signal.
//   - Interference (ifaces.enable_interference): wmediumd's estimate.
//     Every unicast frame whose signal is below the CCA threshold
//     (−90 dBm: no receiver can decode it, so nobody defers to it) adds its
//     airtime to its transmitter's account; every 10 ms each account
//     becomes the probability that the station is on the air. A frame
//     tx→rx then draws, for every other station, whether it overlaps, and
//     the overlapping stations' last sub-CCA signals are summed as noise
//     (in units of the −91 dBm floor); above one unit the SNR drops by
//     10·log10 of the sum. Decodable traffic never interferes (wmediumd
//     serialises it instead); vmedium's air model (`vmctl air` airtime
//     timed) is the SINR model with real overlaps, and takes over when it
//     is on.
//   - -x tables: the PER of each attempt is the table's at the frame's
//     SNR + −91 dBm for the attempt's rate: the chain stage's legacy rate
//     (an HT/VHT stage: its non-HT reference rate), one column per hwsim
//     legacy index, 5 GHz stages starting at 6 Mb/s (column 4).
//   - SPECPROB (the fork's dynamic mode, -d): a pair's loss is the one its
//     12×12 table gives for the frame's size class and the attempt's rate
//     (rate columns as -x); see sizeClass.
//   - prob and SPECPROB draw one number per frame and compare it with each
//     stage's loss: the frame gets through at the first stage whose loss
//     is below it, else the whole chain is spent (wmediumd's end-to-end
//     meaning). SNR and -x draw per attempt. SNR ≤ 0 never gets through.
//
// Draws come from the transmitter's generator, so a run is reproducible
// under --seed (interference also depends on the wall clock).

// wmediumd's timing constants (its "TODO configure phy parameters").
const (
	slotUs = 9
	sifsUs = 16
	difsUs = 2*slotUs + sifsUs
	// ccaDBm: frames below it are interference, never received.
	ccaDBm = wmediumd.CCAThreshold
	// intfWindowNs is how often airtime accounts become probabilities.
	intfWindowNs = 10_000_000
)

// rate100k is each hwsim legacy index's rate in 100 kb/s.
var rate100k = [wmediumd.PERRates]int{10, 20, 55, 110, 60, 90, 120, 180, 240, 360, 480, 540}

// pktDurationUs is wmediumd's airtime of a frame of n bytes at a rate in
// 100 kb/s: the OFDM PPDU time (preamble 16, SIGNAL 4, 4 µs symbols).
func pktDurationUs(n, rate int) int {
	bits := (16 + 8*n + 6) * 10
	return 16 + 4 + 4*((bits+4*rate-1)/(4*rate))
}

// column is the -x / SPECPROB rate column of a chain stage: its absolute
// hwsim legacy index (the band offset included).
func column(md air.Mode) int {
	return min(int(md.NonHTReference()), wmediumd.PERRates-1)
}

// sizeClass maps a frame length to one of the 12 size classes of a
// SPECPROB table. The fork's wire format carries 12 classes without
// their bounds; vmedium uses 200-byte classes: 0–199 bytes is class 0,
// …, 2200 bytes and more class 11.
func sizeClass(n int) int { return min(max(n, 0)/200, 11) }

// fade draws wmediumd's fading term in dB for coefficient c.
func fade(c float64, r *rand.Rand) float64 {
	s := -6.0
	for range 12 {
		s += r.Float64()
	}
	return math.Trunc(c * s)
}

// errProb is the loss probability of one attempt of f at stage md and
// SNR snr, before the per-frame draw rule.
func (st *judgeState) errProb(f *medium.JudgedFrame, snr float64, md air.Mode, spec *[SpecProbEntries]float64) float64 {
	if snr <= 0 || f.Unheard {
		return 1
	}
	var p float64
	switch {
	case spec != nil:
		p = spec[sizeClass(f.Len)*wmediumd.PERRates+column(md)]
	case f.FrameLoss:
		return f.Loss
	case st.per != nil:
		p = st.per.ErrorProbSNR(math.Trunc(snr), column(md))
	}
	if f.Loss > 0 && !f.FrameLoss {
		// An explicit per-attempt loss (`vmctl link`) on top.
		p = 1 - (1-p)*(1-f.Loss)
	}
	return p
}

// spec returns the pair's SPECPROB table, nil when it has none.
func (st *judgeState) specOf(from, to uint16) *[SpecProbEntries]float64 {
	if st.spec == nil || int(from) >= st.n || int(to) >= st.n {
		return nil
	}
	return st.spec[int(from)*st.n+int(to)]
}

// Unicast walks one unicast frame's retry chain (medium.FrameJudge).
func (m *Model) Unicast(f medium.JudgedFrame) (o air.Outcome, signalDBm int32) {
	st := m.js.Load()
	o.DeliveredStage = -1
	snr := f.SignalDBm - st.noise
	if st.intf != nil {
		snr -= st.intf.offset(int(f.From), int(f.To), f.Rand)
	}
	if st.fading > 0 {
		snr += fade(st.fading, f.Rand)
	}
	signal := snr + st.noise
	spec := st.specOf(f.From, f.To)
	fixed := f.FrameLoss || spec != nil
	choice := 0.0
	if fixed {
		choice = f.Rand.Float64()
	}
	cwMin, cwMax := 3, 7 // voice: management and control
	if f.Data {
		cwMin, cwMax = 15, 1023 // best effort
	}
	cw := cwMin
	ackRate := rate100k[0]
	if air.BandOf(f.FreqMHz) != air.Band2GHz {
		ackRate = rate100k[4]
	}
	ackUs := pktDurationUs(14, ackRate) + sifsUs
	sendUs := 0
walk:
	for i := 0; i < f.Chain.N; i++ {
		stg := &f.Chain.Stages[i]
		p := st.errProb(&f, snr, stg.Mode, spec)
		dur := pktDurationUs(f.Len, rate100k[column(stg.Mode)])
		for j := 0; j < int(stg.Count); j++ {
			o.Attempts[i]++
			sendUs += difsUs + dur
			if j > 0 {
				sendUs += cw * slotUs / 2
				cw = min(2*cw+1, cwMax)
			}
			if !fixed {
				choice = f.Rand.Float64()
			}
			if choice >= p {
				o.Delivered, o.DeliveredStage, o.Acked = true, int8(i), !f.NoAck
				break walk
			}
			sendUs += ackUs
			if f.NoAck {
				break walk
			}
		}
	}
	if st.intf != nil && signal < ccaDBm {
		st.intf.record(int(f.From), sendUs, signal)
	}
	return o, int32(math.Round(signal))
}

// Group decides one receiver of a group frame (medium.FrameJudge): the
// faded signal below CCA is not received; else the stage-0 loss at the
// SNR less the interference, one draw.
func (m *Model) Group(f medium.JudgedFrame) (signalDBm int32, ok bool) {
	st := m.js.Load()
	snr := f.SignalDBm - st.noise
	if st.fading > 0 {
		snr += fade(st.fading, f.Rand)
	}
	signal := snr + st.noise
	if signal < ccaDBm || f.Chain.N < 1 {
		return 0, false
	}
	if st.intf != nil {
		snr -= st.intf.offset(int(f.From), int(f.To), f.Rand)
	}
	p := st.errProb(&f, snr, f.Chain.Stages[0].Mode, st.specOf(f.From, f.To))
	if p >= 1 || (p > 0 && f.Rand.Float64() < p) {
		return 0, false
	}
	return int32(math.Round(signal)), true
}
