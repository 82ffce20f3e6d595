// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"testing"
)

// FuzzEAPOLKey feeds arbitrary bytes to the EAPOL-Key parser and the key
// data walker (outside input from the air): errors are fine, panics are
// not, and whatever parses must survive MIC checks and re-encoding.
func FuzzEAPOLKey(f *testing.F) {
	kck := bytes.Repeat([]byte{1}, 16)
	m1 := (&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoPairwise | KeyInfoAck, KeyLen: 16, ReplayCounter: 1}).Append(nil)
	m3 := (&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoPairwise | KeyInfoAck | KeyInfoMIC | KeyInfoInstall | KeyInfoSecure | KeyInfoEncrypted,
		KeyLen: 16, ReplayCounter: 2, Data: PadKeyData(AppendGTKKDE(WPA2PSK().AppendIE(nil), 1, bytes.Repeat([]byte{2}, 16)))}).Append(nil)
	SetMIC(kck, m3)
	f.Add(m1)
	f.Add(m3)
	f.Add([]byte{2, 3, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := ParseEAPOLKey(b)
		VerifyMIC(kck, b)
		ParseKeyData(b)
		if err != nil {
			return
		}
		ParseKeyData(k.Data)
		KeyUnwrap(kck, k.Data)
		again, err := ParseEAPOLKey(k.Append(nil))
		if err != nil {
			t.Fatalf("re-encoded frame does not parse: %v", err)
		}
		if again.Info != k.Info || again.ReplayCounter != k.ReplayCounter || !bytes.Equal(again.Data, k.Data) {
			t.Fatalf("re-encoding changed the frame: %+v vs %+v", again, k)
		}
	})
}

// FuzzCCMPDecrypt feeds arbitrary frames to CCMP decryption (with a key
// that produced the seeds, so mutations reach the MIC check): no panic,
// and nothing but a genuine frame decrypts.
func FuzzCCMPDecrypt(f *testing.F) {
	tx, _ := NewKey(tk1, 0)
	enc, _ := tx.Encrypt(dataFrame(f, []byte("seed payload for the fuzzer")))
	f.Add(append([]byte(nil), enc...))
	q, _ := tx.Encrypt(qosFrame(3, []byte("qos seed")))
	f.Add(append([]byte(nil), q...))
	f.Add([]byte{0x08, 0x41, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rx, _ := NewKey(tk1, 0)
		out, err := rx.Decrypt(make([]byte, 0, 8), b)
		if err == nil && (len(out) != len(b)-CCMPOverhead || out[1]&0x40 != 0) {
			t.Fatalf("decrypted %d bytes from %d", len(out), len(b))
		}
		in := append([]byte(nil), b...)
		rx2, _ := NewKey(tk1, 0)
		rx2.Decrypt(in[:0], in) // in place
		FramePN(b)
	})
}
