// SPDX-License-Identifier: MIT

package wmediumd

import (
	"testing"

	"github.com/vmedium/vmedium/internal/testutil"
)

// Link is looked up per frame: it must not allocate.
func TestLinkAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	c := load(t, "testdata/hostap-prob.cfg")
	var sink Link
	if a := testing.AllocsPerRun(1000, func() { sink = c.Link(0, 1) }); a != 0 {
		t.Errorf("Link allocates %v times per call", a)
	}
	_ = sink
}

func BenchmarkLink(b *testing.B) {
	c, err := Load("testdata/mininet-snr.cfg")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var snr float64
	for i := range b.N {
		snr += c.Link(i%3, (i+1)%3).SNR
	}
	_ = snr
}

func BenchmarkPathLossSNR(b *testing.B) {
	c, err := Load("testdata/mininet-interference.cfg")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var snr float64
	for i := range b.N {
		snr += c.PathLoss.SNR(i%3, (i+1)%3, DefaultFreqHz)
	}
	_ = snr
}
