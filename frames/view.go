// SPDX-License-Identifier: MIT

// Package frames is vmedium's 802.11 codec: a zero-allocation view over an
// MPDU, builders for the management and data frames the userspace MACs send,
// Ethernet ⇄ 802.11 data conversion, radiotap headers and a pcap writer.
//
// The view is hand-written rather than gopacket's layers.Dot11 because it runs
// once per frame on the medium's hot path: gopacket's decoder allocates a
// layer struct and copies addresses per packet, while the medium only needs a
// few header fields read in place. gopacket is still used to check the
// builders in tests and for pcap writing.
package frames

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MAC is a 48-bit IEEE 802 address, comparable and usable as a map key.
type MAC [6]byte

// Broadcast is ff:ff:ff:ff:ff:ff.
var Broadcast = MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// IsGroup reports whether m is a group (broadcast or multicast) address.
func (m MAC) IsGroup() bool { return m[0]&1 == 1 }

// IsBroadcast reports whether m is ff:ff:ff:ff:ff:ff.
func (m MAC) IsBroadcast() bool { return m == Broadcast }

// IsZero reports whether m is 00:00:00:00:00:00.
func (m MAC) IsZero() bool { return m == MAC{} }

const hexDigits = "0123456789abcdef"

// String formats m as aa:bb:cc:dd:ee:ff.
func (m MAC) String() string {
	var b [17]byte
	for i, v := range m {
		if i > 0 {
			b[i*3-1] = ':'
		}
		b[i*3] = hexDigits[v>>4]
		b[i*3+1] = hexDigits[v&0xf]
	}
	return string(b[:])
}

