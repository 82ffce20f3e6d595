// SPDX-License-Identifier: MIT

package wmediumd

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vmedium/vmedium/medium/wmediumd/libconfig"
)

// FuzzLoad feeds arbitrary text through the libconfig parser and the model
// loader: nothing may panic, a failure is a *libconfig.Error or an *Error,
// and a loaded model is consistent (matrix sizes, probabilities in [0,1],
// media and links answer for every pair). Seeds: the configurations under
// testdata in the hostap, mininet-wifi, AOSP and upstream styles.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.cfg")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := libconfig.Parser{ReadFile: func(string) ([]byte, error) { return nil, os.ErrNotExist }}.Parse("fuzz.cfg", data)
		if err != nil {
			return
		}
		c, err := FromSettings("fuzz.cfg", root)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		n := c.N()
		if n == 0 || len(c.SNR) != n*n || len(c.Medium) != n || (c.LossProb != nil && len(c.LossProb) != n*n) {
			t.Fatalf("inconsistent model: n %d snr %d medium %d loss %d", n, len(c.SNR), len(c.Medium), len(c.LossProb))
		}
		for tx := range n {
			for rx := range n {
				l := c.Link(tx, rx)
				if l.HasLossProb && (l.LossProb < 0 || l.LossProb > 1) {
					t.Fatalf("loss %v", l.LossProb)
				}
				if tx != rx && c.PathLoss != nil && math.IsNaN(l.SNR) && !hasNaN(c.PathLoss) {
					t.Fatalf("NaN SNR %d→%d from finite inputs", tx, rx)
				}
			}
		}
	})
}

func hasNaN(p *PathLoss) bool {
	for _, s := range p.Stations {
		for _, v := range []float64{s.X, s.Y, s.Z, s.TxPower} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return true
			}
		}
	}
	switch m := p.Propagation.(type) {
	case LogDistance:
		return math.IsNaN(m.Exponent) || math.IsInf(m.Exponent, 0) || math.IsNaN(m.Xg) || math.IsInf(m.Xg, 0)
	case LogNormalShadowing:
		return math.IsNaN(m.Exponent) || math.IsInf(m.Exponent, 0)
	case Nakagami:
		return math.IsNaN(m.Exponent) || math.IsInf(m.Exponent, 0) || math.IsNaN(m.Xg) || math.IsInf(m.Xg, 0)
	}
	return false
}
