// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
)

// AES key wrap (RFC 3394) protects the key data of EAPOL-Key messages 3/4
// and group message 1 with the KEK. It is written here on crypto/aes: the
// standard library has no key wrap, and no maintained, small Go package
// offers it (the candidates are unmaintained single-file repositories or
// large JOSE libraries), while the algorithm is a dozen lines.

// keyWrapIV is the RFC 3394 default initial value.
const keyWrapIV = 0xa6a6a6a6a6a6a6a6

// ErrKeyWrap is wrapped by key unwrap errors (bad length, integrity check).
var ErrKeyWrap = errors.New("AES key unwrap failed")

// KeyWrap wraps plaintext (a multiple of 8 bytes, at least 16) with kek
// (16, 24 or 32 bytes) and returns the 8-byte-longer ciphertext.
func KeyWrap(kek, plain []byte) ([]byte, error) {
	if len(plain)%8 != 0 || len(plain) < 16 {
		return nil, fmt.Errorf("AES key wrap: %d bytes of key data: accepted is a multiple of 8, at least 16", len(plain))
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("AES key wrap: %w", err)
	}
	n := len(plain) / 8
	out := make([]byte, 8+len(plain))
	copy(out[8:], plain)
	a := uint64(keyWrapIV)
	var blk [16]byte
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			binary.BigEndian.PutUint64(blk[:8], a)
			copy(blk[8:], out[i*8:i*8+8])
			b.Encrypt(blk[:], blk[:])
			a = binary.BigEndian.Uint64(blk[:8]) ^ uint64(n*j+i)
			copy(out[i*8:], blk[8:])
		}
	}
	binary.BigEndian.PutUint64(out[:8], a)
	return out, nil
}

// KeyUnwrap reverses KeyWrap and checks the integrity value; an error
// wrapping ErrKeyWrap means a wrong KEK or damaged data.
func KeyUnwrap(kek, wrapped []byte) ([]byte, error) {
	if len(wrapped)%8 != 0 || len(wrapped) < 24 {
		return nil, fmt.Errorf("%w: %d bytes: accepted is a multiple of 8, at least 24", ErrKeyWrap, len(wrapped))
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyWrap, err)
	}
	n := len(wrapped)/8 - 1
	out := make([]byte, len(wrapped)-8)
	copy(out, wrapped[8:])
	a := binary.BigEndian.Uint64(wrapped[:8])
	var blk [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			binary.BigEndian.PutUint64(blk[:8], a^uint64(n*j+i))
			copy(blk[8:], out[(i-1)*8:i*8])
			b.Decrypt(blk[:], blk[:])
			a = binary.BigEndian.Uint64(blk[:8])
			copy(out[(i-1)*8:], blk[8:])
		}
	}
	var got, want [8]byte
	binary.BigEndian.PutUint64(got[:], a)
	binary.BigEndian.PutUint64(want[:], keyWrapIV)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return nil, fmt.Errorf("%w: integrity check value mismatch (wrong KEK or damaged key data)", ErrKeyWrap)
	}
	return out, nil
}
