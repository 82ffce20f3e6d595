// SPDX-License-Identifier: MIT

package air

import "testing"

func TestCompileLinkClasses(t *testing.T) {
	m := testModel(t)
	n20 := m.Noise().DBm(Width20)
	strong, weak := m.CompileLink(n20+45), m.CompileLink(n20-15)
	for c := Curve(0); c < NumCurves; c++ {
		if strong.classes[0][c] != Clear || weak.classes[0][c] != Dead {
			t.Errorf("curve %d: strong %v weak %v", c, strong.classes[0][c], weak.classes[0][c])
		}
	}
	// At the 10 % crossing of 54 Mbit/s the link is grey for 54 and clear
	// for 6.
	sig := signalFor(m, Legacy(Rate54), 1458, 0.1)
	l := m.CompileLink(sig)
	if l.Class(Legacy(Rate54)) != Grey || l.Class(Legacy(Rate6)) != Clear {
		t.Errorf("at 54's crossing: 54 %v, 6 %v", l.Class(Legacy(Rate54)), l.Class(Legacy(Rate6)))
	}
	// Wider channels have 3 dB more noise per doubling: 64-QAM 3/4 at 40 MHz
	// is dead or grey where it is grey at 20 MHz.
	if l.Class(HT(6, Width40, false)) == Clear {
		t.Error("40 MHz clearer than 20 MHz")
	}
	ch := Chain{Stages: [MaxStages]Stage{{Mode: Legacy(Rate54), Count: 2}, {Mode: Legacy(Rate6), Count: 2}}, N: 2}
	if l.ChainClass(&ch) != Grey || strong.ChainClass(&ch) != Clear || weak.ChainClass(&ch) != Dead {
		t.Errorf("chain classes %v %v %v", l.ChainClass(&ch), strong.ChainClass(&ch), weak.ChainClass(&ch))
	}
	ch.Stages[0], ch.Stages[1] = ch.Stages[1], ch.Stages[0]
	if l.ChainClass(&ch) != Clear {
		t.Error("clear first stage not Clear")
	}
}

func TestFastestRate(t *testing.T) {
	m := testModel(t)
	n20 := m.Noise().DBm(Width20)
	legacy5 := LegacyModes(Band5GHz)
	if len(legacy5) != 8 || len(LegacyModes(Band2GHz)) != 12 {
		t.Fatal("legacy mode sets")
	}
	cases := []struct {
		snr  float64
		want LegacyRate
	}{{10, Rate24}, {13.5, Rate36}, {19, Rate54}, {3, Rate6}}
	for _, c := range cases {
		md, ok := m.FastestRate(n20+c.snr, legacy5, 1500, 0.1)
		if !ok || LegacyRate(md.Index) != c.want {
			t.Errorf("SNR %.1f: %v %v, want %v", c.snr, md, ok, c.want)
		}
	}
	if _, ok := m.FastestRate(n20-5, legacy5, 1500, 0.1); ok {
		t.Error("a rate at −5 dB SNR on 5 GHz")
	}
	// 2.4 GHz at −3 dB: only 1 Mbit/s DSSS.
	if md, ok := m.FastestRate(n20-1, LegacyModes(Band2GHz), 1500, 0.1); !ok || LegacyRate(md.Index) != Rate1 {
		t.Errorf("2.4 GHz at −1 dB: %v %v", md, ok)
	}
	// Monotone in signal, for HT and VHT sets.
	for _, set := range [][]Mode{HTModes(Width40, true, 2), VHTModes(Width80, false, 2), legacy5} {
		prev := uint32(0)
		for s := n20 - 5; s < n20+45; s += 0.5 {
			md, ok := m.FastestRate(s, set, 1500, 0.1)
			k := uint32(0)
			if ok {
				k = md.Kbps()
			}
			if k < prev {
				t.Fatalf("fastest rate falls from %d to %d kbit/s at %.1f dBm", prev, k, s)
			}
			prev = k
		}
		if top := set[len(set)-1]; prev != top.Kbps() && set[0].Format != FormatVHT {
			t.Errorf("strong link does not reach the top rate: %d kbit/s", prev)
		}
	}
	if n := len(VHTModes(Width20, false, 4)); n != 40-3 {
		t.Errorf("VHT20 4SS modes %d, want 37 (MCS9 1/2/4 SS excluded)", n)
	}
}
