// SPDX-License-Identifier: MIT

package frames

import (
	"encoding/binary"
	"fmt"
)

// Radiotap header flags (IEEE80211_RADIOTAP_F_*).
const (
	RadiotapFlagShortPreamble uint8 = 0x02
	RadiotapFlagFCS           uint8 = 0x10 // frame ends with a 4-byte FCS; vmedium never sets it
	RadiotapFlagBadFCS        uint8 = 0x40
)

// Radiotap channel flags (IEEE80211_CHAN_*).
const (
	ChanCCK  uint16 = 0x0020
	ChanOFDM uint16 = 0x0040
	Chan2GHz uint16 = 0x0080
	Chan5GHz uint16 = 0x0100
)

// Radiotap present-bitmap bit numbers of the fields written here.
const (
	rtTSFT    = 0
	rtFlags   = 1
	rtRate    = 2
	rtChannel = 3
	rtFHSS    = 4
	rtSignal  = 5
	rtNoise   = 6
	rtExt     = 31
)

// RadiotapHeaderLen is the fixed part: version, pad, length, one present word.
const RadiotapHeaderLen = 8

// Radiotap is the subset of radiotap fields vmedium records per frame. The
// Flags field is always written; the others only when present.
type Radiotap struct {
	Flags     uint8  // IEEE80211_RADIOTAP_F_* (e.g. 0x10 = frame includes FCS: we never set it)
	Rate500K  uint8  // rate in 500 kb/s units; 0 = absent
	FreqMHz   uint16 // channel frequency; 0 = absent
	ChanFlags uint16 // Chan2GHz|Chan5GHz with ChanOFDM or ChanCCK; compute with ChannelFlags
	SignalDBm int8
	HasSignal bool
	NoiseDBm  int8
	HasNoise  bool
}

// isOFDMRate reports whether r (500 kb/s units) is one of the OFDM rates
// 6, 9, 12, 18, 24, 36, 48, 54 Mb/s.
func isOFDMRate(r uint8) bool {
	switch r {
	case 12, 18, 24, 36, 48, 72, 96, 108:
		return true
	}
	return false
}

// ChannelFlags returns the radiotap channel flags for a frequency and rate
// (500 kb/s units, basic bit ignored): the band (2 GHz below 3000 MHz, else
// 5 GHz) and the modulation (OFDM for OFDM rates and always on 5 GHz, CCK
// for 1, 2, 5.5, 11 Mb/s). Rate 0 gives the band only; freq 0 gives 0.
func ChannelFlags(freqMHz uint32, rate500k uint8) uint16 {
	if freqMHz == 0 {
		return 0
	}
	rate500k &^= 0x80
	if freqMHz >= 3000 {
		return Chan5GHz | ChanOFDM
	}
	switch {
	case rate500k == 0:
		return Chan2GHz
	case isOFDMRate(rate500k):
		return Chan2GHz | ChanOFDM
	}
	return Chan2GHz | ChanCCK
}

// Legacy bitrate tables as mac80211_hwsim registers them, in 500 kb/s
// units: the 2.4 GHz band has the four CCK rates first, 5 GHz only OFDM.
var (
	rates24 = [...]uint8{2, 4, 11, 22, 12, 18, 24, 36, 48, 72, 96, 108}
	rates5  = [...]uint8{12, 18, 24, 36, 48, 72, 96, 108}
)

// RateIndexTo500K maps a legacy rate index of the band of freqMHz to its
// rate in 500 kb/s units: 2.4 GHz 1, 2, 5.5, 11, 6, 9, 12, 18, 24, 36, 48,
// 54 Mb/s; 5 GHz (freq >= 3000) 6..54 Mb/s. 0 if idx is out of range.
func RateIndexTo500K(freqMHz uint32, idx uint8) uint8 {
	if freqMHz >= 3000 {
		if int(idx) < len(rates5) {
			return rates5[idx]
		}
		return 0
	}
	if int(idx) < len(rates24) {
		return rates24[idx]
	}
	return 0
}

