// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"sync"
)

// CCM (RFC 3610) with the parameters CCMP uses: M = 8 (an 8-byte MIC),
// L = 2 (2-byte length, 13-byte nonce). The standard library has AES-GCM
// but no CCM, so it is written here on cipher.Block: AES-CTR for the
// payload and the tag, CBC-MAC over B0, the length-prefixed AAD and the
// plaintext. The counter blocks are encrypted first in one batch, then
// the payload is XORed in bulk (crypto/subtle), and only the CBC-MAC,
// serial by nature, goes block by block. On amd64 with AES-NI both run in
// assembly (aesni_amd64.s): the batch four blocks at a time, the chain
// without a call per block. (cipher.NewCTR is fast too, but allocates per
// frame and cannot be given a new nonce.)

const (
	ccmM        = 8
	ccmNonceLen = 13
	maxCCMData  = 2400 // larger than any MPDU body
)

// ccmScratch holds the working blocks and the key stream. It is pooled:
// slices passed to cipher.Block through its interface escape, so stack
// arrays would be allocated per frame.
type ccmScratch struct {
	x, a [16]byte
	ks   [maxCCMData + 48]byte // S0 (tag mask), then S1, S2, ... (and room for the next counter block)
}

var scratchPool = sync.Pool{New: func() any { return new(ccmScratch) }}

// ccmCipher is the block cipher of one key: crypto/aes, and the expanded
// key for the AES-NI routines when the CPU has them (rk != nil).
type ccmCipher struct {
	b  cipher.Block
	rk *roundKeys
}

// useAESNI is consulted when a key is installed; tests turn it off to
// check the portable path too.
var useAESNI = haveAESNI

func newCCMCipher(key []byte) (ccmCipher, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return ccmCipher{}, err
	}
	c := ccmCipher{b: b}
	if useAESNI && len(key) == 16 {
		c.rk = expandKey128(key)
	}
	return c, nil
}

// enc1 encrypts one block in place.
func (c *ccmCipher) enc1(x *[16]byte) {
	if c.rk != nil {
		encryptBlocksAESNI(c.rk, &x[0], 1)
		return
	}
	c.b.Encrypt(x[:], x[:])
}

func xor16(x *[16]byte, b []byte) {
	_ = b[15]
	binary.LittleEndian.PutUint64(x[0:], binary.LittleEndian.Uint64(x[0:])^binary.LittleEndian.Uint64(b[0:]))
	binary.LittleEndian.PutUint64(x[8:], binary.LittleEndian.Uint64(x[8:])^binary.LittleEndian.Uint64(b[8:]))
}

// cbcMAC continues the CBC-MAC in x over data, zero padded to whole
// blocks.
func (c *ccmCipher) cbcMAC(x *[16]byte, data []byte) {
	if full := len(data) / 16; full > 0 && c.rk != nil {
		cbcMACAESNI(c.rk, x, &data[0], full)
		data = data[16*full:]
	}
	for len(data) >= 16 {
		xor16(x, data)
		c.b.Encrypt(x[:], x[:])
		data = data[16:]
	}
	if len(data) > 0 {
		for j, v := range data {
			x[j] ^= v
		}
		c.enc1(x)
	}
}

// ccm encrypts (seal) or decrypts src into dst and returns the tag (the
// CBC-MAC of the plaintext encrypted with counter block 0). dst must be as
// long as src and either not overlap it or start at or before it (in-place
// use, including dst = src shifted back). src is at most maxCCMData bytes.
// start prepares a CCM operation on n payload bytes: the counter block
// template (s.a: flags L-1, nonce, counter 0) and the CBC-MAC state after
// B0 and the AAD (s.x).
func (c *ccmCipher) start(s *ccmScratch, nonce *[ccmNonceLen]byte, aad []byte, n int) {
	a := &s.a
	a[0] = 2 - 1
	copy(a[1:14], nonce[:])
	a[14], a[15] = 0, 0
	// B0: flags (Adata, M, L), nonce, message length.
	x := &s.x
	x[0] = 0x40 | ((ccmM-2)/2)<<3 | (2 - 1)
	if len(aad) == 0 {
		x[0] &^= 0x40
	}
	copy(x[1:14], nonce[:])
	binary.BigEndian.PutUint16(x[14:], uint16(n))
	c.enc1(x)
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
			c.enc1(x)
		}
	}
}

func ccm(c *ccmCipher, s *ccmScratch, nonce *[ccmNonceLen]byte, aad, dst, src []byte, seal bool) (tag [ccmM]byte) {
	n := len(src)
	x := &s.x
	c.start(s, nonce, aad, n)
	a := &s.a
	blocks := (n + 15) / 16

	if c.rk != nil {
		ccmAESNI(c, s, x, dst, src, seal)
	} else {
		for i := 0; i <= blocks; i++ {
			binary.BigEndian.PutUint16(a[14:], uint16(i))
			c.b.Encrypt(s.ks[16*i:16*i+16], a[:])
		}
		if seal {
			c.cbcMAC(x, src)
			if n > 0 {
				subtle.XORBytes(dst[:n], src, s.ks[16:16+n])
			}
		} else if n > 0 {
			if &dst[0] != &src[0] {
				copy(dst[:n], src) // handles the shifted in-place case
			}
			subtle.XORBytes(dst[:n], dst[:n], s.ks[16:16+n])
			c.cbcMAC(x, dst[:n])
		}
	}

	for j := range tag {
		tag[j] = x[j] ^ s.ks[j]
	}
	return tag
}

// ccmAESNI is the payload part of ccm on AES-NI: whole blocks in one
// assembly pass (CTR interleaved with the CBC-MAC), the partial tail
// here. It leaves S0 in s.ks[0:16].
func ccmAESNI(c *ccmCipher, s *ccmScratch, x *[16]byte, dst, src []byte, seal bool) {
	n := len(src)
	full := n / 16
	for i := 0; i <= full+1; i++ {
		blk := (*[16]byte)(s.ks[16*i : 16*i+16])
		*blk = s.a
		blk[14], blk[15] = byte(i>>8), byte(i)
	}
	encryptBlocksAESNI(c.rk, &s.ks[0], 1) // S0
	tail := n - 16*full
	last := s.ks[16*(full+1) : 16*(full+2)] // A_{full+1}, becomes S_{full+1}
	var pad [16]byte
	if seal {
		if full > 0 {
			ccmSealAESNI(c.rk, x, &s.ks[16], &dst[0], &src[0], full)
		}
		if tail > 0 {
			encryptBlocksAESNI(c.rk, &last[0], 1)
			copy(pad[:], src[16*full:])
			xor16(x, pad[:])
			c.enc1(x)
			subtle.XORBytes(dst[16*full:n], pad[:tail], last[:tail])
		}
		return
	}
	if full > 0 {
		ccmOpenAESNI(c.rk, x, &s.ks[16], &dst[0], &src[0], full)
	} else {
		encryptBlocksAESNI(c.rk, &last[0], 1)
	}
	if tail > 0 {
		copy(pad[:], src[16*full:]) // read before dst (maybe overlapping) is written
		subtle.XORBytes(pad[:tail], pad[:tail], last[:tail])
		copy(dst[16*full:n], pad[:tail])
		xor16(x, pad[:])
		c.enc1(x)
	}
}
