// SPDX-License-Identifier: MIT

package wmediumd

import "math"

// Station is one station's place in the path_loss model.
type Station struct {
	X, Y, Z    float64 // position, m (Z is 0 in 2-D configs)
	DirX, DirY float64 // movement per MoveInterval, m (model.directions)
	TxPower    float64 // dBm (model.tx_powers)
	Gain       float64 // antenna gain, dBi (0 until set at run time)
	Height     float64 // antenna height, m, for two_ray_ground (1)
	IsAP       bool    // model.isnodeaps
	Shadow     float64 // Gaussian shadowing sample, dB, for log_normal_shadowing (0 until set)
}

// Propagation is a named propagation model with its parameters.
type Propagation interface {
	// Name is the model_name that selects it.
	Name() string
	// LossDB is the path loss in dB over distance d (m) at freqHz, from
	// station tx to station rx.
	LossDB(d, freqHz float64, tx, rx *Station) float64
}

// FreeSpace is model_name "free_space" (fork: with sL).
type FreeSpace struct{ SystemLoss float64 }

// LogDistance is model_name "log_distance".
type LogDistance struct{ Exponent, Xg float64 }

// LogNormalShadowing is model_name "log_normal_shadowing" (fork); its sL is
// read and, as in the fork, not used.
type LogNormalShadowing struct{ Exponent, SystemLoss float64 }

// ITU is model_name "itu": nFLOORS, LF/lF (dB per floor) and the fork's pL
// (distance coefficient override, 0 = wmediumd's 28/38 rule).
type ITU struct {
	Floors      int
	FloorLossDB int
	PowerLoss   int
}

// TwoRayGround is model_name "two_ray_ground" (fork), with sL.
type TwoRayGround struct{ SystemLoss float64 }

// Nakagami is model_name "nakagami" (fork): log-distance loss plus a
// Nakagami-m fading draw (NakagamiGainDB) that the serving layer adds per
// recomputation; LossDB is the deterministic part.
type Nakagami struct{ M, Exponent, Xg float64 }

func (FreeSpace) Name() string          { return "free_space" }
func (LogDistance) Name() string        { return "log_distance" }
func (LogNormalShadowing) Name() string { return "log_normal_shadowing" }
func (ITU) Name() string                { return "itu" }
func (TwoRayGround) Name() string       { return "two_ray_ground" }
func (Nakagami) Name() string           { return "nakagami" }

func (p FreeSpace) LossDB(d, f float64, _, _ *Station) float64 {
	return FreeSpaceLossDB(d, f, p.SystemLoss)
}

func (p LogDistance) LossDB(d, f float64, _, _ *Station) float64 {
	return LogDistanceLossDB(d, f, p.Exponent, p.Xg)
}

func (p LogNormalShadowing) LossDB(d, f float64, tx, _ *Station) float64 {
	return LogNormalShadowingLossDB(d, f, p.Exponent, tx.Shadow)
}

func (p ITU) LossDB(d, f float64, _, _ *Station) float64 {
	return ITULossDB(d, f/1e6, ITUDistanceCoefficient(d, p.PowerLoss), float64(p.FloorLossDB), p.Floors)
}

func (p TwoRayGround) LossDB(d, f float64, tx, rx *Station) float64 {
	return TwoRayGroundLossDB(d, f, heightOr1(tx.Height), heightOr1(rx.Height), p.SystemLoss)
}

func (p Nakagami) LossDB(d, f float64, _, _ *Station) float64 {
	return LogDistanceLossDB(d, f, p.Exponent, p.Xg)
}

func heightOr1(h float64) float64 {
	if h <= 0 {
		return 1
	}
	return h
}

// PropagationNames lists the accepted model_name values.
var PropagationNames = []string{"free_space", "itu", "log_distance", "log_normal_shadowing", "nakagami", "two_ray_ground"}

// PathLoss is the path_loss model: stations and a propagation model.
type PathLoss struct {
	Stations    []Station
	Propagation Propagation
	Noise       float64 // dBm
	// APPower is set when the config lists isnodeaps: a link between an AP
	// and a non-AP station then uses the AP's tx power in both directions
	// (the fork's rule); otherwise, and between two APs or two stations,
	// the sender's.
	APPower bool
	// Moving is true when model.directions was given.
	Moving bool
}

// Distance returns the distance between stations i and j in metres.
func (p *PathLoss) Distance(i, j int) float64 {
	a, b := &p.Stations[i], &p.Stations[j]
	return math.Sqrt((a.X-b.X)*(a.X-b.X) + (a.Y-b.Y)*(a.Y-b.Y) + (a.Z-b.Z)*(a.Z-b.Z))
}

// TxPower returns the transmit power that counts for the link tx→rx.
func (p *PathLoss) TxPower(tx, rx int) float64 {
	t, r := &p.Stations[tx], &p.Stations[rx]
	if p.APPower && r.IsAP && !t.IsAP {
		return r.TxPower
	}
	return t.TxPower
}

// SignalDBm returns the received signal of tx→rx at freqHz: tx power plus
// both antenna gains minus the path loss.
func (p *PathLoss) SignalDBm(tx, rx int, freqHz float64) float64 {
	t, r := &p.Stations[tx], &p.Stations[rx]
	return p.TxPower(tx, rx) + t.Gain + r.Gain - p.Propagation.LossDB(p.Distance(tx, rx), freqHz, t, r)
}

// SNR returns the SNR of tx→rx at freqHz in dB.
func (p *PathLoss) SNR(tx, rx int, freqHz float64) float64 {
	return p.SignalDBm(tx, rx, freqHz) - p.Noise
}

// Recompute fills snr (n×n, [tx*n+rx]) at freqHz.
func (p *PathLoss) Recompute(snr []float64, freqHz float64) {
	n := len(p.Stations)
	for tx := range n {
		for rx := range n {
			if tx != rx {
				snr[tx*n+rx] = p.SNR(tx, rx, freqHz)
			}
		}
	}
}

// Move advances every station by its direction (one MoveInterval).
func (p *PathLoss) Move() {
	for i := range p.Stations {
		s := &p.Stations[i]
		s.X += s.DirX
		s.Y += s.DirY
	}
}
