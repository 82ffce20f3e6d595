// SPDX-License-Identifier: MIT

package rsn

// The AES-128 key schedule (FIPS-197 5.2) for the AES-NI paths of CCM
// (aesni_amd64.s): crypto/aes does the same work internally but does not
// expose the round keys, and CCM needs many AES blocks per frame — CTR
// blocks 4 at a time and the CBC-MAC chain without an interface call per
// block — to keep CCMP from dominating the data path. The S-box is
// computed from its definition (inverse in GF(2^8), then the affine map)
// rather than written out.

var sbox = func() (s [256]byte) {
	mul := func(a, b byte) byte { // GF(2^8) with x^8 + x^4 + x^3 + x + 1
		var p byte
		for b != 0 {
			if b&1 != 0 {
				p ^= a
			}
			hi := a & 0x80
			a <<= 1
			if hi != 0 {
				a ^= 0x1b
			}
			b >>= 1
		}
		return p
	}
	rotl := func(x byte, n uint) byte { return x<<n | x>>(8-n) }
	for i := 0; i < 256; i++ {
		var inv byte
		for c := 1; c < 256 && i != 0; c++ {
			if mul(byte(i), byte(c)) == 1 {
				inv = byte(c)
				break
			}
		}
		s[i] = inv ^ rotl(inv, 1) ^ rotl(inv, 2) ^ rotl(inv, 3) ^ rotl(inv, 4) ^ 0x63
	}
	return s
}()

// roundKeys is the expanded AES-128 key: 11 round keys in FIPS-197 byte
// order, as AESENC takes them.
type roundKeys [176]byte

func expandKey128(key []byte) *roundKeys {
	var rk roundKeys
	copy(rk[:16], key)
	rcon := byte(1)
	for i := 16; i < 176; i += 4 {
		t := [4]byte{rk[i-4], rk[i-3], rk[i-2], rk[i-1]}
		if i%16 == 0 {
			t = [4]byte{sbox[t[1]] ^ rcon, sbox[t[2]], sbox[t[3]], sbox[t[0]]}
			hi := rcon & 0x80
			rcon <<= 1
			if hi != 0 {
				rcon ^= 0x1b
			}
		}
		for j := 0; j < 4; j++ {
			rk[i+j] = rk[i-16+j] ^ t[j]
		}
	}
	return &rk
}
