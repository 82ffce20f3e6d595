// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vmedium/vmedium/frames"
)

// EtherTypeEAPOL is the ethertype of 802.1X (EAPOL) frames.
const EtherTypeEAPOL = 0x888e

// EAPOL packet type of EAPOL-Key frames and the RSN key descriptor type.
const (
	eapolTypeKey      = 3
	descriptorTypeRSN = 2
)

// KeyInfo is the Key Information field of an EAPOL-Key frame.
type KeyInfo uint16

// Key Information bits (IEEE 802.11 Figure 12-33).
const (
	KeyInfoVersionMask KeyInfo = 0x0007 // key descriptor version
	KeyInfoPairwise    KeyInfo = 0x0008 // key type: 1 pairwise, 0 group
	KeyInfoInstall     KeyInfo = 0x0040
	KeyInfoAck         KeyInfo = 0x0080
	KeyInfoMIC         KeyInfo = 0x0100
	KeyInfoSecure      KeyInfo = 0x0200
	KeyInfoError       KeyInfo = 0x0400
	KeyInfoRequest     KeyInfo = 0x0800
	KeyInfoEncrypted   KeyInfo = 0x1000 // encrypted key data
)

// KeyDescriptorV2 is key descriptor version 2: HMAC-SHA1-128 MIC and AES
// key wrap, the version of CCMP with AKM PSK.
const KeyDescriptorV2 KeyInfo = 2

// Version returns the key descriptor version bits.
func (k KeyInfo) Version() KeyInfo { return k & KeyInfoVersionMask }

// Has reports whether all bits of b are set.
func (k KeyInfo) Has(b KeyInfo) bool { return k&b == b }

// Layout of an EAPOL-Key frame (802.1X header, then the key descriptor).
const (
	offDescType  = 4
	offKeyInfo   = 5
	offKeyLen    = 7
	offReplay    = 9
	offNonce     = 17
	offIV        = 49
	offRSC       = 65
	offMIC       = 81
	offDataLen   = 97
	EAPOLKeyLen  = 99 // without key data
	MICLen       = 16
	eapolHdrLen  = 4
	maxKeyDataLn = 1024
)

// EAPOLKey is a decoded EAPOL-Key frame (RSN key descriptor).
type EAPOLKey struct {
	ProtocolVersion uint8 // 802.1X version: 1 (2001), 2 (2004) or 3 (2010)
	Info            KeyInfo
	KeyLen          uint16
	ReplayCounter   uint64
	Nonce           Nonce
	IV              [16]byte
	RSC             uint64 // receive sequence counter (PN) of the key, little-endian on the air
	MIC             [MICLen]byte
	Data            []byte // key data (still wrapped when KeyInfoEncrypted)
}

// ErrEAPOL is wrapped by EAPOL-Key parse errors; parse errors also wrap
// frames.ErrMalformed.
var ErrEAPOL = errors.New("invalid EAPOL-Key frame")

func eapolErr(format string, a ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrEAPOL, frames.ErrMalformed, fmt.Sprintf(format, a...))
}

