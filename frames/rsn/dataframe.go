// SPDX-License-Identifier: MIT

package rsn

import (
	"encoding/binary"

	"github.com/vmedium/vmedium/frames"
)

// EAPOLPayload returns the EAPOL frame a plaintext data frame carries
// (LLC/SNAP with ethertype 0x888e), or ok=false for any other frame.
func EAPOLPayload(f frames.Frame) (payload []byte, ok bool) {
	if !f.IsData() || f.Protected() || f.Subtype()&0x4 != 0 {
		return nil, false
	}
	b := f.Body()
	if len(b) < frames.LLCSNAPLen || b[0] != 0xaa || b[1] != 0xaa || b[2] != 0x03 || b[3] != 0 || b[4] != 0 || b[5] != 0 ||
		binary.BigEndian.Uint16(b[6:]) != EtherTypeEAPOL {
		return nil, false
	}
	return b[frames.LLCSNAPLen:], true
}

// AppendEAPOLData appends a data frame with header h carrying an EAPOL
// frame, with CCMPOverhead bytes of spare capacity so it can be
// encrypted in place.
func AppendEAPOLData(dst []byte, h frames.DataHeader, eapol []byte) []byte {
	if cap(dst)-len(dst) < frames.DataHeaderLen+frames.LLCSNAPLen+len(eapol)+CCMPOverhead {
		n := make([]byte, len(dst), len(dst)+frames.DataHeaderLen+frames.LLCSNAPLen+len(eapol)+CCMPOverhead)
		copy(n, dst)
		dst = n
	}
	dst = frames.AppendDataHeader(dst, h)
	dst = append(dst, 0xaa, 0xaa, 0x03, 0, 0, 0, EtherTypeEAPOL>>8, EtherTypeEAPOL&0xff)
	return append(dst, eapol...)
}
