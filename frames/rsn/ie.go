// SPDX-License-Identifier: MIT

package rsn

import (
	"encoding/binary"
	"fmt"

	"github.com/vmedium/vmedium/frames"
)

// IERSN is the RSN element's ID.
const IERSN = 48

// Suite is a cipher or AKM suite selector: OUI and type, as the 32-bit
// big-endian value written on the air (00-0f-ac-04 = 0x000fac04).
type Suite uint32

// Suites this package uses or names (IEEE 802.11 Tables 9-149, 9-151).
const (
	CipherWEP40   Suite = 0x000fac01
	CipherTKIP    Suite = 0x000fac02
	CipherCCMP128 Suite = 0x000fac04
	CipherWEP104  Suite = 0x000fac05
	CipherBIPCMAC Suite = 0x000fac06
	CipherGCMP128 Suite = 0x000fac08
	AKM8021X      Suite = 0x000fac01
	AKMPSK        Suite = 0x000fac02
	AKMSAE        Suite = 0x000fac08
)

// String names well-known suites ("CCMP-128", "PSK") and prints others as
// the OUI and type.
func (s Suite) String() string {
	switch s {
	case CipherCCMP128:
		return "CCMP-128"
	case CipherTKIP:
		return "TKIP"
	case CipherGCMP128:
		return "GCMP-128"
	}
	return fmt.Sprintf("%02x-%02x-%02x:%d", byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}

// Info is the content of an RSN element.
type Info struct {
	Group        Suite
	Pairwise     []Suite
	AKM          []Suite
	Capabilities uint16
}

// WPA2PSK is the RSN element content of a WPA2-PSK network with CCMP-128
// for both pairwise and group traffic.
func WPA2PSK() Info {
	return Info{Group: CipherCCMP128, Pairwise: []Suite{CipherCCMP128}, AKM: []Suite{AKMPSK}}
}

// AppendIE appends the RSN element (version 1, group cipher, pairwise and
// AKM suite lists, RSN capabilities). The same bytes go in beacons, probe
// responses and message 3 (AP), or the association request and message 2
// (STA): peers compare them.
func (in Info) AppendIE(dst []byte) []byte {
	n := 2 + 4 + 2 + 4*len(in.Pairwise) + 2 + 4*len(in.AKM) + 2
	dst = append(dst, IERSN, byte(n))
	dst = binary.LittleEndian.AppendUint16(dst, 1)
	dst = binary.BigEndian.AppendUint32(dst, uint32(in.Group))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(in.Pairwise)))
	for _, s := range in.Pairwise {
		dst = binary.BigEndian.AppendUint32(dst, uint32(s))
	}
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(in.AKM)))
	for _, s := range in.AKM {
		dst = binary.BigEndian.AppendUint32(dst, uint32(s))
	}
	return binary.LittleEndian.AppendUint16(dst, in.Capabilities)
}

var errRSNShort = fmt.Errorf("%w: RSN element truncated", frames.ErrMalformed)

// ParseIE decodes the body of an RSN element (without ID and length).
// Fields the element leaves out take the standard's defaults (CCMP-128
// group and pairwise, 802.1X AKM). Errors wrap frames.ErrMalformed.
func ParseIE(b []byte) (Info, error) {
	in := Info{Group: CipherCCMP128}
	if len(b) < 2 {
		return in, errRSNShort
	}
	if v := binary.LittleEndian.Uint16(b); v != 1 {
		return in, fmt.Errorf("%w: RSN element version %d: only version 1 exists", frames.ErrMalformed, v)
	}
	b = b[2:]
	if len(b) == 0 {
		in.Pairwise, in.AKM = []Suite{CipherCCMP128}, []Suite{AKM8021X}
		return in, nil
	}
	if len(b) < 4 {
		return in, errRSNShort
	}
	in.Group = Suite(binary.BigEndian.Uint32(b))
	b = b[4:]
	list := func(def Suite) ([]Suite, error) {
		if len(b) == 0 {
			return []Suite{def}, nil
		}
		if len(b) < 2 {
			return nil, errRSNShort
		}
		n := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		if n == 0 || len(b) < 4*n {
			return nil, fmt.Errorf("%w: RSN element suite list of %d entries in %d bytes", frames.ErrMalformed, n, len(b))
		}
		out := make([]Suite, n)
		for i := range out {
			out[i] = Suite(binary.BigEndian.Uint32(b[4*i:]))
		}
		b = b[4*n:]
		return out, nil
	}
	var err error
	if in.Pairwise, err = list(CipherCCMP128); err != nil {
		return in, err
	}
	if in.AKM, err = list(AKM8021X); err != nil {
		return in, err
	}
	if len(b) >= 2 {
		in.Capabilities = binary.LittleEndian.Uint16(b)
	}
	return in, nil
}

// Has reports whether list contains s.
func Has(list []Suite, s Suite) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// SupportsWPA2PSK reports whether an AP's RSN element offers what this
// package speaks: CCMP-128 group and pairwise ciphers with AKM PSK.
func (in Info) SupportsWPA2PSK() bool {
	return in.Group == CipherCCMP128 && Has(in.Pairwise, CipherCCMP128) && Has(in.AKM, AKMPSK)
}
