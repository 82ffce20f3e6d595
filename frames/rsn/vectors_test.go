// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// IEEE Std 802.11-2020 Annex J.4.2 (passphrase-to-PSK mapping), test
// cases 1 and 2.
func TestPSKVectors(t *testing.T) {
	for _, c := range []struct{ pass, ssid, want string }{
		{"password", "IEEE", "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"},
		{"ThisIsAPassword", "ThisIsASSID", "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af"},
	} {
		got, err := PSK(c.pass, c.ssid)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got[:]) != c.want {
			t.Errorf("PSK(%q, %q) = %x, want %s", c.pass, c.ssid, got, c.want)
		}
	}
	if _, err := PSK("short", "IEEE"); err == nil {
		t.Error("PSK accepted a 5-character passphrase")
	}
	if _, err := PSK("password\x01", "IEEE"); err == nil {
		t.Error("PSK accepted a control character")
	}
}

// IEEE Std 802.11-2020 Annex J.3.2 (PRF test vectors, HMAC-SHA1), test
// cases 1 and 2: PRF-512 with prefix "prefix". PRF-384 (the PTK) is the
// first 48 bytes of the same output.
func TestPRFVectors(t *testing.T) {
	for _, c := range []struct {
		key  []byte
		data string
		want string
	}{
		{bytes.Repeat([]byte{0x0b}, 20), "Hi There",
			"bcd4c650b30b9684951829e0d75f9d54b862175ed9f00606e17d8da35402ffee75df78c3d31e0f889f012120c0862beb67753e7439ae242edb8373698356cf5a"},
		{[]byte("Jefe"), "what do ya want for nothing?",
			"51f4de5b33f249adf81aeb713a3c20f4fe631446fabdfa58244759ae58ef9009a99abf4eac2ca5fa87e692c440eb40023e7babb206d61de7b92f41529092b8fc"},
	} {
		got := PRF(c.key, "prefix", []byte(c.data), 64)
		if hex.EncodeToString(got) != c.want {
			t.Errorf("PRF-512(%q) = %x, want %s", c.data, got, c.want)
		}
		if got384 := PRF(c.key, "prefix", []byte(c.data), 48); !bytes.Equal(got384, got[:48]) {
			t.Errorf("PRF-384 is not the prefix of PRF-512")
		}
	}
}

// RFC 3394 section 4.1: wrap 128 bits of key data with a 128-bit KEK.
func TestKeyWrapVector(t *testing.T) {
	kek := unhex(t, "000102030405060708090a0b0c0d0e0f")
	plain := unhex(t, "00112233445566778899aabbccddeeff")
	want := unhex(t, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5")
	got, err := KeyWrap(kek, plain)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("KeyWrap = %x, want %x", got, want)
	}
	back, err := KeyUnwrap(kek, got)
	if err != nil || !bytes.Equal(back, plain) {
		t.Fatalf("KeyUnwrap = %x, %v; want %x", back, err, plain)
	}
	got[5] ^= 1
	if _, err := KeyUnwrap(kek, got); err == nil {
		t.Fatal("KeyUnwrap accepted damaged data")
	}
	if _, err := KeyWrap(kek, plain[:12]); err == nil {
		t.Fatal("KeyWrap accepted 12 bytes")
	}
}

// RFC 3610 section 8, packet vectors #1 and #2 (M = 8, L = 2: the CCM
// parameters of CCMP). The first 8 bytes of each packet are the AAD.
func TestCCMRFC3610Vectors(t *testing.T) {
	key := unhex(t, "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf")
	for _, c := range []struct{ nonce, plain, want string }{
		{"00000003020100a0a1a2a3a4a5", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e",
			"588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0"},
		{"00000004030201a0a1a2a3a4a5", "08090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
			"72c91a36e135f8cf291ca894085c87e3cc15c439c9e43a3ba091d56e10400916"},
	} {
		k, err := NewKey(key, 0)
		if err != nil {
			t.Fatal(err)
		}
		var nonce [ccmNonceLen]byte
		copy(nonce[:], unhex(t, c.nonce))
		aad := unhex(t, "0001020304050607")
		plain := unhex(t, c.plain)
		ct := make([]byte, len(plain))
		tag := ccm(&k.c, new(ccmScratch), &nonce, aad, ct, plain, true)
		if got := append(ct, tag[:]...); hex.EncodeToString(got) != c.want {
			t.Errorf("CCM(%s) = %x, want %s", c.nonce, got, c.want)
		}
		back := make([]byte, len(plain))
		tag2 := ccm(&k.c, new(ccmScratch), &nonce, aad, back, ct, false)
		if !bytes.Equal(back, plain) || tag2 != tag {
			t.Errorf("CCM decrypt(%s) = %x tag %x", c.nonce, back, tag2)
		}
	}
}

// IEEE Std 802.11-2012 Annex M.6.4 (CCMP test vector; also reproduced in
// hostap's wlantest/test_vectors.c): TK, PN 0xB5039776E70C, a data frame
// with Retry set (masked out of the AAD).
const (
	annexTK     = "c97c1f67ce371185514a8a19f2bdd52f"
	annexPN     = 0xB5039776E70C
	annexHeader = "0848c32c0fd2e128a57c5030f1844408abaea5b8fcba8033"
	annexPlain  = "f8ba1a55d02f85ae967bb62fb6cda8eb7e78a050"
	annexCipher = "f3d0a2fe9a3dbf2342a643e43246e80c3c04d019" + "7845ce0b16f97623"
)

func TestCCMPAnnexVector(t *testing.T) {
	k, err := NewKey(unhex(t, annexTK), 0)
	if err != nil {
		t.Fatal(err)
	}
	k.txPN.Store(annexPN - 1)
	hdr := unhex(t, annexHeader)
	hdr[1] &^= 0x40 // the annex's header shows Protected set; the plaintext MPDU has it clear
	frame := append(append(make([]byte, 0, 128), hdr...), unhex(t, annexPlain)...)
	enc, err := k.Encrypt(frame)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(unhex(t, annexHeader), unhex(t, "0ce70020769703b5")...), unhex(t, annexCipher)...)
	if !bytes.Equal(enc, want) {
		t.Fatalf("CCMP encrypt:\n got %x\nwant %x", enc, want)
	}

	rx, _ := NewKey(unhex(t, annexTK), 0)
	plain, err := rx.Decrypt(nil, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain[24:], unhex(t, annexPlain)) || plain[1]&0x40 != 0 {
		t.Fatalf("CCMP decrypt = %x", plain)
	}
	if _, err := rx.Decrypt(nil, want); err != ErrReplay {
		t.Fatalf("second decrypt of the same frame: %v, want ErrReplay", err)
	}
}
