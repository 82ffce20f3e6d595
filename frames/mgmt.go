// SPDX-License-Identifier: MIT

package frames

import (
	"encoding/binary"
	"fmt"
)

// Capability information bits used by the userspace MACs.
const (
	CapESS           uint16 = 0x0001
	CapIBSS          uint16 = 0x0002
	CapPrivacy       uint16 = 0x0010
	CapShortPreamble uint16 = 0x0020
	CapShortSlot     uint16 = 0x0400
)

// Status codes (IEEE 802.11-2020 table 9-80) used by the userspace MACs.
const (
	StatusSuccess               uint16 = 0
	StatusUnspecified           uint16 = 1
	StatusCapsUnsupported       uint16 = 10
	StatusReassocNoAssoc        uint16 = 11
	StatusAssocDeniedUnspec     uint16 = 12
	StatusNotSupportedAuthAlg   uint16 = 13
	StatusUnknownAuthTrans      uint16 = 14
	StatusChallengeFail         uint16 = 15
	StatusAuthTimeout           uint16 = 16
	StatusAPUnableToHandleSTA   uint16 = 17
	StatusAssocDeniedRates      uint16 = 18
	StatusRefusedTemporarily    uint16 = 30
	StatusInvalidIE             uint16 = 40
	StatusUnsupportedRSNVersion uint16 = 44
)

// Reason codes (IEEE 802.11-2020 table 9-49) for deauthentication and
// disassociation.
const (
	ReasonUnspecified        uint16 = 1
	ReasonPrevAuthNotValid   uint16 = 2
	ReasonDeauthLeaving      uint16 = 3
	ReasonInactivity         uint16 = 4
	ReasonAPBusy             uint16 = 5
	ReasonClass2FromNonAuth  uint16 = 6
	ReasonClass3FromNonAssoc uint16 = 7
	ReasonDisassocLeaving    uint16 = 8
	ReasonNotAuthenticated   uint16 = 9
)

// Authentication algorithm numbers.
const (
	AuthOpenSystem uint16 = 0
	AuthSharedKey  uint16 = 1
	AuthSAE        uint16 = 3
)

// MgmtHeader holds the addresses and sequence number of a management frame:
// addr1 = DA, addr2 = SA, addr3 = BSSID. Seq is the 12-bit sequence number
// (the fragment number is always 0).
type MgmtHeader struct {
	DA, SA, BSSID MAC
	Seq           uint16
}

// appendMgmtHeader appends the 24-byte management header for subtype.
// Duration is left 0: the medium does not model NAV.
func appendMgmtHeader(dst []byte, subtype uint8, h MgmtHeader) []byte {
	dst = append(dst, subtype<<4|TypeMgmt<<2, 0, 0, 0)
	dst = append(dst, h.DA[:]...)
	dst = append(dst, h.SA[:]...)
	dst = append(dst, h.BSSID[:]...)
	return binary.LittleEndian.AppendUint16(dst, h.Seq<<4)
}

func appendBeaconLike(dst []byte, subtype uint8, h MgmtHeader, timestamp uint64, intervalTU, capability uint16, ies []byte) []byte {
	dst = appendMgmtHeader(dst, subtype, h)
	dst = binary.LittleEndian.AppendUint64(dst, timestamp)
	dst = binary.LittleEndian.AppendUint16(dst, intervalTU)
	dst = binary.LittleEndian.AppendUint16(dst, capability)
	return append(dst, ies...)
}

// AppendBeacon appends a beacon: timestamp (µs), beacon interval (TU),
// capability, then the elements ies (build them with the IE helpers).
func AppendBeacon(dst []byte, h MgmtHeader, timestamp uint64, intervalTU, capability uint16, ies []byte) []byte {
	return appendBeaconLike(dst, SubtypeBeacon, h, timestamp, intervalTU, capability, ies)
}

// AppendProbeResponse appends a probe response; same body as a beacon.
func AppendProbeResponse(dst []byte, h MgmtHeader, timestamp uint64, intervalTU, capability uint16, ies []byte) []byte {
	return appendBeaconLike(dst, SubtypeProbeResp, h, timestamp, intervalTU, capability, ies)
}

// AppendProbeRequest appends a probe request whose body is just ies
// (SSID — possibly the wildcard — and rates).
func AppendProbeRequest(dst []byte, h MgmtHeader, ies []byte) []byte {
	dst = appendMgmtHeader(dst, SubtypeProbeReq, h)
	return append(dst, ies...)
}

// AppendAuth appends an authentication frame (open system: algorithm 0,
// transaction 1 from the STA, 2 from the AP).
func AppendAuth(dst []byte, h MgmtHeader, algorithm, transaction, status uint16) []byte {
	dst = appendMgmtHeader(dst, SubtypeAuth, h)
	dst = binary.LittleEndian.AppendUint16(dst, algorithm)
	dst = binary.LittleEndian.AppendUint16(dst, transaction)
	return binary.LittleEndian.AppendUint16(dst, status)
}

// AppendAssocRequest appends an association request.
func AppendAssocRequest(dst []byte, h MgmtHeader, capability, listenInterval uint16, ies []byte) []byte {
	dst = appendMgmtHeader(dst, SubtypeAssocReq, h)
	dst = binary.LittleEndian.AppendUint16(dst, capability)
	dst = binary.LittleEndian.AppendUint16(dst, listenInterval)
	return append(dst, ies...)
}

