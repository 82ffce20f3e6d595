// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

var (
	tk1 = bytes.Repeat([]byte{0x11}, 16)
	tk2 = bytes.Repeat([]byte{0x22}, 16)
)

func dataFrame(t testing.TB, payload []byte) []byte {
	t.Helper()
	b := frames.AppendDataHeader(make([]byte, 0, 2400), frames.DataHeader{ToDS: true,
		Addr1: frames.MAC{2, 0, 0, 0, 0, 0}, Addr2: frames.MAC{2, 0, 0, 0, 1, 0}, Addr3: frames.MAC{2, 0, 0, 0, 2, 0}, Seq: 7})
	return append(b, payload...)
}

func qosFrame(tid uint8, payload []byte) []byte {
	b := make([]byte, 0, 2400)
	b = append(b, frames.SubtypeQoSData<<4|frames.TypeData<<2, frames.FlagToDS|frames.FlagFromDS, 0, 0)
	for i := 0; i < 3; i++ {
		b = append(b, 2, 0, 0, 0, byte(i), 0)
	}
	b = append(b, 0x30, 0x01) // sequence control
	b = append(b, 2, 0, 0, 0, 9, 0)
	b = append(b, tid|0x10, 0) // QoS control: TID and EOSP (masked out of the AAD)
	return append(b, payload...)
}

func TestCCMPRoundTrip(t *testing.T) {
	for _, mk := range []func([]byte) []byte{
		func(p []byte) []byte { return dataFrame(t, p) },
		func(p []byte) []byte { return qosFrame(5, p) },
	} {
		for _, n := range []int{0, 1, 15, 16, 17, 100, 1500} {
			payload := bytes.Repeat([]byte{0xab}, n)
			tx, _ := NewKey(tk1, 0)
			rx, _ := NewKey(tk1, 0)
			plain := mk(payload)
			orig := append([]byte(nil), plain...)
			enc, err := tx.Encrypt(plain)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc) != len(orig)+CCMPOverhead || enc[1]&frames.FlagProtected == 0 {
				t.Fatalf("encrypted frame: %d bytes, flags %#x", len(enc), enc[1])
			}
			if n >= 16 && bytes.Contains(enc, payload[:16]) {
				t.Fatal("plaintext visible in the encrypted frame")
			}
			// Retry and power management are not authenticated: a
			// retransmission with them set still decrypts.
			enc[1] |= frames.FlagRetry | frames.FlagPwrMgt
			out, err := rx.Decrypt(nil, enc)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			out[1] &^= frames.FlagRetry | frames.FlagPwrMgt
			if !bytes.Equal(out, orig) {
				t.Fatalf("%d bytes: round trip\n got %x\nwant %x", n, out, orig)
			}
		}
	}
}

func TestCCMPRejects(t *testing.T) {
	tx, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	other, _ := NewKey(tk2, 0)
	enc, _ := tx.Encrypt(dataFrame(t, []byte("hello, protected world")))

	if _, err := other.Decrypt(nil, enc); !errors.Is(err, ErrMIC) {
		t.Errorf("wrong key: %v, want ErrMIC", err)
	}
	for _, i := range []int{4, 16, 24, 30, len(enc) - 1} { // A1, A3, PN, body, MIC
		bad := append([]byte(nil), enc...)
		bad[i] ^= 0x80
		if _, err := rx.Decrypt(nil, bad); !errors.Is(err, ErrMIC) {
			t.Errorf("byte %d altered: %v, want ErrMIC", i, err)
		}
	}
	// A failed MIC does not advance the replay counter.
	if _, err := rx.Decrypt(nil, enc); err != nil {
		t.Fatalf("genuine frame after forgeries: %v", err)
	}
	if _, err := rx.Decrypt(nil, enc); !errors.Is(err, ErrReplay) {
		t.Errorf("replay: %v, want ErrReplay", err)
	}
	older, _ := NewKey(tk1, 0)
	first, _ := older.Encrypt(dataFrame(t, []byte("first")))
	second, _ := older.Encrypt(dataFrame(t, []byte("second")))
	rx2, _ := NewKey(tk1, 0)
	if _, err := rx2.Decrypt(nil, second); err != nil {
		t.Fatal(err)
	}
	if _, err := rx2.Decrypt(nil, first); !errors.Is(err, ErrReplay) {
		t.Errorf("older PN after a newer one: %v, want ErrReplay", err)
	}
	if _, err := rx.Decrypt(nil, dataFrame(t, []byte("clear"))); !errors.Is(err, ErrNotProtected) {
		t.Errorf("unprotected: %v", err)
	}
	short := append([]byte(nil), enc[:30]...)
	if _, err := rx.Decrypt(nil, short); !errors.Is(err, ErrTooShort) {
		t.Errorf("short: %v", err)
	}
	full := dataFrame(t, []byte("x"))
	if _, err := tx.Encrypt(full[:len(full):len(full)]); !errors.Is(err, ErrNoRoom) {
		t.Errorf("no room: %v", err)
	}
}

