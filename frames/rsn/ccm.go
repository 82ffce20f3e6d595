// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/cipher"
	"encoding/binary"
	"sync"
)

// CCM (RFC 3610) with the parameters CCMP uses: M = 8 (an 8-byte MIC),
// L = 2 (2-byte length, 13-byte nonce). The standard library has AES-GCM
// but no CCM, so it is written here on cipher.Block: CBC-MAC over B0, the
// length-prefixed AAD and the plaintext, and AES-CTR for the payload and
// the tag, in one pass and in place.

const (
	ccmM        = 8
	ccmNonceLen = 13
)

// ccmScratch holds the working blocks. It is pooled: blocks passed to
// cipher.Block through its interface escape, so stack arrays would be
// allocated per frame.
type ccmScratch struct {
	x, a, s, blk [16]byte
}

var scratchPool = sync.Pool{New: func() any { return new(ccmScratch) }}

// ccm encrypts (seal) or decrypts src into dst and returns the tag (the
// CBC-MAC of the plaintext encrypted with counter block 0). dst must be as
// long as src and either not overlap it or start at or before it (in-place
// use, including dst = src shifted back): each block of src is read before
// its output is written. aad is at most 14+16 bytes in CCMP but any length
// works.
func ccm(b cipher.Block, s *ccmScratch, nonce *[ccmNonceLen]byte, aad, dst, src []byte, seal bool) (tag [ccmM]byte) {
	// B0: flags (Adata, M, L), nonce, message length.
	x := &s.x
	x[0] = 0x40 | ((ccmM-2)/2)<<3 | (2 - 1)
	if len(aad) == 0 {
		x[0] &^= 0x40
	}
	copy(x[1:14], nonce[:])
	binary.BigEndian.PutUint16(x[14:], uint16(len(src)))
	b.Encrypt(x[:], x[:])

	// AAD, prefixed by its 2-byte length, zero padded to whole blocks.
	if len(aad) > 0 {
		total := 2 + len(aad)
		for i := 0; i < total; i += 16 {
			for j := 0; j < 16; j++ {
				p := i + j
				switch {
				case p == 0:
					x[j] ^= byte(len(aad) >> 8)
				case p == 1:
					x[j] ^= byte(len(aad))
				case p < total:
					x[j] ^= aad[p-2]
				}
			}
			b.Encrypt(x[:], x[:])
		}
	}

	a := &s.a
	a[0] = 2 - 1
	copy(a[1:14], nonce[:])
	ctr := uint16(1)
	for off := 0; off < len(src); off += 16 {
		m := min(16, len(src)-off)
		copy(s.blk[:m], src[off:off+m])
		binary.BigEndian.PutUint16(a[14:], ctr)
		ctr++
		b.Encrypt(s.s[:], a[:])
		if seal {
			for j := 0; j < m; j++ {
				x[j] ^= s.blk[j]
				s.blk[j] ^= s.s[j]
			}
		} else {
			for j := 0; j < m; j++ {
				s.blk[j] ^= s.s[j]
				x[j] ^= s.blk[j]
			}
		}
		b.Encrypt(x[:], x[:])
		copy(dst[off:off+m], s.blk[:m])
	}

	binary.BigEndian.PutUint16(a[14:], 0)
	b.Encrypt(s.s[:], a[:])
	for j := range tag {
		tag[j] = x[j] ^ s.s[j]
	}
	return tag
}
