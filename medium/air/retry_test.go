// SPDX-License-Identifier: MIT

package air

import (
	"math"
	"math/rand/v2"
	"testing"
)

func testModel(t testing.TB) *Model {
	t.Helper()
	m, err := NewModel(ModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// signalFor finds the signal at which mode md has PER p for length bytes.
func signalFor(m *Model, md Mode, length int, p float64) float64 {
	lo, hi := -120.0, 0.0
	for range 80 {
		mid := (lo + hi) / 2
		if m.PER(md, mid, length) > p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// countingSource counts the draws a model makes.
type countingSource struct {
	rand.PCG
	n int
}

func (c *countingSource) Uint64() uint64 { c.n++; return c.PCG.Uint64() }

func oneStage(md Mode, count uint8) Chain {
	return Chain{Stages: [MaxStages]Stage{{Mode: md, Count: count}}, N: 1}
}

// 20 000 single attempts at PER p: the failures are binomial; accept
// within 4σ.
func TestWalkPERWithin4Sigma(t *testing.T) {
	m := testModel(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		md  Mode
		len int
		p   float64
	}{{Legacy(Rate54), 1500, 0.3}, {HT(4, Width40, true), 1000, 0.05}, {Legacy(Rate11), 500, 0.6}, {VHT(8, 2, Width80, false), 1500, 0.5}} {
		sig := signalFor(m, c.md, c.len, c.p)
		p := m.PER(c.md, sig, c.len)
		ch := oneStage(c.md, 1)
		const n = 20000
		fails := 0
		var o Outcome
		for range n {
			// Reverse link strong: the ACK is clear.
			m.Walk(&o, &ch, sig, -30, c.len, false, rng)
			if !o.Delivered {
				fails++
			}
			if o.Delivered != o.Acked || o.Total() != 1 {
				t.Fatalf("%v: delivered %v acked %v attempts %d", c.md, o.Delivered, o.Acked, o.Total())
			}
		}
		sd := math.Sqrt(n * p * (1 - p))
		if d := math.Abs(float64(fails) - n*p); d > 4*sd {
			t.Errorf("%v PER %.3f: %d failures of %d, expected %.0f ± %.0f", c.md, p, fails, n, n*p, 4*sd)
		}
	}
}

// Chain r0×4, r1×2, r2×2: the number of attempts follows the geometric
// law per stage; compare the histogram by χ².
func TestWalkAttemptHistogramChiSquare(t *testing.T) {
	m := testModel(t)
	// Three modes whose curves are close, on one link at −74.75 dBm:
	// PER about 0.74, 0.31 and 0.02 for 1200 B.
	md := []Mode{HT(5, Width40, false), HT(7, Width20, false), HT(6, Width20, false)}
	const length = 1200
	const fwd = -74.75
	var s [3]float64
	for i := range md {
		s[i] = 1 - m.PER(md[i], fwd, length)
		if s[i] < 0.01 || s[i] > 0.995 {
			t.Fatalf("stage %d success %.3f: not grey, the test would prove nothing", i, s[i])
		}
	}
	ch := Chain{Stages: [MaxStages]Stage{{Mode: md[0], Count: 4}, {Mode: md[1], Count: 2}, {Mode: md[2], Count: 2}}, N: 3}
	// Expected: P(success on attempt k), k = 1..8, and P(failure).
	var want [9]float64
	surv := 1.0
	k := 0
	for i, cnt := range []int{4, 2, 2} {
		for range cnt {
			want[k] = surv * s[i]
			surv *= 1 - s[i]
			k++
		}
	}
	want[8] = surv
	const n = 20000
	var got [9]float64
	rng := rand.New(rand.NewPCG(3, 4))
	var o Outcome
	for range n {
		m.Walk(&o, &ch, fwd, -30, length, false, rng)
		if o.Acked {
			got[o.Total()-1]++
		} else {
			if o.Total() != 8 {
				t.Fatalf("failed after %d attempts", o.Total())
			}
			got[8]++
		}
	}
	chi := 0.0
	df := -1
	for i := range want {
		e := want[i] * n
		if e < 5 {
			continue
		}
		df++
		chi += (got[i] - e) * (got[i] - e) / e
	}
	// χ² critical value at p = 0.001 for df ≤ 8 is at most 26.1.
	t.Logf("stage success %.3f %.3f %.3f; χ² = %.2f, df %d; got %v", s[0], s[1], s[2], chi, df, got)
	if chi > 26.1 {
		t.Errorf("χ² %.2f over %d degrees of freedom", chi, df)
	}
}

func TestWalkAckLossAndStages(t *testing.T) {
	m := testModel(t)
	md := Legacy(Rate24)
	rng := rand.New(rand.NewPCG(5, 6))
	// Forward clear, reverse dead: data delivered on the first attempt,
	// never acked, every attempt used.
	ch := Chain{Stages: [MaxStages]Stage{{Mode: md, Count: 2}, {Mode: Legacy(Rate6), Count: 3}}, N: 2}
	var o Outcome
	m.Walk(&o, &ch, -40, -200, 1000, false, rng)
	if !o.Delivered || o.Acked || o.DeliveredStage != 0 || o.Attempts != [4]uint8{2, 3} {
		t.Errorf("ACK lost: %+v", o)
	}
	// Forward dead at 24 but fine at 6: delivered by stage 1.
	sig := signalFor(m, Legacy(Rate6), 1000, 1e-9)
	if m.PER(md, sig, 1000) < 0.999 {
		t.Fatalf("24 Mbit/s not dead at %.1f dBm", sig)
	}
	m.Walk(&o, &ch, sig, -40, 1000, false, rng)
	if !o.Acked || o.DeliveredStage != 1 || o.Attempts != [4]uint8{2, 1} {
		t.Errorf("stage 1 delivery: %+v", o)
	}
	// No-ack: one attempt, never acked.
	m.Walk(&o, &ch, -40, -40, 1000, true, rng)
	if o.Acked || !o.Delivered || o.Attempts != [4]uint8{1} {
		t.Errorf("no-ack: %+v", o)
	}
	// RTS/CTS stage on a dead reverse link: the CTS never comes, no data.
	rts := Chain{Stages: [MaxStages]Stage{{Mode: md, Count: 3, Protection: ProtectRTSCTS}}, N: 1}
	m.Walk(&o, &rts, -40, -200, 1000, false, rng)
	if o.Delivered || o.Acked || o.Attempts[0] != 3 {
		t.Errorf("rts without cts: %+v", o)
	}
}

func TestClearAndDeadDrawNothing(t *testing.T) {
	m := testModel(t)
	src := &countingSource{}
	rng := rand.New(src)
	ch := Chain{Stages: [MaxStages]Stage{{Mode: Legacy(Rate54), Count: 4}, {Mode: Legacy(Rate6), Count: 4}}, N: 2}
	var o Outcome
	m.Walk(&o, &ch, -30, -30, 1500, false, rng)
	if !o.Acked || src.n != 0 {
		t.Errorf("clear link: %+v, %d draws", o, src.n)
	}
	m.Walk(&o, &ch, -150, -30, 1500, false, rng)
	if o.Delivered || o.Total() != 8 || src.n != 0 {
		t.Errorf("dead link: %+v, %d draws", o, src.n)
	}
	if !m.Receive(Legacy(Rate54), -30, 1500, rng) || m.Receive(Legacy(Rate54), -150, 1500, rng) || src.n != 0 {
		t.Errorf("group clear/dead drew %d", src.n)
	}
	// Grey draws.
	sig := signalFor(m, Legacy(Rate54), 1500, 0.5)
	m.Receive(Legacy(Rate54), sig, 1500, rng)
	if src.n != 1 {
		t.Errorf("grey group reception drew %d", src.n)
	}
}

func TestWalkReproducibleAndFading(t *testing.T) {
	m, err := NewModel(ModelConfig{Fading: Fading{Kind: FadingLogNormal, SigmaDB: 4}})
	if err != nil {
		t.Fatal(err)
	}
	ch := oneStage(Legacy(Rate54), 7)
	// On a link clear without fading, fading makes some frames fail.
	sig := signalFor(m, Legacy(Rate54), 1500, 1e-4)
	run := func(seed uint64) (int, []Outcome) {
		rng := rand.New(rand.NewPCG(seed, seed))
		var out []Outcome
		total := 0
		for range 2000 {
			var o Outcome
			m.Walk(&o, &ch, sig, sig, 1500, false, rng)
			out = append(out, o)
			total += o.Total()
		}
		return total, out
	}
	a, oa := run(9)
	_, ob := run(9)
	for i := range oa {
		if oa[i] != ob[i] {
			t.Fatal("same seed, different outcomes")
		}
	}
	if a <= 2000 {
		t.Errorf("fading caused no retry (%d attempts for 2000 frames)", a)
	}
	if _, err := NewModel(ModelConfig{Fading: Fading{Kind: "bogus"}}); err == nil {
		t.Error("bad fading accepted")
	}
	f := -10.0
	if _, err := NewModel(ModelConfig{NoiseFloorDBm: &f}); err == nil {
		t.Error("noise floor -10 dBm accepted")
	}
}