// Replay counters are per TID: QoS frames of different TIDs may arrive out
// of PN order across TIDs.
func TestCCMPReplayPerTID(t *testing.T) {
	tx, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	a, _ := tx.Encrypt(qosFrame(1, []byte("tid1")))
	b, _ := tx.Encrypt(qosFrame(6, []byte("tid6")))
	if _, err := rx.Decrypt(nil, b); err != nil {
		t.Fatal(err)
	}
	if _, err := rx.Decrypt(nil, a); err != nil {
		t.Fatalf("lower PN on another TID: %v", err)
	}
}

func TestCCMPGroupKeyIDAndRSC(t *testing.T) {
	tx, _ := NewKey(tk2, 2)
	for i := 0; i < 5; i++ {
		tx.Encrypt(dataFrame(t, []byte("warm up")))
	}
	rx, _ := NewKey(tk2, 2)
	rx.SetRxPN(tx.TxPN()) // the RSC announced with the GTK
	enc, _ := tx.Encrypt(dataFrame(t, []byte("group")))
	pn, id, err := FramePN(enc)
	if err != nil || id != 2 || pn != 6 {
		t.Fatalf("FramePN = %d, %d, %v; want 6, 2", pn, id, err)
	}
	if _, err := rx.Decrypt(nil, enc); err != nil {
		t.Fatal(err)
	}
}

func TestCCMPDecryptInPlace(t *testing.T) {
	tx, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	payload := bytes.Repeat([]byte("0123456789"), 50)
	enc, _ := tx.Encrypt(dataFrame(t, payload))
	out, err := rx.Decrypt(enc[:0], enc)
	if err != nil {
		t.Fatal(err)
	}
	if &out[0] != &enc[0] || !bytes.Equal(out[24:], payload) {
		t.Fatal("in-place decrypt did not produce the plaintext in the same buffer")
	}
}

func TestCCMPNoAllocs(t *testing.T) {
	tx, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	buf := make([]byte, 0, 2400)
	dst := make([]byte, 0, 2400)
	payload := bytes.Repeat([]byte{1}, 1400)
	allocs := testing.AllocsPerRun(200, func() {
		f := append(buf[:0], dataFrame(t, nil)...)
		f = append(f, payload...)
		enc, err := tx.Encrypt(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rx.Decrypt(dst[:0], enc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 { // dataFrame's own buffer
		t.Fatalf("%v allocations per encrypt+decrypt, want none from CCMP", allocs)
	}
}

func BenchmarkCCMPEncrypt1500(b *testing.B) {
	k, _ := NewKey(tk1, 0)
	frame := dataFrame(b, bytes.Repeat([]byte{1}, 1500))
	buf := make([]byte, 0, 2400)
	b.SetBytes(1500)
	b.ReportAllocs()
	for b.Loop() {
		f := append(buf[:0], frame...)
		if _, err := k.Encrypt(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCCMPDecrypt1500(b *testing.B) {
	k, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	frame := dataFrame(b, bytes.Repeat([]byte{1}, 1500))
	enc, _ := k.Encrypt(frame)
	dst := make([]byte, 0, 2400)
	b.SetBytes(1500)
	b.ReportAllocs()
	for b.Loop() {
		rx.SetRxPN(0)
		if _, err := rx.Decrypt(dst[:0], enc); err != nil {
			b.Fatal(err)
		}
	}
}
