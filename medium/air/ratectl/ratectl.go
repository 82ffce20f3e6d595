// SPDX-License-Identifier: MIT

// Package ratectl is a small sampling rate control for the Go MACs (tap
// and kmod radios), so the error model means the same for them as for
// hwsim radios driven by mac80211's minstrel. It follows minstrel's idea
// (the Linux mac80211 rate control by Felix Fietkau and Derek Smithies,
// itself after MadWifi's): keep an exponentially weighted success
// probability per rate, estimate each rate's throughput as probability ×
// bits per airtime, build a multi-rate-retry chain from the best
// throughput, second best, most reliable and lowest rate, and spend a
// fixed share of frames sampling other rates so better ones are found
// when the link improves.
package ratectl

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/vmedium/vmedium/medium/air"
)

// Tuning of the controller.
const (
	// EWMAWeight is the weight of the old probability at each update
	// (minstrel's default 75 %).
	EWMAWeight = 0.75
	// UpdateEvery is how many reported frames make a statistics update.
	UpdateEvery = 32
	// SampleShare is the fraction of frames that sample another rate.
	SampleShare = 0.1
	// stageCount is the attempts per MRR stage.
	stageCount = 2
	// refLen is the frame length throughput estimates assume.
	refLen = 1200
	// minProb: rates below it count as zero throughput (as minstrel).
	minProb = 0.1
)

// Controller picks rates for one peer. It is not safe for concurrent use:
// keep one per (radio, peer), used by that MAC's goroutine.
type Controller struct {
	rates    []air.Mode
	perTry   []time.Duration // airtime of one successful attempt
	prob     []float64
	seen     []bool
	att, ok  []uint32
	tp       []float64
	best     int // highest throughput
	second   int
	reliable int // highest probability
	reports  int
	rng      *rand.Rand
}

// New makes a controller over rates (any order; at least one), using t and
// b to weigh each rate's airtime, with a seeded sampling generator.
func New(rates []air.Mode, t air.Timing, b air.BasicRates, seed uint64) (*Controller, error) {
	if len(rates) == 0 {
		return nil, fmt.Errorf("ratectl: empty rate set")
	}
	for _, m := range rates {
		if err := m.Validate(); err != nil {
			return nil, fmt.Errorf("ratectl: %w", err)
		}
	}
	rs := slices.Clone(rates)
	slices.SortStableFunc(rs, func(a, b air.Mode) int { return int(a.Kbps()) - int(b.Kbps()) })
	n := len(rs)
	c := &Controller{rates: rs, perTry: make([]time.Duration, n), prob: make([]float64, n), seen: make([]bool, n),
		att: make([]uint32, n), ok: make([]uint32, n), tp: make([]float64, n), rng: rand.New(rand.NewPCG(seed, ^seed))}
	for i, m := range rs {
		e := t.ExchangeFor(m, refLen, air.ProtectNone, true, b)
		// DIFS + mean backoff + the exchange.
		c.perTry[i] = t.DIFS() + time.Duration(t.CWMin)*t.Slot/2 + e.Total()
	}
	return c, nil
}

// Rates returns the rate set, slowest first.
func (c *Controller) Rates() []air.Mode { return c.rates }

// Best returns the rate with the highest estimated throughput.
func (c *Controller) Best() air.Mode { return c.rates[c.best] }

// Prob returns the smoothed success probability of rate i (slowest = 0).
func (c *Controller) Prob(i int) float64 { return c.prob[i] }

// Chain fills ch with the chain for the next frame: best throughput,
// second best, most reliable, lowest, two attempts each (duplicates
// dropped); one frame in ten puts a sampled rate first (or second, when
// it is slower than the best, so sampling costs little).
func (c *Controller) Chain(ch *air.Chain) {
	order := [air.MaxStages]int{c.best, c.second, c.reliable, 0}
	if len(c.rates) > 1 && c.rng.Float64() < SampleShare {
		s := c.rng.IntN(len(c.rates) - 1)
		if s >= c.best {
			s++
		}
		if s > c.best {
			order = [air.MaxStages]int{s, c.best, c.reliable, 0}
		} else {
			order = [air.MaxStages]int{c.best, s, c.reliable, 0}
		}
	}
	ch.N = 0
	for _, r := range order {
		dup := false
		for k := 0; k < ch.N; k++ {
			if ch.Stages[k].Mode == c.rates[r] {
				dup = true
			}
		}
		if dup {
			continue
		}
		ch.Stages[ch.N] = air.Stage{Mode: c.rates[r], Count: stageCount}
		ch.N++
	}
}

func (c *Controller) index(m air.Mode) int {
	for i, r := range c.rates {
		if r == m {
			return i
		}
	}
	return -1
}

// Report feeds back what happened to a frame sent with ch: attempts per
// stage, and success for the last stage used when it was acked.
func (c *Controller) Report(ch *air.Chain, o *air.Outcome) {
	last := -1
	for i := 0; i < ch.N; i++ {
		if o.Attempts[i] > 0 {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		r := c.index(ch.Stages[i].Mode)
		if r < 0 {
			continue
		}
		c.att[r] += uint32(o.Attempts[i])
		if i == last && o.Acked {
			c.ok[r]++
		}
	}
	c.reports++
	if c.reports >= UpdateEvery {
		c.update()
	}
}

// update folds the interval's counts into the EWMA probabilities and
// re-ranks the rates.
func (c *Controller) update() {
	c.reports = 0
	for i := range c.rates {
		if c.att[i] > 0 {
			p := float64(c.ok[i]) / float64(c.att[i])
			if !c.seen[i] {
				c.prob[i], c.seen[i] = p, true
			} else {
				c.prob[i] = EWMAWeight*c.prob[i] + (1-EWMAWeight)*p
			}
		}
		c.att[i], c.ok[i] = 0, 0
		c.tp[i] = 0
		if c.prob[i] >= minProb {
			c.tp[i] = c.prob[i] / c.perTry[i].Seconds()
		}
	}
	c.best, c.second, c.reliable = 0, 0, 0
	for i := range c.rates {
		if c.tp[i] > c.tp[c.best] {
			c.best = i
		}
		if c.prob[i] >= c.prob[c.reliable] {
			c.reliable = i
		}
	}
	for i := range c.rates {
		if i != c.best && (c.second == c.best || c.tp[i] > c.tp[c.second]) {
			c.second = i
		}
	}
}