// ParseEAPOLKey decodes an EAPOL frame (the payload after the ethertype
// 0x888e) that must be an EAPOL-Key frame with the RSN descriptor. Data
// aliases b. Bytes after the 802.1X body length are ignored (padding).
func ParseEAPOLKey(b []byte) (EAPOLKey, error) {
	var k EAPOLKey
	if len(b) < eapolHdrLen {
		return k, eapolErr("%d bytes: shorter than the 4-byte 802.1X header", len(b))
	}
	k.ProtocolVersion = b[0]
	if k.ProtocolVersion < 1 || k.ProtocolVersion > 3 {
		return k, eapolErr("802.1X version %d: accepted are 1 to 3", k.ProtocolVersion)
	}
	if b[1] != eapolTypeKey {
		return k, eapolErr("802.1X packet type %d: only EAPOL-Key (3) is handled", b[1])
	}
	body := int(binary.BigEndian.Uint16(b[2:]))
	if eapolHdrLen+body > len(b) {
		return k, eapolErr("802.1X body length %d runs past the %d-byte frame", body, len(b))
	}
	b = b[:eapolHdrLen+body]
	if len(b) < EAPOLKeyLen {
		return k, eapolErr("%d bytes: shorter than the %d-byte EAPOL-Key descriptor", len(b), EAPOLKeyLen)
	}
	if b[offDescType] != descriptorTypeRSN {
		return k, eapolErr("key descriptor type %d: only RSN (2) is handled", b[offDescType])
	}
	k.Info = KeyInfo(binary.BigEndian.Uint16(b[offKeyInfo:]))
	k.KeyLen = binary.BigEndian.Uint16(b[offKeyLen:])
	k.ReplayCounter = binary.BigEndian.Uint64(b[offReplay:])
	copy(k.Nonce[:], b[offNonce:])
	copy(k.IV[:], b[offIV:])
	k.RSC = binary.LittleEndian.Uint64(b[offRSC:])
	copy(k.MIC[:], b[offMIC:])
	n := int(binary.BigEndian.Uint16(b[offDataLen:]))
	if EAPOLKeyLen+n > len(b) {
		return k, eapolErr("key data length %d runs past the %d-byte descriptor", n, len(b))
	}
	k.Data = b[EAPOLKeyLen : EAPOLKeyLen+n : EAPOLKeyLen+n]
	return k, nil
}

// Append appends the EAPOL frame (802.1X header and key descriptor) with
// the MIC field as it is in k (zero it, then SetMIC, to sign).
func (k *EAPOLKey) Append(dst []byte) []byte {
	v := k.ProtocolVersion
	if v == 0 {
		v = 2
	}
	body := EAPOLKeyLen - eapolHdrLen + len(k.Data)
	dst = append(dst, v, eapolTypeKey)
	dst = binary.BigEndian.AppendUint16(dst, uint16(body))
	dst = append(dst, descriptorTypeRSN)
	dst = binary.BigEndian.AppendUint16(dst, uint16(k.Info))
	dst = binary.BigEndian.AppendUint16(dst, k.KeyLen)
	dst = binary.BigEndian.AppendUint64(dst, k.ReplayCounter)
	dst = append(dst, k.Nonce[:]...)
	dst = append(dst, k.IV[:]...)
	dst = binary.LittleEndian.AppendUint64(dst, k.RSC)
	dst = append(dst, make([]byte, 8)...) // reserved
	dst = append(dst, k.MIC[:]...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(k.Data)))
	return append(dst, k.Data...)
}

// computeMIC returns HMAC-SHA1-128(kck, frame with a zero MIC field).
func computeMIC(kck, frame []byte) [MICLen]byte {
	mac := hmac.New(sha1.New, kck)
	mac.Write(frame[:offMIC])
	var zero [MICLen]byte
	mac.Write(zero[:])
	mac.Write(frame[offMIC+MICLen:])
	var out [MICLen]byte
	copy(out[:], mac.Sum(nil))
	return out
}

// SetMIC signs an EAPOL-Key frame built by Append: it writes
// HMAC-SHA1-128(KCK, frame) into the MIC field (key descriptor version 2).
func SetMIC(kck, frame []byte) error {
	if len(frame) < EAPOLKeyLen {
		return fmt.Errorf("sign EAPOL-Key: %d bytes is shorter than the descriptor", len(frame))
	}
	m := computeMIC(kck, frame)
	copy(frame[offMIC:], m[:])
	return nil
}

// VerifyMIC reports whether the EAPOL frame's MIC is right for kck. Only
// the 802.1X length is covered: trailing padding is not part of the MIC.
func VerifyMIC(kck, frame []byte) bool {
	if len(frame) < EAPOLKeyLen {
		return false
	}
	n := eapolHdrLen + int(binary.BigEndian.Uint16(frame[2:]))
	if n > len(frame) || n < EAPOLKeyLen {
		return false
	}
	frame = frame[:n]
	m := computeMIC(kck, frame)
	return subtle.ConstantTimeCompare(m[:], frame[offMIC:offMIC+MICLen]) == 1
}
