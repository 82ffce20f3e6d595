// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestIEBuilders(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"ssid", AppendSSID([]byte{9}, "ab"), []byte{9, 0, 2, 'a', 'b'}},
		{"wildcard ssid", AppendSSID(nil, ""), []byte{0, 0}},
		{"long ssid truncated", AppendSSID(nil, strings.Repeat("x", 40)), append([]byte{0, 32}, strings.Repeat("x", 32)...)},
		{"rates 4", AppendRates(nil, Rates24[:4]), []byte{1, 4, 0x82, 0x84, 0x8b, 0x96}},
		{"rates 12", AppendRates(nil, Rates24), []byte{1, 8, 0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 50, 4, 0x30, 0x48, 0x60, 0x6c}},
		{"rates none", AppendRates(nil, nil), nil},
		{"ds", AppendDSParams(nil, 11), []byte{3, 1, 11}},
		{"tim empty", AppendTIM(nil, 0, 2, 0, nil), []byte{5, 4, 0, 2, 0, 0}},
		{"tim bitmap", AppendTIM(nil, 1, 3, 1, []byte{0x02, 0x80}), []byte{5, 5, 1, 3, 1, 0x02, 0x80}},
		{"generic", AppendIE(nil, 221, []byte{0x00, 0x50, 0xf2}), []byte{221, 3, 0x00, 0x50, 0xf2}},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s = % x, want % x", tt.name, tt.got, tt.want)
		}
	}
	if b := AppendIE(nil, 7, make([]byte, 300)); len(b) != 257 || b[1] != 255 {
		t.Errorf("oversized IE: len %d length octet %d", len(b), b[1])
	}
}

func TestIterAndFindIEs(t *testing.T) {
	ies := testIEs()
	var ids []uint8
	var lens []int
	err := IterIEs(ies, func(id uint8, data []byte) bool {
		ids = append(ids, id)
		lens = append(lens, len(data))
		return true
	})
	if err != nil || !bytes.Equal(ids, []uint8{IESSID, IESupportedRates, IEExtRates, IEDSParams}) {
		t.Fatalf("IterIEs ids = %v err %v", ids, err)
	}
	if lens[0] != 7 || lens[1] != 8 || lens[2] != 4 || lens[3] != 1 {
		t.Errorf("IterIEs lens = %v", lens)
	}
	n := 0
	if err := IterIEs(ies, func(uint8, []byte) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Errorf("IterIEs did not stop: n=%d err=%v", n, err)
	}
	if ssid, ok := FindIE(ies, IESSID); !ok || string(ssid) != "vmedium" {
		t.Errorf("FindIE(SSID) = %q %v", ssid, ok)
	}
	if ds, ok := FindIE(ies, IEDSParams); !ok || !bytes.Equal(ds, []byte{6}) {
		t.Errorf("FindIE(DS) = % x %v", ds, ok)
	}
	if _, ok := FindIE(ies, IETIM); ok {
		t.Error("FindIE found an absent TIM")
	}
	// The returned data must not be appendable into the next element.
	ssid, _ := FindIE(ies, IESSID)
	if cap(ssid) != len(ssid) {
		t.Errorf("FindIE data has spare capacity %d", cap(ssid)-len(ssid))
	}

	for _, bad := range [][]byte{{0}, {0, 5, 1, 2}, append(testIEs(), 3, 2, 1)} {
		visited := 0
		err := IterIEs(bad, func(uint8, []byte) bool { visited++; return true })
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("IterIEs(% x) err = %v, want ErrMalformed", bad, err)
		}
		if _, ok := FindIE(bad, IEDSParams); ok && len(bad) < 4 {
			t.Errorf("FindIE found IE in truncated % x", bad)
		}
	}
	if err := IterIEs(nil, func(uint8, []byte) bool { t.Error("called on empty"); return true }); err != nil {
		t.Errorf("IterIEs(nil) = %v", err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		_ = IterIEs(ies, func(uint8, []byte) bool { return true })
		_, _ = FindIE(ies, IEDSParams)
	})
	if allocs != 0 {
		t.Errorf("IterIEs/FindIE allocate %.1f", allocs)
	}
}

func TestChannels(t *testing.T) {
	tests := []struct {
		ch   uint8
		freq uint32
	}{
		{1, 2412}, {6, 2437}, {13, 2472}, {14, 2484}, {36, 5180}, {149, 5745}, {165, 5825}, {177, 5885},
	}
	for _, tt := range tests {
		if got := ChannelToFreq(tt.ch); got != tt.freq {
			t.Errorf("ChannelToFreq(%d) = %d, want %d", tt.ch, got, tt.freq)
		}
		if got := FreqToChannel(tt.freq); got != tt.ch {
			t.Errorf("FreqToChannel(%d) = %d, want %d", tt.freq, got, tt.ch)
		}
	}
	for _, ch := range []uint8{0, 15, 35, 178, 255} {
		if f := ChannelToFreq(ch); f != 0 {
			t.Errorf("ChannelToFreq(%d) = %d, want 0", ch, f)
		}
	}
	for _, f := range []uint32{0, 2411, 2413, 2477, 2483, 5175, 5182, 5890, 60480} {
		if ch := FreqToChannel(f); ch != 0 {
			t.Errorf("FreqToChannel(%d) = %d, want 0", f, ch)
		}
	}
}
