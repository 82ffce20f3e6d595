// SPDX-License-Identifier: MIT

package air

import (
	"encoding/binary"
	"testing"
)

// The rate flag bits are the kernel's ABI: enum hwsim_tx_rate_flags in
// drivers/net/wireless/virtual/mac80211_hwsim.h ("new flags may be
// appended, never deleted"), which mirrors enum mac80211_rate_control_flags
// (IEEE80211_TX_RC_*) in include/net/mac80211.h. Pin them.
func TestRateFlagBitsPinned(t *testing.T) {
	pins := []struct {
		name string
		got  int
		want int
	}{
		{"USE_RTS_CTS", RateFlagRTSCTS, 0x001},
		{"USE_CTS_PROTECT", RateFlagCTSProtect, 0x002},
		{"USE_SHORT_PREAMBLE", RateFlagShortPreamble, 0x004},
		{"MCS", RateFlagMCS, 0x008},
		{"GREEN_FIELD", RateFlagGreenField, 0x010},
		{"40_MHZ_WIDTH", RateFlag40MHz, 0x020},
		{"DUP_DATA", RateFlagDupData, 0x040},
		{"SHORT_GI", RateFlagShortGI, 0x080},
		{"VHT_MCS", RateFlagVHTMCS, 0x100},
		{"80_MHZ_WIDTH", RateFlag80MHz, 0x200},
		{"160_MHZ_WIDTH", RateFlag160MHz, 0x400},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("MAC80211_HWSIM_TX_RC_%s = %#x, kernel has %#x", p.name, p.got, p.want)
		}
	}
}

func flagsBytes(f [4]uint16, idx [4]int8) []byte {
	b := make([]byte, TxInfoFlagsLen)
	for i := range 4 {
		b[3*i] = byte(idx[i])
		binary.NativeEndian.PutUint16(b[3*i+1:], f[i])
	}
	return b
}

func TestDecodeTxInfo(t *testing.T) {
	// minstrel_ht-like chain: VHT MCS9 2SS 80 MHz SGI ×2, HT MCS7 40 MHz ×2,
	// HT MCS1 20 ×3, legacy 6 Mbit/s (index 0 at 5 GHz) with RTS ×4.
	info := []byte{0x19, 2, 7, 2, 1, 3, 0, 4}
	fl := flagsBytes(
		[4]uint16{RateFlagVHTMCS | RateFlag80MHz | RateFlagShortGI, RateFlagMCS | RateFlag40MHz, RateFlagMCS, RateFlagRTSCTS},
		[4]int8{0x19, 7, 1, 0})
	var c Chain
	if err := DecodeTxInfo(&c, info, fl, 5180); err != nil {
		t.Fatal(err)
	}
	want := []Stage{
		{Mode: VHT(9, 2, Width80, true), Count: 2},
		{Mode: HT(7, Width40, false), Count: 2},
		{Mode: HT(1, Width20, false), Count: 3},
		{Mode: Legacy(Rate6), Count: 4, Protection: ProtectRTSCTS},
	}
	if c.N != 4 {
		t.Fatalf("N = %d", c.N)
	}
	for i, w := range want {
		if c.Stages[i] != w {
			t.Errorf("stage %d: %+v, want %+v", i, c.Stages[i], w)
		}
	}
	if c.Attempts() != 11 {
		t.Errorf("attempts %d", c.Attempts())
	}

	// 2.4 GHz legacy, no flags attribute, chain ends at idx −1.
	if err := DecodeTxInfo(&c, []byte{11, 3, 3, 2, 0xff, 0, 0, 0}, nil, 2412); err != nil {
		t.Fatal(err)
	}
	if c.N != 2 || c.Stages[0].Mode != Legacy(Rate54) || c.Stages[1].Mode != Legacy(Rate11) {
		t.Errorf("2.4 GHz chain %+v", c)
	}
	// Short preamble on a DSSS rate; CTS-protect.
	fl = flagsBytes([4]uint16{RateFlagShortPreamble | RateFlagCTSProtect}, [4]int8{3, -1, -1, -1})
	if err := DecodeTxInfo(&c, []byte{3, 1, 0xff, 0, 0xff, 0, 0xff, 0}, fl, 2437); err != nil {
		t.Fatal(err)
	}
	if s := c.Stages[0]; !s.Mode.ShortPreamble || s.Protection != ProtectCTSToSelf || c.N != 1 {
		t.Errorf("short preamble stage %+v", s)
	}

	for _, bad := range []struct {
		info, fl []byte
		freq     uint32
	}{
		{[]byte{8, 1, 0xff, 0, 0xff, 0, 0xff, 0}, nil, 5180},                          // legacy 8 at 5 GHz
		{[]byte{12, 1, 0xff, 0, 0xff, 0, 0xff, 0}, nil, 2412},                         // legacy 12 at 2.4
		{[]byte{0xff, 1, 0, 0, 0, 0, 0, 0}, nil, 2412},                                // empty chain
		{[]byte{40, 1}, flagsBytes([4]uint16{RateFlagMCS}, [4]int8{40}), 5180},        // HT MCS 40
		{[]byte{0x49, 1}, flagsBytes([4]uint16{RateFlagVHTMCS}, [4]int8{0x49}), 5180}, // VHT NSS 5
		{[]byte{0x09, 1}, flagsBytes([4]uint16{RateFlagVHTMCS}, [4]int8{0x09}), 5180}, // VHT20 MCS9 1SS
		{[]byte{}, nil, 2412}, // short
		{[]byte{0x0c, 1}, flagsBytes([4]uint16{RateFlagVHTMCS | RateFlag80MHz}, [4]int8{0x0c}), 5180}, // VHT MCS 12
	} {
		if err := DecodeTxInfo(&c, bad.info, bad.fl, bad.freq); err == nil {
			t.Errorf("%x/%x at %d decoded: %+v", bad.info, bad.fl, bad.freq, c)
		}
	}
}

