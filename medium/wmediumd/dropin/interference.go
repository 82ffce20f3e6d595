// SPDX-License-Identifier: MIT

package dropin

import (
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/medium/wmediumd"
)

// interference is wmediumd's interference estimate (see judge.go): per
// station, the airtime of its sub-CCA frames in the current 10 ms window,
// its last sub-CCA signal, and the probability (last window's airtime
// share) that it is on the air. All atomics: frames of different
// transmitters are judged concurrently.
type interference struct {
	now   func() time.Duration // monotonic clock; tests drive it
	start atomic.Int64         // ns: the current window's start
	durUs []atomic.Int64
	sig   []atomic.Int32
	prob  []atomic.Uint64 // float64 bits
}

var monoStart = time.Now()

func monotonic() time.Duration { return time.Since(monoStart) }

func newInterference(n int, now func() time.Duration) *interference {
	if now == nil {
		now = monotonic
	}
	x := &interference{now: now, durUs: make([]atomic.Int64, n), sig: make([]atomic.Int32, n),
		prob: make([]atomic.Uint64, n)}
	x.start.Store(int64(now()))
	return x
}

// tick closes the window when 10 ms have passed: each station's airtime
// share becomes its probability of being on the air until the next one.
// One caller wins the swap; the others go on with the old probabilities.
func (x *interference) tick() {
	t := int64(x.now())
	s := x.start.Load()
	if t-s < intfWindowNs || !x.start.CompareAndSwap(s, t) {
		return
	}
	elapsedUs := float64(t-s) / 1e3
	for i := range x.durUs {
		p := min(float64(x.durUs[i].Swap(0))/elapsedUs, 1)
		x.prob[i].Store(math.Float64bits(p))
	}
}

// record accounts a sub-CCA frame of station from: its airtime and signal.
func (x *interference) record(from, us int, signal float64) {
	if from >= len(x.durUs) {
		return
	}
	x.durUs[from].Add(int64(us))
	x.sig[from].Store(int32(math.Round(signal)))
}

// offset is the SNR loss in dB of a frame from→to: each other station is
// on the air with its probability; the sum of their signals in units of
// the −91 dBm floor (each clamped to [0.001, 1000]) costs
// round(10·log10(sum)) dB when it exceeds one unit.
func (x *interference) offset(from, to int, r *rand.Rand) float64 {
	x.tick()
	sum := 0.0
	for i := range x.prob {
		if i == from || i == to {
			continue
		}
		p := math.Float64frombits(x.prob[i].Load())
		if p <= 0 || r.Float64() >= p {
			continue
		}
		sum += noiseUnits(float64(x.sig[i].Load()))
	}
	if sum <= 1 {
		return 0
	}
	return math.Floor(10*math.Log10(sum) + 0.5)
}

// noiseUnits is a signal in units of wmediumd's noise floor, clamped to
// ±30 dB around it as wmediumd does.
func noiseUnits(dbm float64) float64 {
	diff := float64(wmediumd.NoiseLevel) - dbm
	switch {
	case diff >= 31:
		return 0.001
	case diff <= -31:
		return 1000
	}
	return math.Pow(10, -diff/10)
}
