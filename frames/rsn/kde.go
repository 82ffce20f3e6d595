// SPDX-License-Identifier: MIT

package rsn

import (
	"fmt"

	"github.com/vmedium/vmedium/frames"
)

// Key data of EAPOL-Key frames: elements (the RSN element) and key data
// encapsulations (KDEs: ID 0xdd, length, OUI 00-0f-ac, data type, data).

const (
	kdeID      = 0xdd
	kdeTypeGTK = 1
)

// GTKLen is the length of a CCMP-128 group temporal key.
const GTKLen = 16

// AppendGTKKDE appends a GTK KDE: key ID (1..3), the Tx bit, and the key.
func AppendGTKKDE(dst []byte, keyID uint8, gtk []byte) []byte {
	dst = append(dst, kdeID, byte(4+2+len(gtk)), 0x00, 0x0f, 0xac, kdeTypeGTK)
	dst = append(dst, keyID&3, 0) // Tx bit clear: stations receive with a GTK (as hostapd sends it)
	return append(dst, gtk...)
}

// PadKeyData pads key data for AES key wrap: when its length is not a
// multiple of 8 or is under 16, an 0xdd octet then zeros fill it up.
func PadKeyData(b []byte) []byte {
	if len(b)%8 == 0 && len(b) >= 16 {
		return b
	}
	b = append(b, kdeID)
	for len(b)%8 != 0 || len(b) < 16 {
		b = append(b, 0)
	}
	return b
}

// KeyData is what a handshake needs from decoded key data.
type KeyData struct {
	RSN      []byte // body of the RSN element, if present
	GTK      []byte // the group key, if a GTK KDE is present
	GTKKeyID uint8
}

// ParseKeyData walks (unwrapped) key data: elements and KDEs, stopping at
// the padding (0xdd with length 0) or the end. Errors wrap
// frames.ErrMalformed.
func ParseKeyData(b []byte) (KeyData, error) {
	var kd KeyData
	for len(b) > 0 {
		if b[0] == kdeID && (len(b) == 1 || b[1] == 0) {
			break // padding
		}
		if len(b) < 2 || int(b[1])+2 > len(b) {
			return kd, fmt.Errorf("%w: key data element truncated", frames.ErrMalformed)
		}
		id, body := b[0], b[2:2+int(b[1])]
		b = b[2+int(b[1]):]
		switch {
		case id == IERSN:
			kd.RSN = body
		case id == kdeID && len(body) >= 4 && body[0] == 0x00 && body[1] == 0x0f && body[2] == 0xac && body[3] == kdeTypeGTK:
			g := body[4:]
			if len(g) < 2+5 || len(g)-2 > 32 {
				return kd, fmt.Errorf("%w: GTK KDE of %d bytes", frames.ErrMalformed, len(body))
			}
			kd.GTKKeyID = g[0] & 3
			kd.GTK = g[2:]
		}
	}
	return kd, nil
}
