// SPDX-License-Identifier: MIT

package ratectl

import (
	"math/rand/v2"
	"testing"

	"github.com/vmedium/vmedium/medium/air"
)

// settle runs n frames over a link at snr dB (20 MHz) and returns the
// controller's best rate and the delivered share.
func settle(t *testing.T, c *Controller, m *air.Model, snr float64, n int) (air.Mode, float64) {
	t.Helper()
	sig := m.Noise().DBm(air.Width20) + snr
	rng := rand.New(rand.NewPCG(11, uint64(snr)))
	var ch air.Chain
	var o air.Outcome
	ok := 0
	for range n {
		c.Chain(&ch)
		m.Walk(&o, &ch, sig, sig, 1200, false, rng)
		c.Report(&ch, &o)
		if o.Acked {
			ok++
		}
	}
	return c.Best(), float64(ok) / float64(n)
}

// At low SNR the controller settles on a low rate; raised to a high SNR
// it climbs to the top.
func TestSettlesLowAndClimbs(t *testing.T) {
	m, err := air.NewModel(air.ModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(air.LegacyModes(air.Band5GHz), air.Timing11a, air.DefaultBasicRates, 1)
	if err != nil {
		t.Fatal(err)
	}
	low, okLow := settle(t, c, m, 10, 4000)
	t.Logf("SNR 10 dB: best %v, %.1f %% acked", low, 100*okLow)
	if low.Kbps() > 24000 || low.Kbps() < 12000 {
		t.Errorf("at 10 dB settled on %v, want 12–24 Mbit/s", low)
	}
	if okLow < 0.9 {
		t.Errorf("at 10 dB only %.1f %% of frames acked", 100*okLow)
	}
	high, okHigh := settle(t, c, m, 30, 4000)
	t.Logf("SNR 30 dB: best %v, %.1f %% acked", high, 100*okHigh)
	if high.Kbps() <= 36000 {
		t.Errorf("at 30 dB stayed at %v, want above 36 Mbit/s", high)
	}
	// And back down when the link fades.
	back, _ := settle(t, c, m, 8, 4000)
	if back.Kbps() > 18000 {
		t.Errorf("at 8 dB stayed at %v", back)
	}
}

func TestChainShape(t *testing.T) {
	c, _ := New(air.LegacyModes(air.Band2GHz), air.Timing11g(true), air.DefaultBasicRates, 2)
	var ch air.Chain
	sampledFirst := 0
	for range 1000 {
		c.Chain(&ch)
		if ch.N < 1 || ch.N > air.MaxStages {
			t.Fatalf("chain of %d stages", ch.N)
		}
		for i := 0; i < ch.N; i++ {
			for k := 0; k < i; k++ {
				if ch.Stages[i].Mode == ch.Stages[k].Mode {
					t.Fatal("duplicate stage")
				}
			}
		}
		if ch.Stages[0].Mode != c.Best() {
			sampledFirst++
		}
		if last := ch.Stages[ch.N-1].Mode; last != c.Rates()[0] {
			t.Fatalf("chain does not end at the lowest rate: %v", last)
		}
	}
	if sampledFirst < 50 || sampledFirst > 150 {
		t.Errorf("sampled first %d of 1000 frames, want about 100", sampledFirst)
	}
	if _, err := New(nil, air.Timing11a, air.DefaultBasicRates, 0); err == nil {
		t.Error("empty rate set accepted")
	}
	if _, err := New([]air.Mode{air.HT(40, air.Width20, false)}, air.Timing11a, air.DefaultBasicRates, 0); err == nil {
		t.Error("invalid mode accepted")
	}
}

// The same with HT MCS 0–7 at 20 MHz (what minstrel_ht would pick from).
func TestHTSettles(t *testing.T) {
	m, err := air.NewModel(air.ModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(air.HTModes(air.Width20, true, 1), air.Timing11a, air.DefaultBasicRates, 3)
	if err != nil {
		t.Fatal(err)
	}
	low, _ := settle(t, c, m, 10, 4000)
	high, _ := settle(t, c, m, 30, 4000)
	t.Logf("HT: 10 dB → %v, 30 dB → %v", low, high)
	if low.Index > 3 || high.Index != 7 {
		t.Errorf("HT: 10 dB → %v, 30 dB → %v; want ≤ MCS3 and MCS7", low, high)
	}
}
