// SPDX-License-Identifier: MIT

package dropin

import (
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
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
