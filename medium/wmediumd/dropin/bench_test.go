// SPDX-License-Identifier: MIT

package dropin

import (
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// The model is consulted when the medium compiles its snapshot, never per
// frame: dispatch under a wmediumd config allocates nothing.
const benchCfg = `ifaces : { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00"]; };
model : { type = "prob"; links = ((0, 1, 0.3), (0, 2, 1.0)); };`

func benchRig(tb testing.TB) (*rig, []byte, []byte) {
	r := newRig(tb, benchCfg, addr(0), addr(1), addr(2))
	uni := append(data(addr(1), addr(0)), make([]byte, 1500)...)
	bc := append(data(frames.Broadcast, addr(0)), make([]byte, 1500)...)
	return r, uni, bc
}

func TestTransmitWithPairModelAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	r, uni, bc := benchRig(t)
	if a := testing.AllocsPerRun(1000, func() {
		r.radios[0].Transmit(uni, medium.TxOptions{MaxAttempts: 4})
		r.radios[0].Transmit(bc, medium.TxOptions{NoAck: true})
	}); a != 0 {
		t.Errorf("%v allocations per unicast+broadcast under a wmediumd prob model, want 0", a)
	}
}

func BenchmarkTransmitWmediumdProb(b *testing.B) {
	r, uni, bc := benchRig(b)
	for _, c := range []struct {
		name string
		f    []byte
		opt  medium.TxOptions
	}{{"unicast", uni, medium.TxOptions{MaxAttempts: 4}}, {"broadcast", bc, medium.TxOptions{NoAck: true}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.f)))
			for b.Loop() {
				r.radios[0].Transmit(c.f, c.opt)
			}
		})
	}
}

// A config the judge decides frame by frame (fading, interference, -x):
// still no allocation per frame.
const judgedCfg = `ifaces : { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00", "02:00:00:00:02:00"];
enable_interference = true; links = ((0, 1, 12), (0, 2, 0)); };
model : { fading_coefficient = 2; };`

func judgedRig(tb testing.TB) (*rig, []byte, []byte, *medium.TxOptions) {
	r := newRig(tb, judgedCfg, addr(0), addr(1), addr(2))
	tbl, err := wmediumd.LoadPERTable("../testdata/signal_table_test")
	if err != nil {
		tb.Fatal(err)
	}
	cfg, err := wmediumd.Parse("j.cfg", []byte(judgedCfg))
	if err != nil {
		tb.Fatal(err)
	}
	m := NewModel(cfg)
	m.SetPERTable(tbl)
	r.m.SetPairModel(m)
	uni := append(data(addr(1), addr(0)), make([]byte, 1500)...)
	bc := append(data(frames.Broadcast, addr(0)), make([]byte, 1500)...)
	return r, uni, bc, &medium.TxOptions{MaxAttempts: 4, FreqMHz: 2412, Chain: chain(int(air.Rate11), 2, int(air.Rate1), 2)}
}

func TestTransmitJudgedAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	r, uni, bc, opt := judgedRig(t)
	if !r.m.AirActive() {
		t.Fatal("a judged config does not ask backends for the rate chain")
	}
	if a := testing.AllocsPerRun(1000, func() {
		r.radios[0].Transmit(uni, *opt)
		r.radios[0].Transmit(bc, medium.TxOptions{NoAck: true, FreqMHz: 2412})
	}); a != 0 {
		t.Errorf("%v allocations per judged unicast+broadcast, want 0", a)
	}
}

func BenchmarkTransmitWmediumdJudged(b *testing.B) {
	r, uni, bc, opt := judgedRig(b)
	for _, c := range []struct {
		name string
		f    []byte
		opt  medium.TxOptions
	}{{"unicast", uni, *opt}, {"broadcast", bc, medium.TxOptions{NoAck: true, FreqMHz: 2412}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.f)))
			for b.Loop() {
				r.radios[0].Transmit(c.f, c.opt)
			}
		})
	}
}
