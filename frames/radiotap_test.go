// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vmedium/vmedium/internal/testutil"
)

func TestAppendRadiotapLayout(t *testing.T) {
	tests := []struct {
		name string
		rt   Radiotap
		want []byte
	}{
		{"flags only", Radiotap{}, []byte{0, 0, 9, 0, 0x02, 0, 0, 0, 0}},
		{"all fields", Radiotap{Rate500K: 108, FreqMHz: 2437, ChanFlags: Chan2GHz | ChanOFDM, SignalDBm: -42, HasSignal: true, NoiseDBm: -95, HasNoise: true},
			// flags @8, rate @9, channel @10 (already 2-aligned), signal @14, noise @15.
			[]byte{0, 0, 16, 0, 0x6e, 0, 0, 0, 0, 108, 0x85, 0x09, 0xc0, 0x00, 0xd6, 0xa1}},
		{"no rate: channel padded to 2", Radiotap{FreqMHz: 5180, ChanFlags: Chan5GHz | ChanOFDM, SignalDBm: -30, HasSignal: true},
			// flags @8, pad @9, channel @10, signal @14.
			[]byte{0, 0, 15, 0, 0x2a, 0, 0, 0, 0, 0, 0x3c, 0x14, 0x40, 0x01, 0xe2}},
		{"rate and noise", Radiotap{Flags: RadiotapFlagShortPreamble, Rate500K: 22, NoiseDBm: -90, HasNoise: true},
			[]byte{0, 0, 11, 0, 0x46, 0, 0, 0, 0x02, 22, 0xa6}},
	}
	for _, tt := range tests {
		got := AppendRadiotap([]byte{0xff}, tt.rt)
		if got[0] != 0xff {
			t.Fatalf("%s: did not append", tt.name)
		}
		// Alignment is relative to the header start, not to dst: build
		// at an odd offset and compare.
		if !bytes.Equal(got[1:], tt.want) {
			t.Errorf("%s:\n got % x\nwant % x", tt.name, got[1:], tt.want)
		}
		back, frame, err := ParseRadiotap(got[1:])
		if err != nil || back != tt.rt || len(frame) != 0 {
			t.Errorf("%s: ParseRadiotap = %+v, % x, %v", tt.name, back, frame, err)
		}
	}
}

func TestRadiotapDecodedByGopacket(t *testing.T) {
	frame := AppendAuth(nil, testHdr, 0, 1, 0)
	for _, rt := range []Radiotap{
		{Rate500K: 2, FreqMHz: 2412, ChanFlags: ChannelFlags(2412, 2), SignalDBm: -50, HasSignal: true, NoiseDBm: -92, HasNoise: true},
		{FreqMHz: 5745, ChanFlags: ChannelFlags(5745, 0), SignalDBm: -80, HasSignal: true},
		{Rate500K: 108},
		{},
	} {
		b := append(AppendRadiotap(nil, rt), frame...)
		p := gopacket.NewPacket(b, layers.LayerTypeRadioTap, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("%+v: gopacket: %v", rt, el.Error())
		}
		r := p.Layer(layers.LayerTypeRadioTap).(*layers.RadioTap)
		v := r.RadioTapValues[0]
		if int(r.Length) != len(b)-len(frame) || v.Flags.FCS() {
			t.Errorf("%+v: length %d FCS %v", rt, r.Length, v.Flags.FCS())
		}
		if uint8(v.Rate) != rt.Rate500K || uint16(v.ChannelFrequency) != rt.FreqMHz || uint16(v.ChannelFlags) != rt.ChanFlags {
			t.Errorf("%+v: gopacket rate %d freq %d flags %#x", rt, v.Rate, v.ChannelFrequency, uint16(v.ChannelFlags))
		}
		if r.Present[0].DBMAntennaSignal() != rt.HasSignal || v.DBMAntennaSignal != rt.SignalDBm ||
			r.Present[0].DBMAntennaNoise() != rt.HasNoise || v.DBMAntennaNoise != rt.NoiseDBm {
			t.Errorf("%+v: gopacket signal %d noise %d", rt, v.DBMAntennaSignal, v.DBMAntennaNoise)
		}
		d, ok := p.Layer(layers.LayerTypeDot11).(*layers.Dot11)
		if !ok || d.Type != layers.Dot11TypeMgmtAuthentication {
			t.Errorf("%+v: no Dot11 auth after radiotap", rt)
		}
	}
}

