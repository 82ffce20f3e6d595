// SPDX-License-Identifier: MIT

package frames

import "fmt"

// Information element IDs used by the userspace MACs.
const (
	IESSID           = 0
	IESupportedRates = 1
	IEDSParams       = 3
	IETIM            = 5
	IEExtRates       = 50
)

// MaxSSIDLen is the longest SSID an SSID element carries.
const MaxSSIDLen = 32

// Rates24 are the 802.11g rates in 500 kb/s units: 1, 2, 5.5 and 11 Mb/s
// marked basic (0x80), then 6..54 Mb/s OFDM.
var Rates24 = []uint8{0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24, 0x30, 0x48, 0x60, 0x6c}

// AppendIE appends an element with the given ID and data. An element holds
// at most 255 data bytes; longer data is truncated to 255 so the output is
// always a well-formed element (callers build IEs from bounded inputs).
func AppendIE(dst []byte, id uint8, data []byte) []byte {
	if len(data) > 255 {
		data = data[:255]
	}
	dst = append(dst, id, uint8(len(data)))
	return append(dst, data...)
}

// AppendSSID appends an SSID element. An empty ssid is the wildcard SSID
// used in probe requests. SSIDs longer than 32 bytes are truncated to 32.
func AppendSSID(dst []byte, ssid string) []byte {
	if len(ssid) > MaxSSIDLen {
		ssid = ssid[:MaxSSIDLen]
	}
	dst = append(dst, IESSID, uint8(len(ssid)))
	return append(dst, ssid...)
}

// AppendRates appends a Supported Rates element with the first 8 rates and,
// if there are more, an Extended Supported Rates element with the rest (up
// to 255). Rates are in 500 kb/s units, with 0x80 marking a basic rate.
// Nothing is appended for an empty list.
func AppendRates(dst []byte, rates []uint8) []byte {
	if len(rates) == 0 {
		return dst
	}
	first := rates
	if len(first) > 8 {
		first = first[:8]
	}
	dst = AppendIE(dst, IESupportedRates, first)
	if len(rates) > 8 {
		dst = AppendIE(dst, IEExtRates, rates[8:])
	}
	return dst
}

// AppendDSParams appends a DS Parameter Set element announcing the channel.
func AppendDSParams(dst []byte, channel uint8) []byte {
	return append(dst, IEDSParams, 1, channel)
}

// AppendTIM appends a Traffic Indication Map element. An empty partial
// bitmap is encoded as the single zero octet the standard requires.
func AppendTIM(dst []byte, dtimCount, dtimPeriod, bitmapControl uint8, partialBitmap []byte) []byte {
	if len(partialBitmap) > 251 {
		partialBitmap = partialBitmap[:251]
	}
	if len(partialBitmap) == 0 {
		return append(dst, IETIM, 4, dtimCount, dtimPeriod, bitmapControl, 0)
	}
	dst = append(dst, IETIM, uint8(3+len(partialBitmap)), dtimCount, dtimPeriod, bitmapControl)
	return append(dst, partialBitmap...)
}

var errIETruncated = fmt.Errorf("%w: information element truncated", ErrMalformed)

// IterIEs calls fn for each element in ies, in order, until fn returns
// false. It returns an error wrapping ErrMalformed if an element's length
// runs past the end of ies (elements before it have been visited). It never
// allocates.
func IterIEs(ies []byte, fn func(id uint8, data []byte) bool) error {
	for len(ies) > 0 {
		if len(ies) < 2 {
			return errIETruncated
		}
		n := int(ies[1]) + 2
		if n > len(ies) {
			return errIETruncated
		}
		if !fn(ies[0], ies[2:n:n]) {
			return nil
		}
		ies = ies[n:]
	}
	return nil
}

// FindIE returns the data of the first element with the given ID. Elements
// after a truncated one are not searched.
func FindIE(ies []byte, id uint8) ([]byte, bool) {
	for len(ies) >= 2 {
		n := int(ies[1]) + 2
		if n > len(ies) {
			return nil, false
		}
		if ies[0] == id {
			return ies[2:n:n], true
		}
		ies = ies[n:]
	}
	return nil, false
}

// ChannelToFreq returns the centre frequency in MHz of a 2.4 GHz (1..14) or
// 5 GHz (36..177) channel number, or 0 for any other number.
func ChannelToFreq(ch uint8) uint32 {
	switch {
	case ch >= 1 && ch <= 13:
		return 2407 + 5*uint32(ch)
	case ch == 14:
		return 2484
	case ch >= 36 && ch <= 177:
		return 5000 + 5*uint32(ch)
	}
	return 0
}

// FreqToChannel is the inverse of ChannelToFreq; 0 for a frequency that is
// not the centre of a channel it knows.
func FreqToChannel(mhz uint32) uint8 {
	switch {
	case mhz == 2484:
		return 14
	case mhz >= 2412 && mhz <= 2472 && (mhz-2407)%5 == 0:
		return uint8((mhz - 2407) / 5)
	case mhz >= 5180 && mhz <= 5885 && mhz%5 == 0:
		return uint8((mhz - 5000) / 5)
	}
	return 0
}
