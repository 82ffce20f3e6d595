// SPDX-License-Identifier: MIT

package air_test

import (
	"testing"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// The default propagation model must keep today's numbers exactly.
func TestDefaultIsTodaysLinkModel(t *testing.T) {
	p, err := air.DefaultPropagation("")
	if err != nil {
		t.Fatal(err)
	}
	if p.Model != air.ModelLogDistance {
		t.Fatalf("default model %q", p.Model)
	}
	for _, d := range []float64{0, 0.5, 1, 2, 3.7, 10, 55, 100, 1000} {
		for _, f := range []uint32{0, 2412, 5180} {
			got := p.SignalDBm(medium.DefaultTxPowerDBm, d, f, 0)
			want := medium.PathLossSignal(medium.DefaultTxPowerDBm, d)
			if got != want {
				t.Errorf("d=%g f=%d: %v, today %v", d, f, got, want)
			}
		}
	}
}