// AppendRadiotap appends a radiotap header for rt: version 0, its length,
// the present bitmap, then Flags, Rate, Channel (frequency + flags, 2-byte
// aligned from the header start), antenna signal and noise in dBm, in bit
// order as the radiotap standard requires. It does not allocate when dst
// has capacity (at most 16 bytes).
func AppendRadiotap(dst []byte, rt Radiotap) []byte {
	start := len(dst)
	present := uint32(1) << rtFlags
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0) // version, pad, length, present: filled below
	dst = append(dst, rt.Flags)
	if rt.Rate500K != 0 {
		present |= 1 << rtRate
		dst = append(dst, rt.Rate500K)
	}
	if rt.FreqMHz != 0 {
		present |= 1 << rtChannel
		if (len(dst)-start)%2 != 0 {
			dst = append(dst, 0)
		}
		dst = binary.LittleEndian.AppendUint16(dst, rt.FreqMHz)
		dst = binary.LittleEndian.AppendUint16(dst, rt.ChanFlags)
	}
	if rt.HasSignal {
		present |= 1 << rtSignal
		dst = append(dst, uint8(rt.SignalDBm))
	}
	if rt.HasNoise {
		present |= 1 << rtNoise
		dst = append(dst, uint8(rt.NoiseDBm))
	}
	h := dst[start:]
	binary.LittleEndian.PutUint16(h[2:], uint16(len(h)))
	binary.LittleEndian.PutUint32(h[4:], present)
	return dst
}

// errRadiotap is wrapped by ParseRadiotap's errors (and wraps ErrMalformed).
var errRadiotap = fmt.Errorf("%w: bad radiotap header", ErrMalformed)

var (
	errRadiotapShort   = fmt.Errorf("%w: shorter than its length field", errRadiotap)
	errRadiotapVersion = fmt.Errorf("%w: version is not 0", errRadiotap)
)

// radiotap field alignment and size for bits 0..6, the fields that can
// precede the ones ParseRadiotap reads.
var rtFieldAlignSize = [rtNoise + 1][2]int{
	rtTSFT:    {8, 8},
	rtFlags:   {1, 1},
	rtRate:    {1, 1},
	rtChannel: {2, 4},
	rtFHSS:    {1, 2},
	rtSignal:  {1, 1},
	rtNoise:   {1, 1},
}

// ParseRadiotap decodes the fields Radiotap knows from a radiotap header
// (skipping TSFT and FHSS, and any fields after noise or in extended
// bitmaps) and returns the 802.11 frame that follows it, without its FCS
// when the FCS flag is set. Errors wrap ErrMalformed. It does not allocate.
func ParseRadiotap(b []byte) (Radiotap, []byte, error) {
	var rt Radiotap
	if len(b) < RadiotapHeaderLen {
		return rt, nil, errRadiotapShort
	}
	if b[0] != 0 {
		return rt, nil, errRadiotapVersion
	}
	hlen := int(binary.LittleEndian.Uint16(b[2:]))
	if hlen < RadiotapHeaderLen || hlen > len(b) {
		return rt, nil, errRadiotapShort
	}
	present := binary.LittleEndian.Uint32(b[4:])
	// Skip extended present words: fields start after the last one.
	off := 4
	for word := present; word&(1<<rtExt) != 0; {
		off += 4
		if off+4 > hlen {
			return rt, nil, errRadiotapShort
		}
		word = binary.LittleEndian.Uint32(b[off:])
	}
	off += 4
	hdr := b[:hlen]
	for bit := 0; bit <= rtNoise; bit++ {
		if present&(1<<bit) == 0 {
			continue
		}
		align, size := rtFieldAlignSize[bit][0], rtFieldAlignSize[bit][1]
		off = (off + align - 1) &^ (align - 1)
		if off+size > len(hdr) {
			return rt, nil, errRadiotapShort
		}
		f := hdr[off : off+size]
		switch bit {
		case rtFlags:
			rt.Flags = f[0]
		case rtRate:
			rt.Rate500K = f[0]
		case rtChannel:
			rt.FreqMHz = binary.LittleEndian.Uint16(f)
			rt.ChanFlags = binary.LittleEndian.Uint16(f[2:])
		case rtSignal:
			rt.SignalDBm, rt.HasSignal = int8(f[0]), true
		case rtNoise:
			rt.NoiseDBm, rt.HasNoise = int8(f[0]), true
		}
		off += size
	}
	frame := b[hlen:]
	if rt.Flags&RadiotapFlagFCS != 0 {
		if len(frame) < 4 {
			return rt, nil, errRadiotapShort
		}
		frame = frame[:len(frame)-4]
	}
	return rt, frame, nil
}
