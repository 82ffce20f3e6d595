// SPDX-License-Identifier: MIT

package air

import (
	"testing"
	"time"
)

// linuxFrameDuration is an independent port of the arithmetic of Linux's
// ieee80211_frame_duration (net/mac80211/util.c) without its SIFS term:
// OFDM: 16 + 4 + 4·⌈(16+8L+6)/(4·Mbit/s)⌉ µs; DSSS: 192 (long) or 96
// (short) + ⌈8L·10/rate100k⌉ µs. Used as an oracle for legacy durations.
func linuxFrameDuration(length int, rate100k int, ofdm, shortPre bool) time.Duration {
	if ofdm {
		dbps := 4 * rate100k / 10
		return time.Duration(16+4+4*((16+8*length+6+dbps-1)/dbps)) * time.Microsecond
	}
	pre := 192
	if shortPre {
		pre = 96
	}
	return time.Duration(pre+(10*8*length+rate100k-1)/rate100k) * time.Microsecond
}

func TestDurationsExact(t *testing.T) {
	cases := []struct {
		name string
		m    Mode
		len  int
		band Band
		want time.Duration
	}{
		{"ACK at 6 Mbit/s OFDM", Legacy(Rate6), AckLen, Band5GHz, 44 * us},
		{"ACK at 1 Mbit/s DSSS long preamble", Legacy(Rate1), AckLen, Band2GHz, 304 * us},
		{"1500 B at 54 Mbit/s", Legacy(Rate54), 1500, Band5GHz, 244 * us},
		{"1500 B at 6 Mbit/s", Legacy(Rate6), 1500, Band5GHz, 2024 * us},
		{"1500 B at 1 Mbit/s", Legacy(Rate1), 1500, Band2GHz, 12192 * us},
		{"BlockAck at 6 Mbit/s", Legacy(Rate6), BlockAckLen, Band5GHz, 68 * us},
		{"ACK at 24 Mbit/s", Legacy(Rate24), AckLen, Band5GHz, 28 * us},
		{"ACK at 6 Mbit/s ERP adds signal extension", Legacy(Rate6), AckLen, Band2GHz, 50 * us},
		// HT-mixed, 1 stream: 16+4+8+4+4 = 36 µs preamble; MCS7 20 MHz
		// N_DBPS 260: ⌈(16+12000+6)/260⌉ = 47 symbols → 36+188.
		{"HT MCS7 20 MHz 1500 B mixed", HT(7, Width20, false), 1500, Band5GHz, (36 + 188) * us},
		// Short GI: 47·3.6 = 169.2 µs rounded up to 172 (whole 4 µs).
		{"HT MCS7 20 MHz SGI 1500 B mixed", HT(7, Width20, true), 1500, Band5GHz, (36 + 172) * us},
		// HT MCS0 20 MHz, 14 B: N_DBPS 26, ⌈(16+112+6)/26⌉ = 6 → 36+24.
		{"HT MCS0 ACK-size mixed", HT(0, Width20, false), 14, Band5GHz, 60 * us},
		// Two streams: 2 HT-LTFs → 40 µs preamble; MCS15 40 MHz N_DBPS 1080:
		// ⌈12022/1080⌉ = 12 → 48 µs.
		{"HT MCS15 40 MHz 1500 B", HT(15, Width40, false), 1500, Band5GHz, (40 + 48) * us},
		// Greenfield 1 stream: 24 µs preamble.
		{"HT MCS7 greenfield", Mode{Format: FormatHT, Index: 7, NSS: 1, Width: Width20, Greenfield: true}, 1500, Band5GHz, (24 + 188) * us},
		// VHT 1 stream: 16+4+8+4+4+4 = 40 µs; MCS9 80 MHz N_DBPS 1560:
		// ⌈12022/1560⌉ = 8 → 32 µs.
		{"VHT MCS9 80 MHz 1500 B", VHT(9, 1, Width80, false), 1500, Band5GHz, (40 + 32) * us},
		{"VHT MCS9 80 MHz 2 streams", VHT(9, 2, Width80, false), 1500, Band5GHz, (44 + 16) * us},
	}
	for _, c := range cases {
		if got := c.m.Duration(c.len, c.band); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestLegacyDurationsMatchLinuxOracle(t *testing.T) {
	for r := Rate1; r <= Rate54; r++ {
		for _, sp := range []bool{false, true} {
			for _, l := range []int{0, 1, 14, 20, 100, 1500, 1536, 2304} {
				m := Legacy(r)
				m.ShortPreamble = sp && r != Rate1
				got := m.Duration(l, Band5GHz)
				want := linuxFrameDuration(l, int(r.Kbps()/100), !r.IsDSSS(), m.ShortPreamble)
				if got != want {
					t.Errorf("%v len %d: %v, want %v", m, l, got, want)
				}
			}
		}
	}
}

func TestDataRates(t *testing.T) {
	cases := []struct {
		m    Mode
		kbps uint32
	}{
		{HT(0, Width20, false), 6500},
		{HT(7, Width20, false), 65000},
		{HT(7, Width20, true), 72222},
		{HT(7, Width40, true), 150000},
		{HT(15, Width40, true), 300000},
		{HT(31, Width40, true), 600000},
		{VHT(9, 1, Width80, true), 433333},
		{VHT(9, 2, Width160, true), 1733333},
		{VHT(8, 1, Width20, false), 78000},
		{Legacy(Rate5_5), 5500},
	}
	for _, c := range cases {
		if got := c.m.Kbps(); got != c.kbps {
			t.Errorf("%v: %d kbit/s, want %d", c.m, got, c.kbps)
		}
	}
}

func TestModeValidate(t *testing.T) {
	bad := []Mode{
		{Format: FormatDSSS, Index: 4},
		{Format: FormatOFDM, Index: 3},
		HT(32, Width20, false),
		HT(0, Width80, false),
		VHT(10, 1, Width20, false),
		VHT(0, 5, Width20, false),
		VHT(9, 1, Width20, false),
		VHT(6, 3, Width80, false),
		VHT(9, 3, Width160, false),
		{Format: 9},
	}
	for _, m := range bad {
		if err := m.Validate(); err == nil {
			t.Errorf("%+v validated", m)
		}
	}
	for mcs := uint8(0); mcs < 32; mcs++ {
		if err := HT(mcs, Width40, true).Validate(); err != nil {
			t.Error(err)
		}
	}
	if err := VHT(9, 3, Width20, false).Validate(); err != nil {
		t.Error(err)
	}
}

func TestTimingAndExchange(t *testing.T) {
	if d := Timing11a.DIFS(); d != 34*us {
		t.Errorf("11a DIFS %v", d)
	}
	if d := Timing11b.DIFS(); d != 50*us {
		t.Errorf("11b DIFS %v", d)
	}
	if d := Timing11a.AIFS(ACBestEffort); d != 43*us {
		t.Errorf("11a AIFS[BE] %v", d)
	}
	p := ACVoice.Params(Timing11a)
	if p != (EDCAParams{2, 3, 7}) {
		t.Errorf("VO params %+v", p)
	}
	if p := ACVideo.Params(Timing11a); p != (EDCAParams{2, 7, 15}) {
		t.Errorf("VI params %+v", p)
	}
	// ACK for 54 Mbit/s data goes at 24 (highest basic ≤ 54); for 9 at 6;
	// for 11 Mbit/s DSSS at 2; for HT MCS7 (64-QAM 5/6 → 54) at 24.
	b := DefaultBasicRates
	for _, c := range []struct {
		data Mode
		want LegacyRate
	}{{Legacy(Rate54), Rate24}, {Legacy(Rate9), Rate6}, {Legacy(Rate11), Rate2}, {Legacy(Rate1), Rate1},
		{HT(7, Width20, false), Rate24}, {HT(1, Width20, false), Rate12}, {VHT(0, 1, Width80, false), Rate6}} {
		if got := b.ControlRate(c.data); LegacyRate(got.Index) != c.want {
			t.Errorf("control rate for %v: %v, want %v", c.data, got, c.want)
		}
	}
	e := Timing11a.ExchangeFor(Legacy(Rate54), 1500, ProtectNone, true, b)
	if e.Data != 244*us || e.Ack != (16+28)*us || e.Protect != 0 {
		t.Errorf("54 Mbit/s exchange %+v", e)
	}
	// RTS (20 B @24: 28 µs) + SIFS + CTS (14 B @24: 28 µs) + SIFS.
	e = Timing11a.ExchangeFor(Legacy(Rate54), 1500, ProtectRTSCTS, true, b)
	if e.Protect != (28+16+28+16)*us {
		t.Errorf("RTS/CTS protect %v", e.Protect)
	}
	e = Timing11b.ExchangeFor(Legacy(Rate1), 14, ProtectNone, true, b)
	if e.Ack != (10+304)*us {
		t.Errorf("11b ACK %v", e.Ack)
	}
	if e.AckTimeout != (10+20+192)*us {
		t.Errorf("11b ACK timeout %v", e.AckTimeout)
	}
	e = Timing11a.ExchangeFor(Legacy(Rate6), 100, ProtectCTSToSelf, false, b)
	if e.Ack != 0 || e.Protect != (44+16)*us {
		t.Errorf("CTS-to-self no-ack %+v", e)
	}
}

func TestBandOf(t *testing.T) {
	for f, b := range map[uint32]Band{0: Band2GHz, 2412: Band2GHz, 2484: Band2GHz, 5180: Band5GHz, 5955: Band6GHz} {
		if BandOf(f) != b {
			t.Errorf("BandOf(%d) = %v", f, BandOf(f))
		}
	}
}

// Every method of Mode is safe on any value, valid or not (modes can be
// built by hand), so a bad mode is an error, never a panic.
func FuzzModeMethods(f *testing.F) {
	f.Add(uint8(FormatOFDM), uint8(200), uint8(0), uint16(20), false, false, false, 1500)
	f.Add(uint8(FormatHT), uint8(31), uint8(4), uint16(80), true, false, true, 0)
	f.Add(uint8(FormatVHT), uint8(15), uint8(9), uint16(7), true, true, false, -3)
	f.Fuzz(func(t *testing.T, format, index, nss uint8, width uint16, sgi, sp, gf bool, length int) {
		m := Mode{Format: Format(format), Index: index, NSS: nss, Width: Width(width), ShortGI: sgi, ShortPreamble: sp, Greenfield: gf}
		valid := m.Validate() == nil
		d := m.Duration(length%100000, Band5GHz)
		if valid && d <= 0 {
			t.Fatalf("%+v: valid mode with duration %v", m, d)
		}
		_ = m.Kbps()
		_ = m.String()
		_ = m.Curve()
		_ = m.NonHTReference()
		_ = RxRateIndex(m, Band2GHz)
		_ = DefaultBasicRates.ControlRate(m)
	})
}
