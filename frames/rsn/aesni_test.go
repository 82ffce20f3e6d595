// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"testing"
)

// The AES-NI key schedule and block routines must agree with crypto/aes
// on random keys and data, for every batch length the 4-way loop and its
// tail produce.
func TestAESNIMatchesCryptoAES(t *testing.T) {
	if !haveAESNI {
		t.Skip("no AES-NI on this CPU (or not amd64): the portable path is the only one")
	}
	for trial := 0; trial < 50; trial++ {
		key := make([]byte, 16)
		rand.Read(key)
		ref, _ := aes.NewCipher(key)
		rk := expandKey128(key)
		for n := 1; n <= 9; n++ {
			buf := make([]byte, 16*n)
			rand.Read(buf)
			want := make([]byte, len(buf))
			for i := 0; i < n; i++ {
				ref.Encrypt(want[16*i:], buf[16*i:])
			}
			encryptBlocksAESNI(rk, &buf[0], n)
			if !bytes.Equal(buf, want) {
				t.Fatalf("key %x, %d blocks: AES-NI ECB differs from crypto/aes", key, n)
			}
		}
		data := make([]byte, 16*7)
		rand.Read(data)
		var x, y [16]byte
		cbcMACAESNI(rk, &x, &data[0], 7)
		for i := 0; i < 7; i++ {
			xor16(&y, data[16*i:])
			ref.Encrypt(y[:], y[:])
		}
		if x != y {
			t.Fatalf("key %x: AES-NI CBC-MAC differs from crypto/aes", key)
		}
	}
}

// TestPortableCCM runs the vector and round-trip tests again on the
// crypto/aes path (the one other architectures use).
func TestPortableCCM(t *testing.T) {
	if !haveAESNI {
		t.Skip("already the only path")
	}
	useAESNI = false
	defer func() { useAESNI = haveAESNI }()
	t.Run("rfc3610", TestCCMRFC3610Vectors)
	t.Run("annex", TestCCMPAnnexVector)
	t.Run("roundtrip", TestCCMPRoundTrip)
	t.Run("rejects", TestCCMPRejects)
}
