// SPDX-License-Identifier: MIT

package air

import (
	"math/rand/v2"
	"testing"

	"github.com/vmedium/vmedium/internal/testutil"
)

// The per-frame cost of the error model for three radios: radio 0 sends a
// unicast frame to radio 1 over a grey link with a 4-stage chain (one
// walk), and every other frame a group frame judged at radios 1 and 2.
func BenchmarkFrame3Radios(b *testing.B) {
	m := testModel(b)
	ch := Chain{Stages: [MaxStages]Stage{
		{Mode: Legacy(Rate54), Count: 2}, {Mode: Legacy(Rate48), Count: 2},
		{Mode: Legacy(Rate24), Count: 2}, {Mode: Legacy(Rate6), Count: 2}}, N: 4}
	grey := signalFor(m, Legacy(Rate54), 1500, 0.5)
	far := signalFor(m, Legacy(Rate6), 200, 0.3)
	rng := rand.New(rand.NewPCG(1, 2))
	var o Outcome
	b.ReportAllocs()
	b.ResetTimer()
	c0 := testutil.CPUTime()
	defer func() { testutil.ReportCPU(b, c0, b.N) }()
	for i := 0; i < b.N; i++ {
		if i&1 == 0 {
			m.Walk(&o, &ch, grey, grey, 1500, false, rng)
		} else {
			m.Receive(Legacy(Rate6), grey, 200, rng)
			m.Receive(Legacy(Rate6), far, 200, rng)
		}
	}
}

// A unicast walk on a grey link (PER 0.5 at the first stage, 4 stages).
func BenchmarkWalkGrey(b *testing.B) {
	m := testModel(b)
	ch := Chain{Stages: [MaxStages]Stage{
		{Mode: HT(7, Width20, true), Count: 2}, {Mode: HT(5, Width20, true), Count: 2},
		{Mode: HT(3, Width20, false), Count: 2}, {Mode: Legacy(Rate6), Count: 2}}, N: 4}
	sig := signalFor(m, ch.Stages[0].Mode, 1500, 0.5)
	rng := rand.New(rand.NewPCG(1, 2))
	var o Outcome
	b.ReportAllocs()
	c0 := testutil.CPUTime()
	defer func() { testutil.ReportCPU(b, c0, b.N) }()
	for i := 0; i < b.N; i++ {
		m.Walk(&o, &ch, sig, sig, 1500, false, rng)
	}
}

// A unicast walk on a clear link: no random draw.
func BenchmarkWalkClear(b *testing.B) {
	m := testModel(b)
	ch := Chain{Stages: [MaxStages]Stage{{Mode: Legacy(Rate54), Count: 4}, {Mode: Legacy(Rate6), Count: 4}}, N: 2}
	rng := rand.New(rand.NewPCG(1, 2))
	var o Outcome
	b.ReportAllocs()
	c0 := testutil.CPUTime()
	defer func() { testutil.ReportCPU(b, c0, b.N) }()
	for i := 0; i < b.N; i++ {
		m.Walk(&o, &ch, -40, -40, 1500, false, rng)
	}
}

func BenchmarkDecodeTxInfo(b *testing.B) {
	info := []byte{0x19, 2, 7, 2, 1, 3, 0, 4}
	fl := []byte{0x19, 0x80, 0x03, 7, 0x28, 0, 1, 0x08, 0, 0, 0x01, 0}
	var c Chain
	b.ReportAllocs()
	c0 := testutil.CPUTime()
	defer func() { testutil.ReportCPU(b, c0, b.N) }()
	for i := 0; i < b.N; i++ {
		if err := DecodeTxInfo(&c, info, fl, 5180); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildTable(b *testing.B) {
	for i := 0; i < b.N; i++ {
		buildTable()
	}
}
