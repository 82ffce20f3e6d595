// SPDX-License-Identifier: MIT

package frames

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DataHeaderLen is the length of a non-QoS three-address data header.
const DataHeaderLen = 24

// DataHeaderLen4 is the length of a non-QoS four-address (WDS) data
// header: the three-address header plus Address 4.
const DataHeaderLen4 = DataHeaderLen + 6

// LLCSNAPLen is the length of the LLC/SNAP header in front of an MSDU.
const LLCSNAPLen = 8

// EthHeaderLen is the length of an Ethernet II header (no VLAN tag: a tag
// travels as ethertype 0x8100 plus payload).
const EthHeaderLen = 14

// Ethertypes that RFC 1042 sends with the bridge-tunnel OUI 00:00:f8
// (IEEE 802.1H) instead of 00:00:00, so receivers can tell them from the
// 802.3 frames that carry them natively.
const (
	EtherTypeAARP = 0x80f3
	EtherTypeIPX  = 0x8137
)

// DataHeader describes a non-QoS data frame header. The caller fills the
// addresses for its DS direction:
//
//	ToDS:    Addr1=BSSID Addr2=SA    Addr3=DA
//	FromDS:  Addr1=DA    Addr2=BSSID Addr3=SA
//	neither: Addr1=DA    Addr2=SA    Addr3=BSSID
//	both:    Addr1=RA    Addr2=TA    Addr3=DA    Addr4=SA
//
// Both bits set is the four-address (WDS) format: it carries the original
// source and final destination besides the transmitter and receiver, so a
// station can send frames of hosts bridged behind it (SA ≠ TA) and an AP
// can send it frames for them (DA ≠ RA). Addr4 is used only then.
type DataHeader struct {
	ToDS, FromDS        bool
	Addr1, Addr2, Addr3 MAC
	Addr4               MAC
	Seq                 uint16
}

// Len returns the header's length: DataHeaderLen4 with both DS bits set,
// DataHeaderLen otherwise.
func (h *DataHeader) Len() int {
	if h.ToDS && h.FromDS {
		return DataHeaderLen4
	}
	return DataHeaderLen
}

// AppendDataHeader appends the header of a Data (subtype 0) frame: 24
// bytes, or 30 with both DS bits set (Addr4 follows sequence control).
// Sequence control is Seq<<4; duration is 0.
func AppendDataHeader(dst []byte, h DataHeader) []byte {
	var flags uint8
	if h.ToDS {
		flags |= FlagToDS
	}
	if h.FromDS {
		flags |= FlagFromDS
	}
	dst = append(dst, SubtypeData<<4|TypeData<<2, flags, 0, 0)
	dst = append(dst, h.Addr1[:]...)
	dst = append(dst, h.Addr2[:]...)
	dst = append(dst, h.Addr3[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, h.Seq<<4)
	if h.ToDS && h.FromDS {
		dst = append(dst, h.Addr4[:]...)
	}
	return dst
}

// ErrEthernet is wrapped by EthernetToData's errors (bad Ethernet input, as
// opposed to ErrMalformed for bad 802.11 input).
var ErrEthernet = errors.New("cannot convert Ethernet frame to 802.11")

// EthernetToData appends to dst an 802.11 data frame carrying the Ethernet
// II frame eth (dst MAC, src MAC, ethertype, payload) behind an LLC/SNAP
// header (RFC 1042; bridge-tunnel for AARP and IPX). Addresses come from h,
// not from eth: the caller maps them for its DS direction (see DataHeader).
// It fails without touching dst if eth is shorter than 14 bytes, carries an
// 802.3 length instead of an ethertype, or the frame would exceed MaxMPDU.
// It does not allocate when dst has capacity.
func EthernetToData(dst []byte, h DataHeader, eth []byte) ([]byte, error) {
	if len(eth) < EthHeaderLen {
		return dst, fmt.Errorf("%w: %d bytes is shorter than the 14-byte Ethernet header", ErrEthernet, len(eth))
	}
	etype := binary.BigEndian.Uint16(eth[12:])
	if etype < 0x0600 {
		return dst, fmt.Errorf("%w: 802.3 length field %#04x: only Ethernet II frames (ethertype >= 0x0600) are accepted", ErrEthernet, etype)
	}
	payload := eth[EthHeaderLen:]
	if n := h.Len() + LLCSNAPLen + len(payload); n > MaxMPDU {
		return dst, fmt.Errorf("%w: %d-byte payload makes a %d-byte frame, more than the %d-byte MPDU limit", ErrEthernet, len(payload), n, MaxMPDU)
	}
	dst = AppendDataHeader(dst, h)
	oui2 := byte(0x00)
	if etype == EtherTypeAARP || etype == EtherTypeIPX {
		oui2 = 0xf8
	}
	dst = append(dst, 0xaa, 0xaa, 0x03, 0x00, 0x00, oui2, eth[12], eth[13])
	return append(dst, payload...), nil
}

// Preallocated so DataToEthernet does not allocate on bad input.
var (
	errNotData    = fmt.Errorf("%w: not a data frame", ErrMalformed)
	errNoBody     = fmt.Errorf("%w: data subtype without a body (null function)", ErrMalformed)
	errDataProt   = fmt.Errorf("%w: data frame is protected (encrypted)", ErrMalformed)
	errNoSNAP     = fmt.Errorf("%w: data body does not start with an LLC/SNAP header", ErrMalformed)
	errAMSDU      = fmt.Errorf("%w: A-MSDU data frames are not supported", ErrMalformed)
	errFragmented = fmt.Errorf("%w: fragmented data frames are not supported", ErrMalformed)
)

// DataToEthernet appends to dst the Ethernet II frame carried by data frame
// f: destination and source resolved from the DS bits (f.DA, f.SA), the
// ethertype from the LLC/SNAP header (RFC 1042 or bridge-tunnel OUI). QoS
// data is handled (the view knows its header length). Errors wrap
// ErrMalformed for non-data, null/no-body, protected, A-MSDU, fragmented
// frames and bodies without LLC/SNAP. It does not allocate when dst has
// capacity.
func DataToEthernet(dst []byte, f Frame) ([]byte, error) {
	if len(f.b) == 0 || f.Type() != TypeData {
		return dst, errNotData
	}
	if f.Subtype()&0x4 != 0 { // Null, CF-Poll, CF-Ack+Poll, QoS Null...: no frame body
		return dst, errNoBody
	}
	if f.Protected() {
		return dst, errDataProt
	}
	if f.Flags()&FlagMoreFrag != 0 || f.Fragment() != 0 {
		return dst, errFragmented
	}
	if f.IsQoS() && f.QoSControl()&0x80 != 0 {
		return dst, errAMSDU
	}
	body := f.Body()
	if len(body) < LLCSNAPLen || body[0] != 0xaa || body[1] != 0xaa || body[2] != 0x03 ||
		body[3] != 0 || body[4] != 0 || (body[5] != 0 && body[5] != 0xf8) {
		return dst, errNoSNAP
	}
	da, sa := f.DA(), f.SA()
	dst = append(dst, da[:]...)
	dst = append(dst, sa[:]...)
	dst = append(dst, body[6], body[7])
	return append(dst, body[LLCSNAPLen:]...), nil
}