func TestParseRadiotapForeign(t *testing.T) {
	// A header as mac80211 monitor interfaces write it: TSFT (8-aligned),
	// flags with FCS, rate, channel, signal, an extended present word.
	var b []byte
	b = append(b, 0, 0, 0, 0)             // version, pad, length (set below)
	b = append(b, 0x2f, 0, 0, 0x80)       // TSFT flags rate channel signal + ext
	b = append(b, 0x00, 0x00, 0x00, 0x00) // second present word: nothing
	b = append(b, 0, 0, 0, 0)             // pad: TSFT is 8-aligned
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8) // TSFT @16
	b = append(b, RadiotapFlagFCS, 12)    // flags @24, rate @25
	b = append(b, 0x6c, 0x09, 0x80, 0x00) // channel @26: 2412
	b = append(b, 0xc4)                   // signal @30: -60
	b[2] = byte(len(b))
	frame := AppendDeauth(nil, testHdr, 1)
	b = append(b, frame...)
	b = append(b, 0xde, 0xad, 0xbe, 0xef) // FCS
	rt, got, err := ParseRadiotap(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Radiotap{Flags: RadiotapFlagFCS, Rate500K: 12, FreqMHz: 2412, ChanFlags: Chan2GHz, SignalDBm: -60, HasSignal: true}
	if rt != want || !bytes.Equal(got, frame) {
		t.Errorf("ParseRadiotap = %+v % x", rt, got)
	}

	for _, bad := range [][]byte{
		nil, {0, 0, 8, 0, 0, 0, 0},
		{1, 0, 8, 0, 0, 0, 0, 0},           // version 1
		{0, 0, 7, 0, 0, 0, 0, 0},           // length below 8
		{0, 0, 9, 0, 0, 0, 0, 0},           // length beyond data
		{0, 0, 8, 0, 0x08, 0, 0, 0},        // channel present but no room
		{0, 0, 8, 0, 0, 0, 0, 0x80},        // ext bit but no second word
		{0, 0, 9, 0, 0x02, 0, 0, 0, 0x10},  // FCS flag, no FCS
		{0, 0, 16, 0, 0x01, 0, 0, 0, 1, 2}, // TSFT truncated
	} {
		if _, _, err := ParseRadiotap(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseRadiotap(% x) err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestChannelFlagsAndRates(t *testing.T) {
	tests := []struct {
		freq uint32
		rate uint8
		want uint16
	}{
		{2412, 2, Chan2GHz | ChanCCK},
		{2412, 22, Chan2GHz | ChanCCK},
		{2412, 0x96, Chan2GHz | ChanCCK}, // basic bit ignored
		{2437, 12, Chan2GHz | ChanOFDM},
		{2484, 108, Chan2GHz | ChanOFDM},
		{2412, 0, Chan2GHz},
		{5180, 12, Chan5GHz | ChanOFDM},
		{5180, 0, Chan5GHz | ChanOFDM},
		{0, 12, 0},
	}
	for _, tt := range tests {
		if got := ChannelFlags(tt.freq, tt.rate); got != tt.want {
			t.Errorf("ChannelFlags(%d, %d) = %#x, want %#x", tt.freq, tt.rate, got, tt.want)
		}
	}
	want24 := []uint8{2, 4, 11, 22, 12, 18, 24, 36, 48, 72, 96, 108}
	for i, w := range want24 {
		if got := RateIndexTo500K(2437, uint8(i)); got != w {
			t.Errorf("RateIndexTo500K(2437, %d) = %d, want %d", i, got, w)
		}
		if Rates24[i]&0x7f != w {
			t.Errorf("Rates24[%d] = %#x, want rate %d", i, Rates24[i], w)
		}
	}
	for i, w := range want24[4:] {
		if got := RateIndexTo500K(5180, uint8(i)); got != w {
			t.Errorf("RateIndexTo500K(5180, %d) = %d, want %d", i, got, w)
		}
	}
	if RateIndexTo500K(2412, 12) != 0 || RateIndexTo500K(5180, 8) != 0 || RateIndexTo500K(2412, 255) != 0 {
		t.Error("out-of-range rate index not 0")
	}
}

func TestAppendRadiotapAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	buf := make([]byte, 0, 64)
	rt := Radiotap{Rate500K: 108, FreqMHz: 2437, ChanFlags: Chan2GHz | ChanOFDM, SignalDBm: -42, HasSignal: true}
	if n := testing.AllocsPerRun(100, func() {
		b := AppendRadiotap(buf[:0], rt)
		_, _, _ = ParseRadiotap(b)
	}); n != 0 {
		t.Errorf("AppendRadiotap/ParseRadiotap allocate %.1f", n)
	}
}
