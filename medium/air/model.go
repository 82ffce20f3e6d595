// SPDX-License-Identifier: MIT

package air

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Model is a compiled error model: the PER table, the noise floor, the
// optional fading and the basic rates control responses use. It is
// immutable once built and safe for concurrent use; each transmitter
// brings its own random generator.
type Model struct {
	table  *PERTable
	noise  Noise
	fading Fading
	basic  BasicRates
	// ctlCurve is the curve of the control response to each legacy rate
	// (HT/VHT go through their non-HT reference rate): ControlRate
	// precomputed for the per-frame path.
	ctlCurve [numLegacyRates]Curve
}

// ModelConfig configures NewModel. The zero value is the default model:
// thermal noise + 7 dB, no fading, DefaultBasicRates.
type ModelConfig struct {
	// NoiseFloorDBm at 20 MHz; nil means thermal noise + 7 dB noise figure.
	NoiseFloorDBm *float64
	Fading        Fading
	// BasicRates; 0 means DefaultBasicRates.
	BasicRates BasicRates
}

// NewModel validates cfg and builds the model (computing the PER table on
// first use in the process).
func NewModel(cfg ModelConfig) (*Model, error) {
	m := &Model{table: Table(), noise: DefaultNoise(), fading: cfg.Fading, basic: cfg.BasicRates}
	if cfg.NoiseFloorDBm != nil {
		n, err := NoiseFromFloor(*cfg.NoiseFloorDBm)
		if err != nil {
			return nil, err
		}
		m.noise = n
	}
	if err := m.fading.Validate(); err != nil {
		return nil, err
	}
	if m.basic == 0 {
		m.basic = DefaultBasicRates
	}
	if m.basic&(1<<Rate6|1<<Rate9|1<<Rate12|1<<Rate18|1<<Rate24|1<<Rate36|1<<Rate48|1<<Rate54) == 0 {
		return nil, &ParamError{Model: "air", Param: "basic_rates", Value: fmt.Sprintf("%#x", uint16(cfg.BasicRates)),
			Accepted: "a set with at least one OFDM rate (6…54 Mbit/s)"}
	}
	for r := Rate1; r < numLegacyRates; r++ {
		m.ctlCurve[r] = m.basic.ControlRate(Legacy(r)).Curve()
	}
	return m, nil
}

// Noise returns the model's noise floor.
func (m *Model) Noise() *Noise { return &m.noise }

// BasicRates returns the basic rate set used for control responses.
func (m *Model) BasicRates() BasicRates { return m.basic }

// Table returns the PER table.
func (m *Model) Table() *PERTable { return m.table }

// SNR returns the SNR in dB of a frame in mode md received at signalDBm.
func (m *Model) SNR(md Mode, signalDBm float64) float64 {
	return signalDBm - m.noise.DBm(md.Width)
}

// LogSuccess is ln P(byte received) of mode md at signalDBm (no fading).
func (m *Model) LogSuccess(md Mode, signalDBm float64) float64 {
	return m.table.LogSuccess(md.Curve(), m.SNR(md, signalDBm))
}

// PER is the packet error rate of a length-byte frame in mode md received
// at signalDBm, without fading.
func (m *Model) PER(md Mode, signalDBm float64, length int) float64 {
	return -math.Expm1(m.LogSuccess(md, signalDBm) * float64(length))
}

// mcsNonHT is NonHTReference for HT/VHT MCS (mod 8 for HT).
var mcsNonHT = [10]LegacyRate{Rate6, Rate12, Rate18, Rate24, Rate36, Rate48, Rate54, Rate54, Rate54, Rate54}

// controlCurve is the curve of the control response (ACK, CTS) to md.
func (m *Model) controlCurve(md Mode) Curve {
	switch md.Format {
	case FormatHT:
		return m.ctlCurve[mcsNonHT[md.Index%8]]
	case FormatVHT:
		return m.ctlCurve[mcsNonHT[md.Index%10]]
	}
	return m.ctlCurve[md.Index%uint8(numLegacyRates)]
}

// received decides one reception with log success per byte k: clear and
// dead need no random number; grey costs one draw and one exp.
func received(k float64, length int, rng *rand.Rand) bool {
	if k == 0 {
		return true
	}
	if k == deadK {
		return false
	}
	return rng.Float64() < math.Exp(k*float64(length))
}

// kFaded is the log success of curve c at snrDB moved by one fading draw.
func (m *Model) kFaded(c Curve, snrDB float64, rng *rand.Rand) float64 {
	return m.table.LogSuccess(c, snrDB+m.fading.DrawDB(rng))
}

// FadeDB returns one frame's fading offset in dB, 0 without fading.
func (m *Model) FadeDB(rng *rand.Rand) float64 {
	if !m.fading.Enabled() {
		return 0
	}
	return m.fading.DrawDB(rng)
}

// Receive decides whether one receiver gets one attempt of a frame: the
// group-addressed case (one attempt, judged per receiver, never ACKed).
func (m *Model) Receive(md Mode, signalDBm float64, length int, rng *rand.Rand) bool {
	snr := m.SNR(md, signalDBm)
	if m.fading.Enabled() {
		return received(m.kFaded(md.Curve(), snr, rng), length, rng)
	}
	return received(m.table.LogSuccess(md.Curve(), snr), length, rng)
}
