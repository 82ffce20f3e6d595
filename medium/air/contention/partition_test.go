// SPDX-License-Identifier: MIT

package contention

import (
	"math"
	"reflect"
	"testing"

	"github.com/vmedium/vmedium/medium/air"
)

func TestPartition(t *testing.T) {
	// Two BSSs (AP 0 + STA 1, AP 2 + STA 3), all in range of each other.
	sig := matrix(5, -50)
	same := Partition([]uint32{2412, 2412, 2412, 2412, 5180}, sig, -104)
	if !reflect.DeepEqual(same, [][]int{{0, 1, 2, 3}, {4}}) {
		t.Errorf("same channel: %v", same)
	}
	diff := Partition([]uint32{2412, 2412, 2437, 2437, 5180}, sig, -104)
	if !reflect.DeepEqual(diff, [][]int{{0, 1}, {2, 3}, {4}}) {
		t.Errorf("two channels: %v", diff)
	}
	// Hidden terminals share their receiver's domain; a far pair does not.
	h := matrix(5, -200)
	link := func(a, b int) { h[a][b], h[b][a] = -60, -60 }
	link(0, 1)
	link(2, 1)
	link(3, 4)
	got := Partition([]uint32{2412, 2412, 2412, 2412, 2412}, h, -104)
	if !reflect.DeepEqual(got, [][]int{{0, 1, 2}, {3, 4}}) {
		t.Errorf("hidden/far: %v", got)
	}
	if s := Sub(h, []int{0, 2}); s[0][1] != -200 || s[1][0] != -200 || s[0][0] != h[0][0] {
		t.Errorf("Sub %v", s)
	}
}

// Two BSSs on different channels do not slow each other: each gets the
// single-link goodput; on one channel they share it.
func TestTwoChannelsIndependent(t *testing.T) {
	md := air.Legacy(air.Rate54)
	sig := matrix(4, -50)
	run := func(freqs []uint32) []float64 {
		rates := make([]float64, 4)
		for _, members := range Partition(freqs, sig, -104) {
			h := newSaturator()
			d, err := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: Sub(sig, members), Seed: 5}, h)
			if err != nil {
				t.Fatal(err)
			}
			h.d = d
			// Stations 0 and 2 (the first of each BSS) send to their peer.
			for a, i := range members {
				if i%2 == 0 {
					h.start(a, Job{Src: a, Dst: a + 1, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
				}
			}
			d.RunUntil(simTime)
			for a, i := range members {
				rates[i] = goodput(h.delivered[a], 1500, simTime)
			}
		}
		return rates
	}
	apart := run([]uint32{5180, 5180, 5200, 5200})
	shared := run([]uint32{5180, 5180, 5180, 5180})
	t.Logf("different channels: %.2f and %.2f Mbit/s; one channel: %.2f and %.2f", apart[0], apart[2], shared[0], shared[2])
	for _, g := range []float64{apart[0], apart[2]} {
		if math.Abs(g-30.8)/30.8 > 0.05 {
			t.Errorf("BSS on its own channel got %.2f Mbit/s, want 30.8 ±5 %%", g)
		}
	}
	if s := shared[0] + shared[2]; math.Abs(s-30.8)/30.8 > 0.05 || shared[0] > 0.6*30.8 {
		t.Errorf("shared channel: %.2f + %.2f", shared[0], shared[2])
	}
}
