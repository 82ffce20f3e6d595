// SPDX-License-Identifier: MIT

package wmediumd

import "time"

// Constants of wmediumd's model.
const (
	// DefaultSNR is the SNR in dB of every pair no link names (and of every
	// pair in the prob model, where SNR only sets the signal: −61 dBm).
	DefaultSNR = 30
	// NoiseLevel is the noise floor in dBm (SNR = signal − noise); the
	// fork's model.noise_threshold replaces it.
	NoiseLevel = -91
	// CCAThreshold in dBm: weaker group frames are not delivered.
	CCAThreshold = -90
	// MoveInterval is how often model.directions move the stations.
	MoveInterval = 3 * time.Second
	// MaxStations bounds ifaces.ids: the matrices hold MaxStations² entries.
	MaxStations = 2048
)

// LinkModel is how the config gives the links (model.type).
type LinkModel int

const (
	// ModelSNR: a matrix of SNRs (ifaces.links, or model.type "snr" with
	// model.links, or no links at all: every pair DefaultSNR).
	ModelSNR LinkModel = iota
	// ModelProb: a matrix of frame loss probabilities (model.type "prob"),
	// one draw per frame covering its whole retry chain; SNR DefaultSNR.
	ModelProb
	// ModelPathLoss: SNRs computed from positions and tx powers
	// (model.type "path_loss").
	ModelPathLoss
)

func (m LinkModel) String() string {
	switch m {
	case ModelSNR:
		return "snr"
	case ModelProb:
		return "prob"
	case ModelPathLoss:
		return "path_loss"
	}
	return "unknown"
}

// Config is a loaded, validated wmediumd configuration.
//
// Matrices are n×n, row-major, indexed [tx*n+rx]; the diagonal is unused.
// A Config is a value for one goroutine: a serving layer that updates it
// (positions, SNRs over a control socket) guards it itself.
type Config struct {
	File string // the -c file
	IDs  []MAC  // stations, in index order

	Model LinkModel
	// SNR per ordered pair in dB: the config's (snr), DefaultSNR (prob), or
	// computed at the load-time positions and DefaultFreqHz (path_loss;
	// PathLoss.Recompute refreshes it).
	SNR []float64
	// LossProb per ordered pair, for ModelProb only (nil otherwise).
	LossProb []float64
	// PathLoss holds the geometry and propagation model, for ModelPathLoss
	// only.
	PathLoss *PathLoss

	Interference      bool    // ifaces.enable_interference
	FadingCoefficient int     // model.fading_coefficient; 0 = no fading
	Noise             float64 // dBm: NoiseLevel or model.noise_threshold

	// Medium is each station's medium id from ifaces.medium_array (the
	// fork's isolated groups): 0 for stations in no group, i+1 for group i.
	// Stations hear each other only within one medium.
	Medium []int

	Warnings []Warning
}

// N is the number of stations.
func (c *Config) N() int { return len(c.IDs) }

// Index returns the station index of a config address.
func (c *Config) Index(m MAC) (int, bool) {
	for i, id := range c.IDs {
		if id == m {
			return i, true
		}
	}
	return 0, false
}

// Link is what the model says about frames from one station to another.
type Link struct {
	SNR float64 // dB
	// LossProb is the probability that a frame is lost after its whole
	// retry chain (ModelProb); HasLossProb is false for the other models,
	// whose loss follows from SNR and the rate.
	LossProb    float64
	HasLossProb bool
	// SameMedium is false when the stations are in different
	// ifaces.medium_array groups: nothing passes.
	SameMedium bool
}

// Link returns the link from station tx to station rx (indices < N).
func (c *Config) Link(tx, rx int) Link {
	n := c.N()
	l := Link{SNR: c.SNR[tx*n+rx], SameMedium: c.Medium[tx] == c.Medium[rx]}
	if c.LossProb != nil {
		l.LossProb, l.HasLossProb = c.LossProb[tx*n+rx], true
	}
	return l
}

// Signal returns the received signal in dBm of the link tx→rx: SNR plus
// the noise floor, the value wmediumd reports as the frame's SIGNAL.
func (c *Config) Signal(tx, rx int) float64 { return c.SNR[tx*c.N()+rx] + c.Noise }

// CheckPERTable says whether a -x PER table may be used with this config:
// wmediumd refuses it with the prob model.
func (c *Config) CheckPERTable() error {
	if c.Model == ModelProb {
		return ErrPERWithProb
	}
	return nil
}