func TestRxRateIndex(t *testing.T) {
	cases := []struct {
		m    Mode
		b    Band
		want uint8
	}{
		{Legacy(Rate1), Band2GHz, 0},
		{Legacy(Rate54), Band2GHz, 11},
		{Legacy(Rate54), Band5GHz, 7},
		{Legacy(Rate6), Band5GHz, 0},
		{Legacy(Rate11), Band5GHz, 0}, // no DSSS at 5 GHz: clamp
		{HT(7, Width20, false), Band5GHz, 7},
		{HT(3, Width20, false), Band2GHz, 8}, // 16-QAM 1/2 → 24 Mbit/s
		{HT(9, Width40, false), Band5GHz, 2}, // QPSK 1/2 → 12
		{VHT(9, 2, Width80, true), Band5GHz, 7},
		{VHT(5, 1, Width80, true), Band5GHz, 6}, // 64-QAM 2/3 → 48
	}
	for _, c := range cases {
		got := RxRateIndex(c.m, c.b)
		if got != c.want {
			t.Errorf("%v band %d: %d, want %d", c.m, c.b, got, c.want)
		}
		if int(got) >= NumLegacy(c.b) {
			t.Errorf("%v: index %d outside the band's table", c.m, got)
		}
	}
}

// Golden TX_INFO rewrites: the chain the kernel gave, the attempts used per
// stage, and what hwsim must get back.
func TestRewriteTxInfoGolden(t *testing.T) {
	in := [TxInfoLen]byte{7, 4, 5, 2, 3, 2, 0, 3}
	cases := []struct {
		name     string
		attempts [MaxStages]uint8
		want     [TxInfoLen]byte
	}{
		{"success in stage 0, first try", [4]uint8{1}, [8]byte{7, 1, 0xff, 0, 0xff, 0, 0xff, 0}},
		{"success in stage 0, third try", [4]uint8{3}, [8]byte{7, 3, 0xff, 0, 0xff, 0, 0xff, 0}},
		{"success in stage 2", [4]uint8{4, 2, 1}, [8]byte{7, 4, 5, 2, 3, 1, 0xff, 0}},
		{"success in stage 3", [4]uint8{4, 2, 2, 2}, [8]byte{7, 4, 5, 2, 3, 2, 0, 2}},
		{"failure: every attempt", [4]uint8{4, 2, 2, 3}, [8]byte{7, 4, 5, 2, 3, 2, 0, 3}},
		{"no-ack: one attempt", [4]uint8{1}, [8]byte{7, 1, 0xff, 0, 0xff, 0, 0xff, 0}},
		{"nothing sent reports one attempt", [4]uint8{}, [8]byte{7, 1, 0xff, 0, 0xff, 0, 0xff, 0}},
	}
	for _, c := range cases {
		var out [TxInfoLen]byte
		RewriteTxInfo(&out, &in, &c.attempts)
		if out != c.want {
			t.Errorf("%s: % x, want % x", c.name, out, c.want)
		}
	}
}

func FuzzDecodeTxInfo(f *testing.F) {
	f.Add([]byte{0x19, 2, 7, 2, 1, 3, 0, 4}, flagsBytes([4]uint16{0x380, 0x28, 0x8, 0x1}, [4]int8{0x19, 7, 1, 0}), uint32(5180))
	f.Add([]byte{11, 3}, []byte{}, uint32(2412))
	f.Fuzz(func(t *testing.T, info, fl []byte, freq uint32) {
		var c Chain
		err := DecodeTxInfo(&c, info, fl, freq)
		if c.N < 0 || c.N > MaxStages {
			t.Fatalf("N %d", c.N)
		}
		for i := 0; i < c.N; i++ {
			s := c.Stages[i]
			if verr := s.Mode.Validate(); verr != nil {
				t.Fatalf("stage %d invalid mode kept: %v", i, verr)
			}
			if s.Count == 0 {
				t.Fatalf("stage %d zero count", i)
			}
			_ = s.Mode.Duration(1500, BandOf(freq))
			if r := RxRateIndex(s.Mode, BandOf(freq)); int(r) >= NumLegacy(BandOf(freq)) {
				t.Fatalf("rx rate %d", r)
			}
		}
		if err == nil && c.N == 0 {
			t.Fatal("no error and no stage")
		}
	})
}