// AppendAssocResponse appends an association response. aid is the plain
// association ID (1..2007); bits 14 and 15 are set on the wire as the
// standard requires.
func AppendAssocResponse(dst []byte, h MgmtHeader, capability, status, aid uint16, ies []byte) []byte {
	dst = appendMgmtHeader(dst, SubtypeAssocResp, h)
	dst = binary.LittleEndian.AppendUint16(dst, capability)
	dst = binary.LittleEndian.AppendUint16(dst, status)
	dst = binary.LittleEndian.AppendUint16(dst, aid|0xc000)
	return append(dst, ies...)
}

// AppendDeauth appends a deauthentication frame with a reason code.
func AppendDeauth(dst []byte, h MgmtHeader, reason uint16) []byte {
	dst = appendMgmtHeader(dst, SubtypeDeauth, h)
	return binary.LittleEndian.AppendUint16(dst, reason)
}

// AppendDisassoc appends a disassociation frame with a reason code.
func AppendDisassoc(dst []byte, h MgmtHeader, reason uint16) []byte {
	dst = appendMgmtHeader(dst, SubtypeDisassoc, h)
	return binary.LittleEndian.AppendUint16(dst, reason)
}

// Preallocated so the parsers do not allocate on bad input.
var (
	errNotBeacon    = fmt.Errorf("%w: not a beacon or probe response", ErrMalformed)
	errNotAuth      = fmt.Errorf("%w: not an authentication frame", ErrMalformed)
	errNotAssocReq  = fmt.Errorf("%w: not an (re)association request", ErrMalformed)
	errNotAssocResp = fmt.Errorf("%w: not an (re)association response", ErrMalformed)
	errNotReason    = fmt.Errorf("%w: not a deauthentication or disassociation frame", ErrMalformed)
	errShortBody    = fmt.Errorf("%w: management body too short for its fixed fields", ErrMalformed)
	errProtected    = fmt.Errorf("%w: body is protected (encrypted)", ErrMalformed)
)

// mgmtBody returns the body of a management frame of one of the two given
// subtypes, checked to hold at least min bytes and not to be encrypted.
func (f Frame) mgmtBody(sub1, sub2 uint8, min int, wrong error) ([]byte, error) {
	if len(f.b) == 0 || f.Type() != TypeMgmt || (f.Subtype() != sub1 && f.Subtype() != sub2) {
		return nil, wrong
	}
	if f.Protected() {
		return nil, errProtected
	}
	body := f.Body()
	if len(body) < min {
		return nil, errShortBody
	}
	return body, nil
}

// BeaconFields returns the fixed fields and elements of a beacon or probe
// response.
func (f Frame) BeaconFields() (timestamp uint64, intervalTU, capability uint16, ies []byte, err error) {
	b, err := f.mgmtBody(SubtypeBeacon, SubtypeProbeResp, 12, errNotBeacon)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint16(b[8:]), binary.LittleEndian.Uint16(b[10:]), b[12:], nil
}

// AuthFields returns the algorithm, transaction sequence number and status
// of an authentication frame. Trailing elements (shared key challenge,
// SAE) are not returned.
func (f Frame) AuthFields() (algorithm, transaction, status uint16, err error) {
	b, err := f.mgmtBody(SubtypeAuth, SubtypeAuth, 6, errNotAuth)
	if err != nil {
		return 0, 0, 0, err
	}
	return binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:]), binary.LittleEndian.Uint16(b[4:]), nil
}

// AssocReqFields returns capability, listen interval and elements of an
// association or reassociation request (the reassociation request's
// current AP address is skipped).
func (f Frame) AssocReqFields() (capability, listenInterval uint16, ies []byte, err error) {
	b, err := f.mgmtBody(SubtypeAssocReq, SubtypeReassocReq, 4, errNotAssocReq)
	if err != nil {
		return 0, 0, nil, err
	}
	ies = b[4:]
	if f.Subtype() == SubtypeReassocReq {
		if len(b) < 10 {
			return 0, 0, nil, errShortBody
		}
		ies = b[10:]
	}
	return binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:]), ies, nil
}

// AssocRespFields returns capability, status, association ID (bits 14–15
// cleared) and elements of an association or reassociation response.
func (f Frame) AssocRespFields() (capability, status, aid uint16, ies []byte, err error) {
	b, err := f.mgmtBody(SubtypeAssocResp, SubtypeReassocResp, 6, errNotAssocResp)
	if err != nil {
		return 0, 0, 0, nil, err
	}
	return binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint16(b[2:]), binary.LittleEndian.Uint16(b[4:]) &^ 0xc000, b[6:], nil
}

// ReasonCode returns the reason code of a deauthentication or
// disassociation frame.
func (f Frame) ReasonCode() (uint16, error) {
	b, err := f.mgmtBody(SubtypeDeauth, SubtypeDisassoc, 2, errNotReason)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

// ProbeReqIEs returns the elements of a probe request, or nil for any other
// frame.
func (f Frame) ProbeReqIEs() []byte {
	if len(f.b) == 0 || f.Type() != TypeMgmt || f.Subtype() != SubtypeProbeReq {
		return nil
	}
	return f.Body()
}
