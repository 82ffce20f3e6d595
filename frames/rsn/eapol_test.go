// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

func TestEAPOLKeyRoundTripAndMIC(t *testing.T) {
	kck := bytes.Repeat([]byte{0x5a}, 16)
	k := EAPOLKey{
		ProtocolVersion: 2,
		Info:            KeyDescriptorV2 | KeyInfoPairwise | KeyInfoInstall | KeyInfoAck | KeyInfoMIC | KeyInfoSecure | KeyInfoEncrypted,
		KeyLen:          16, ReplayCounter: 0x0102030405060708, RSC: 0x0000b5039776e70c,
		Data: []byte("0123456789abcdef01234567"),
	}
	k.Nonce[0], k.Nonce[31] = 1, 2
	b := k.Append(nil)
	if len(b) != EAPOLKeyLen+len(k.Data) {
		t.Fatalf("length %d", len(b))
	}
	if err := SetMIC(kck, b); err != nil {
		t.Fatal(err)
	}
	if !VerifyMIC(kck, b) {
		t.Fatal("MIC does not verify")
	}
	if VerifyMIC(bytes.Repeat([]byte{1}, 16), b) {
		t.Fatal("MIC verifies with another KCK")
	}
	// Trailing bytes (Ethernet padding) are neither parsed nor covered.
	padded := append(append([]byte(nil), b...), 0, 0, 0)
	got, err := ParseEAPOLKey(padded)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyMIC(kck, padded) {
		t.Fatal("MIC does not verify with trailing padding")
	}
	if got.Info != k.Info || got.KeyLen != 16 || got.ReplayCounter != k.ReplayCounter || got.RSC != k.RSC ||
		got.Nonce != k.Nonce || !bytes.Equal(got.Data, k.Data) || got.ProtocolVersion != 2 {
		t.Fatalf("parsed %+v", got)
	}
	if !got.Info.Has(KeyInfoAck|KeyInfoInstall) || got.Info.Version() != KeyDescriptorV2 {
		t.Fatalf("key info %#x", got.Info)
	}
	b[40] ^= 1
	if VerifyMIC(kck, b) {
		t.Fatal("MIC verifies after a change")
	}
}

func TestParseEAPOLKeyErrors(t *testing.T) {
	good := (&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoPairwise | KeyInfoAck}).Append(nil)
	for name, mut := range map[string]func([]byte) []byte{
		"short":        func(b []byte) []byte { return b[:3] },
		"version 0":    func(b []byte) []byte { b[0] = 0; return b },
		"EAP packet":   func(b []byte) []byte { b[1] = 0; return b },
		"body too big": func(b []byte) []byte { b[3] = 0xff; return b },
		"WPA1 desc":    func(b []byte) []byte { b[4] = 254; return b },
		"truncated":    func(b []byte) []byte { b[3] = 50; return b[:54] },
		"data length":  func(b []byte) []byte { b[98] = 9; return b },
	} {
		_, err := ParseEAPOLKey(mut(append([]byte(nil), good...)))
		if !errors.Is(err, ErrEAPOL) || !errors.Is(err, frames.ErrMalformed) {
			t.Errorf("%s: %v, want ErrEAPOL and ErrMalformed", name, err)
		}
	}
}

func TestKeyDataGTKAndRSN(t *testing.T) {
	gtk := bytes.Repeat([]byte{0x77}, 16)
	kd := WPA2PSK().AppendIE(nil)
	kd = AppendGTKKDE(kd, 1, gtk)
	kd = PadKeyData(kd)
	if len(kd)%8 != 0 {
		t.Fatalf("padded to %d bytes", len(kd))
	}
	kek := bytes.Repeat([]byte{0x42}, 16)
	w, err := KeyWrap(kek, kd)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := KeyUnwrap(kek, w)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKeyData(plain)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.GTK, gtk) || got.GTKKeyID != 1 {
		t.Fatalf("GTK %x id %d", got.GTK, got.GTKKeyID)
	}
	in, err := ParseIE(got.RSN)
	if err != nil || !in.SupportsWPA2PSK() {
		t.Fatalf("RSN %+v %v", in, err)
	}
	if p := PadKeyData(make([]byte, 3)); len(p) != 16 || p[3] != 0xdd {
		t.Fatalf("short key data padded to %x", p)
	}
	if _, err := ParseKeyData([]byte{0xdd, 30, 0}); err == nil {
		t.Fatal("truncated KDE accepted")
	}
}

func TestRSNElement(t *testing.T) {
	ie := WPA2PSK().AppendIE(nil)
	// 30 14 0100 000fac04 0100 000fac04 0100 000fac02 0000: the element
	// hostapd sends for wpa=2, WPA-PSK, CCMP.
	want := []byte{48, 20, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 4, 1, 0, 0, 0x0f, 0xac, 2, 0, 0}
	if !bytes.Equal(ie, want) {
		t.Fatalf("RSN element %x, want %x", ie, want)
	}
	in, err := ParseIE(ie[2:])
	if err != nil || !in.SupportsWPA2PSK() {
		t.Fatalf("%+v %v", in, err)
	}
	tkip := Info{Group: CipherTKIP, Pairwise: []Suite{CipherTKIP}, AKM: []Suite{AKMPSK}}
	in, _ = ParseIE(tkip.AppendIE(nil)[2:])
	if in.SupportsWPA2PSK() {
		t.Fatal("TKIP network accepted as WPA2-PSK/CCMP")
	}
	for _, bad := range [][]byte{{}, {2, 0}, {1, 0, 0, 0x0f}, {1, 0, 0, 0x0f, 0xac, 4, 5, 0, 1, 2}} {
		if _, err := ParseIE(bad); !errors.Is(err, frames.ErrMalformed) {
			t.Errorf("ParseIE(%x) = %v", bad, err)
		}
	}
	if CipherCCMP128.String() != "CCMP-128" {
		t.Fatal(CipherCCMP128.String())
	}
}

func TestDerivePTKSymmetric(t *testing.T) {
	pmk, _ := PSK("vmedium-lab", "vmedium")
	aa, spa := frames.MAC{2, 0, 0, 0, 0, 0}, frames.MAC{2, 0, 0, 0, 1, 0}
	var an, sn Nonce
	an[0], sn[0] = 9, 3
	p1 := DerivePTK(pmk[:], aa, spa, an, sn)
	// The order of the inputs is fixed by sorting: both sides agree.
	p2 := DerivePTK(pmk[:], aa, spa, an, sn)
	if p1 != p2 || p1.KCK == p1.TK {
		t.Fatal("PTK derivation not deterministic")
	}
	sn[0] = 4
	if DerivePTK(pmk[:], aa, spa, an, sn) == p1 {
		t.Fatal("PTK does not depend on the SNonce")
	}
}