// ParseMAC parses aa:bb:cc:dd:ee:ff (or with '-' separators).
func ParseMAC(s string) (MAC, error) {
	var m MAC
	if len(s) != 17 {
		return m, fmt.Errorf("invalid MAC address %q: want 6 hex bytes like 02:00:00:00:01:00", s)
	}
	for i := 0; i < 6; i++ {
		if i > 0 && s[i*3-1] != ':' && s[i*3-1] != '-' {
			return m, fmt.Errorf("invalid MAC address %q: want 6 hex bytes like 02:00:00:00:01:00", s)
		}
		hi, ok1 := unhex(s[i*3])
		lo, ok2 := unhex(s[i*3+1])
		if !ok1 || !ok2 {
			return m, fmt.Errorf("invalid MAC address %q: want 6 hex bytes like 02:00:00:00:01:00", s)
		}
		m[i] = hi<<4 | lo
	}
	return m, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// MarshalText implements encoding.TextMarshaler (JSON/YAML as a string).
func (m MAC) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (m *MAC) UnmarshalText(b []byte) error {
	v, err := ParseMAC(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Frame types (frame control bits 2–3).
const (
	TypeMgmt uint8 = 0
	TypeCtrl uint8 = 1
	TypeData uint8 = 2
	TypeExt  uint8 = 3
)

// Management subtypes.
const (
	SubtypeAssocReq    uint8 = 0
	SubtypeAssocResp   uint8 = 1
	SubtypeReassocReq  uint8 = 2
	SubtypeReassocResp uint8 = 3
	SubtypeProbeReq    uint8 = 4
	SubtypeProbeResp   uint8 = 5
	SubtypeBeacon      uint8 = 8
	SubtypeDisassoc    uint8 = 10
	SubtypeAuth        uint8 = 11
	SubtypeDeauth      uint8 = 12
	SubtypeAction      uint8 = 13
)

// Data subtypes used here.
const (
	SubtypeData    uint8 = 0
	SubtypeNull    uint8 = 4
	SubtypeQoSData uint8 = 8
	SubtypeQoSNull uint8 = 12
)

// Control subtypes used here.
const (
	SubtypeACK uint8 = 13
)

// Frame control flag bits (second octet).
const (
	FlagToDS      uint8 = 0x01
	FlagFromDS    uint8 = 0x02
	FlagMoreFrag  uint8 = 0x04
	FlagRetry     uint8 = 0x08
	FlagPwrMgt    uint8 = 0x10
	FlagMoreData  uint8 = 0x20
	FlagProtected uint8 = 0x40
	FlagOrder     uint8 = 0x80
)

// MaxMPDU is the largest frame the medium carries (IEEE80211_MAX_DATA_LEN).
const MaxMPDU = 2304

// ErrMalformed is wrapped by every parse error, so callers can count
// malformed frames with errors.Is.
var ErrMalformed = errors.New("malformed 802.11 frame")

// Frame is a read-only view over an 802.11 MPDU (no FCS, no radiotap). It
// never copies: accessors read the underlying bytes, which the caller must
// keep unchanged while the view is used. The zero Frame is invalid.
type Frame struct {
	b      []byte
	hdrLen int
}

// Parse validates the header of b and returns a view over it. It checks that
// the buffer is long enough for the header its frame control announces.
// It never allocates.
func Parse(b []byte) (Frame, error) {
	if len(b) < 10 {
		return Frame{}, errMalformedShort
	}
	if b[0]&0x03 != 0 { // protocol version must be 0
		return Frame{}, errMalformedVersion
	}
	n := headerLen(b[0], b[1])
	if n == 0 {
		return Frame{}, errMalformedType
	}
	if len(b) < n {
		return Frame{}, errMalformedShort
	}
	if len(b) > MaxMPDU+64 { // header + 2304 body is the most any PHY carries
		return Frame{}, errMalformedLong
	}
	return Frame{b: b, hdrLen: n}, nil
}

// Preallocated so Parse does not allocate on bad input either.
var (
	errMalformedShort   = fmt.Errorf("%w: too short for its header", ErrMalformed)
	errMalformedVersion = fmt.Errorf("%w: protocol version is not 0", ErrMalformed)
	errMalformedType    = fmt.Errorf("%w: unknown frame type or subtype", ErrMalformed)
	errMalformedLong    = fmt.Errorf("%w: longer than the largest MPDU", ErrMalformed)
)

// headerLen returns the MAC header length announced by the frame control
// field, or 0 for a reserved/unknown combination.
func headerLen(fc0, fc1 byte) int {
	typ := (fc0 >> 2) & 3
	sub := fc0 >> 4
	switch typ {
	case TypeMgmt:
		n := 24
		if fc1&FlagOrder != 0 {
			n += 4 // HT control
		}
		return n
	case TypeCtrl:
		switch sub {
		case 13, 12: // ACK, CTS: FC, duration, RA
			return 10
		case 8, 9, 10, 11, 14, 15, 4, 5: // BAR, BA, PS-Poll, RTS, CF-End(+ack), beamforming, NDPA: FC, dur, RA, TA
			return 16
		case 6: // control wrapper
			return 16
		case 7: // control frame extension
			return 10
		}
		return 0
	case TypeData:
		n := 24
		if fc1&(FlagToDS|FlagFromDS) == FlagToDS|FlagFromDS {
			n += 6
		}
		if sub&0x8 != 0 { // QoS subtypes
			n += 2
			if fc1&FlagOrder != 0 {
				n += 4
			}
		}
		return n
	case TypeExt:
		return 0
	}
	return 0
}

// Bytes returns the whole frame.
func (f Frame) Bytes() []byte { return f.b }

// Len returns the frame's length in bytes.
func (f Frame) Len() int { return len(f.b) }

// HeaderLen returns the MAC header length (including QoS/HT control).
func (f Frame) HeaderLen() int { return f.hdrLen }

// Body returns the frame body after the MAC header.
func (f Frame) Body() []byte { return f.b[f.hdrLen:] }

// FrameControl returns the two frame control octets as a little-endian uint16.
func (f Frame) FrameControl() uint16 { return binary.LittleEndian.Uint16(f.b) }

// Type returns the frame type (TypeMgmt, TypeCtrl, TypeData).
func (f Frame) Type() uint8 { return (f.b[0] >> 2) & 3 }

// Subtype returns the frame subtype.
func (f Frame) Subtype() uint8 { return f.b[0] >> 4 }

// Flags returns the second frame control octet.
func (f Frame) Flags() uint8 { return f.b[1] }

// ToDS reports the To DS bit.
func (f Frame) ToDS() bool { return f.b[1]&FlagToDS != 0 }

// FromDS reports the From DS bit.
func (f Frame) FromDS() bool { return f.b[1]&FlagFromDS != 0 }

// Protected reports the Protected Frame bit.
func (f Frame) Protected() bool { return f.b[1]&FlagProtected != 0 }

// Retry reports the Retry bit.
func (f Frame) Retry() bool { return f.b[1]&FlagRetry != 0 }

// IsMgmt, IsData, IsCtrl test the frame type.
func (f Frame) IsMgmt() bool { return f.Type() == TypeMgmt }
func (f Frame) IsData() bool { return f.Type() == TypeData }
func (f Frame) IsCtrl() bool { return f.Type() == TypeCtrl }

// IsQoS reports a QoS data subtype.
func (f Frame) IsQoS() bool { return f.Type() == TypeData && f.Subtype()&0x8 != 0 }

// Duration returns the duration/ID field.
func (f Frame) Duration() uint16 { return binary.LittleEndian.Uint16(f.b[2:]) }

func (f Frame) addr(off int) MAC {
	var m MAC
	if off+6 <= f.hdrLen {
		copy(m[:], f.b[off:off+6])
	}
	return m
}

// Addr1 is the receiver address (RA). Every frame has it.
func (f Frame) Addr1() MAC { return f.addr(4) }

// Addr2 is the transmitter address (TA); zero for ACK/CTS.
func (f Frame) Addr2() MAC { return f.addr(10) }

// Addr3 is the third address (BSSID, DA or SA depending on DS bits).
func (f Frame) Addr3() MAC {
	if f.Type() == TypeCtrl {
		return MAC{}
	}
	return f.addr(16)
}

// Addr4 is present only in data frames with both DS bits set.
func (f Frame) Addr4() MAC {
	if f.Type() == TypeData && f.ToDS() && f.FromDS() {
		return f.addr(24)
	}
	return MAC{}
}

// SequenceControl returns the raw sequence control field (0 for control frames).
func (f Frame) SequenceControl() uint16 {
	if f.Type() == TypeCtrl {
		return 0
	}
	return binary.LittleEndian.Uint16(f.b[22:])
}

// Sequence returns the 12-bit sequence number.
func (f Frame) Sequence() uint16 { return f.SequenceControl() >> 4 }

// Fragment returns the 4-bit fragment number.
func (f Frame) Fragment() uint8 { return uint8(f.SequenceControl() & 0xf) }

// QoSControl returns the QoS control field of QoS data frames (else 0).
func (f Frame) QoSControl() uint16 {
	if !f.IsQoS() {
		return 0
	}
	off := 24
	if f.ToDS() && f.FromDS() {
		off = 30
	}
	return binary.LittleEndian.Uint16(f.b[off:])
}

// TID returns the traffic identifier of a QoS data frame.
func (f Frame) TID() uint8 { return uint8(f.QoSControl() & 0xf) }

// RA is the receiver address (addr1).
func (f Frame) RA() MAC { return f.Addr1() }

// TA is the transmitter address (addr2).
func (f Frame) TA() MAC { return f.Addr2() }

// DA is the final destination, resolved from the DS bits.
func (f Frame) DA() MAC {
	if f.Type() != TypeData {
		return f.Addr1()
	}
	if f.ToDS() {
		return f.Addr3()
	}
	return f.Addr1()
}

// SA is the original source, resolved from the DS bits.
func (f Frame) SA() MAC {
	if f.Type() != TypeData {
		return f.Addr2()
	}
	switch {
	case f.ToDS() && f.FromDS():
		return f.Addr4()
	case f.FromDS():
		return f.Addr3()
	}
	return f.Addr2()
}

// BSSID resolved from the DS bits; zero for WDS/mesh (both bits set).
func (f Frame) BSSID() MAC {
	if f.Type() == TypeCtrl {
		return MAC{}
	}
	if f.Type() != TypeData {
		return f.Addr3()
	}
	switch {
	case f.ToDS() && f.FromDS():
		return MAC{}
	case f.ToDS():
		return f.Addr1()
	case f.FromDS():
		return f.Addr2()
	}
	return f.Addr3()
}
