// SPDX-License-Identifier: MIT

package medium

import (
	"math"
	"sync"
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/contention"
)

// An explicit link loss under airtime timed is drawn per attempt for
// unicast frames too: a 50 % link with four attempts at one clear rate
// succeeds at attempt k with probability 2^−k and fails 1/16 of the time,
// each attempt reported, and the frame is delivered exactly when acked.
func TestTimedExplicitLossPerAttempt(t *testing.T) {
	testutil.CheckLeaks(t)
	tn, clk := timedNet(t)
	for _, p := range [][2]string{{"vw0", "vw1"}, {"vw1", "vw0"}} {
		if err := tn.m.SetLink(p[0], p[1], sig(-50), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := tn.m.SetLink("vw0", "vw1", nil, sig(0.5)); err != nil {
		t.Fatal(err)
	}
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	c := chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 4})
	const n = 200
	var mu sync.Mutex
	var got []TxResult
	done := func(r TxResult) { mu.Lock(); got = append(got, r); mu.Unlock() }
	for i := 0; i < n; i++ {
		if r := tn.radios[0].Transmit(f, TxOptions{Chain: c, Done: done}); !r.Pending {
			t.Fatalf("frame %d not queued: %+v", i, r)
		}
	}
	advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == n })
	var hist [5]int
	acked := 0
	for _, r := range got {
		if r.Attempts < 1 || r.Attempts > 4 || int(r.StageAttempts[0]) != r.Attempts {
			t.Fatalf("attempts %d, stages %v", r.Attempts, r.StageAttempts)
		}
		hist[r.Attempts]++
		if r.Acked {
			acked++
		} else if r.Attempts != 4 {
			t.Fatalf("failed after %d of 4 attempts: %+v", r.Attempts, r)
		}
	}
	if d := tn.recs[1].count(); d != acked {
		t.Fatalf("delivered %d, acked %d (the ACK link is clear)", d, acked)
	}
	// χ² over the attempt counts: P(1)=½, P(2)=¼, P(3)=⅛, P(4)=⅛.
	want := [5]float64{0, n / 2, n / 4, n / 8, n / 8}
	chi := 0.0
	for k := 1; k <= 4; k++ {
		chi += math.Pow(float64(hist[k])-want[k], 2) / want[k]
	}
	if chi > 16.27 { // 3 degrees of freedom, p = 0.001
		t.Fatalf("attempt histogram %v, want ≈ %v (χ² %.1f)", hist[1:], want[1:], chi)
	}
	if sd := math.Sqrt(n * 15.0 / 256); math.Abs(float64(acked)-n*15.0/16) > 4*sd {
		t.Fatalf("acked %d of %d, want %.0f ± %.0f", acked, n, n*15.0/16, 4*sd)
	}
	if st := tn.radios[0].Stats(); st.TxAcked != uint64(acked) || st.TxFailed != uint64(n-acked) {
		t.Fatalf("counters %+v, want %d acked, %d failed", st, acked, n-acked)
	}

	// Loss 1: every attempt spent, nothing delivered.
	if err := tn.m.SetLink("vw0", "vw1", nil, sig(1)); err != nil {
		t.Fatal(err)
	}
	got = nil
	before := tn.recs[1].count()
	tn.radios[0].Transmit(f, TxOptions{Chain: c, Done: done})
	advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	if r := got[0]; r.Acked || r.Attempts != 4 || tn.recs[1].count() != before {
		t.Fatalf("loss 1: %+v, delivered %d", r, tn.recs[1].count()-before)
	}
}

// A group frame under airtime timed is lost per receiver at the link's
// explicit loss.
func TestTimedExplicitLossGroup(t *testing.T) {
	testutil.CheckLeaks(t)
	tn, clk := timedNet(t)
	if err := tn.m.SetLink("vw0", "vw1", sig(-50), sig(0.5)); err != nil {
		t.Fatal(err)
	}
	bc := dataFrame(false, true, frames.Broadcast, mac(0), mac(0))
	c := chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 1})
	const n = 200
	var mu sync.Mutex
	k := 0
	done := func(TxResult) { mu.Lock(); k++; mu.Unlock() }
	for i := 0; i < n; i++ {
		tn.radios[0].Transmit(bc, TxOptions{NoAck: true, Chain: c, Done: done})
	}
	advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return k == n })
	got := float64(tn.recs[1].count())
	if sd := math.Sqrt(n * 0.25); math.Abs(got-n/2) > 4*sd {
		t.Fatalf("delivered %v of %d group frames at loss 0.5, want %d ± %.0f", got, n, n/2, 4*sd)
	}
}

// errors flat under airtime timed: the rate and the SNR play no role, so
// 54 Mbit/s on a link at SNR 6 dB (hopeless with per) succeeds at once.
func TestTimedFlatIgnoresPER(t *testing.T) {
	testutil.CheckLeaks(t)
	tn := newNet(t, 2)
	clk := contention.NewSimClock()
	tn.m.clock = clk
	setAir(t, tn.m, ErrorsFlat, AirtimeTimed)
	t.Cleanup(tn.m.Close)
	for _, p := range [][2]string{{"vw0", "vw1"}, {"vw1", "vw0"}} {
		if err := tn.m.SetLink(p[0], p[1], sig(-88), nil); err != nil {
			t.Fatal(err)
		}
	}
	f := dataFrame(true, false, mac(1), mac(0), mac(1))
	var mu sync.Mutex
	var got []TxResult
	done := func(r TxResult) { mu.Lock(); got = append(got, r); mu.Unlock() }
	tn.radios[0].Transmit(f, TxOptions{Chain: chainOf(air.Stage{Mode: air.Legacy(air.Rate54), Count: 4}), Done: done})
	advanceUntil(t, clk, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == 1 })
	if r := got[0]; !r.Acked || r.Attempts != 1 || tn.recs[1].count() != 1 {
		t.Fatalf("flat, timed: %+v, delivered %d", r, tn.recs[1].count())
	}
}
