// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

// relayHeader rewrites a To-DS header into the From-DS header an AP
// relays with (as ap does).
func relayHeader(hdr []byte) []byte {
	h := append([]byte(nil), hdr...)
	if h[1]&(frames.FlagToDS|frames.FlagFromDS) == frames.FlagToDS|frames.FlagFromDS {
		h[1] &^= frames.FlagRetry | frames.FlagProtected // 4-address: keep the DS bits (and A4)
	} else {
		h[1] = h[1]&^(frames.FlagToDS|frames.FlagRetry|frames.FlagProtected) | frames.FlagFromDS
	}
	copy(h[4:10], []byte{2, 0, 0, 0, 2, 0})
	copy(h[10:16], []byte{2, 0, 0, 0, 0, 0})
	copy(h[16:22], []byte{2, 0, 0, 0, 1, 0})
	h[22], h[23] = 0x50, 0x02
	return h
}

// Reencrypt must produce exactly what decrypting, rewriting the header
// and encrypting again produce, on both paths and for every tail length.
func TestReencryptMatchesTwoPasses(t *testing.T) {
	for _, aesni := range []bool{true, false} {
		if aesni && !haveAESNI {
			continue
		}
		useAESNI = aesni
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 1500} {
			for _, mk := range []func([]byte) []byte{
				func(p []byte) []byte { return dataFrame(t, p) },
				func(p []byte) []byte { return qosFrame(3, p) },
			} {
				payload := bytes.Repeat([]byte{byte(n)}, n)
				sender, _ := NewKey(tk1, 0)
				enc, _ := sender.Encrypt(mk(payload))
				hl := len(mk(nil))
				newHdr := relayHeader(enc[:hl])

				from, _ := NewKey(tk1, 0)
				to, _ := NewKey(tk2, 0)
				got, err := Reencrypt(from, to, make([]byte, 0, 2400), enc, newHdr)
				if err != nil {
					t.Fatalf("aesni %v, %d bytes: %v", aesni, n, err)
				}

				ref, _ := NewKey(tk1, 0)
				plain, err := ref.Decrypt(nil, enc)
				if err != nil {
					t.Fatal(err)
				}
				copy(plain, newHdr)
				toRef, _ := NewKey(tk2, 0)
				want, _ := toRef.Encrypt(append(make([]byte, 0, len(plain)+CCMPOverhead), plain...))
				if !bytes.Equal(got, want) {
					t.Fatalf("aesni %v, %d bytes:\n got %x\nwant %x", aesni, n, got, want)
				}
				rx, _ := NewKey(tk2, 0)
				if back, err := rx.Decrypt(nil, got); err != nil || !bytes.Equal(back[hl:], payload) {
					t.Fatalf("aesni %v, %d bytes: receiver: %v", aesni, n, err)
				}
				if _, err := Reencrypt(from, to, nil, enc, newHdr); !errors.Is(err, ErrReplay) {
					t.Fatalf("replayed: %v", err)
				}
				bad := append([]byte(nil), enc...)
				bad[len(bad)-3] ^= 1
				fresh, _ := NewKey(tk1, 0)
				if out, err := Reencrypt(fresh, to, nil, bad, newHdr); !errors.Is(err, ErrMIC) || len(out) != 0 {
					t.Fatalf("forged: %v", err)
				}
			}
		}
	}
	useAESNI = haveAESNI
}

func TestReencryptNoAllocs(t *testing.T) {
	from, _ := NewKey(tk1, 0)
	to, _ := NewKey(tk2, 0)
	sender, _ := NewKey(tk1, 0)
	dst := make([]byte, 0, 2400)
	frame := dataFrame(t, bytes.Repeat([]byte{1}, 1400))
	buf := make([]byte, 0, 2400)
	newHdr := relayHeader(frame[:24])
	if n := testing.AllocsPerRun(100, func() {
		enc, _ := sender.Encrypt(append(buf[:0], frame...))
		if _, err := Reencrypt(from, to, dst[:0], enc, newHdr); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("%v allocations per re-encryption", n)
	}
}

func BenchmarkReencrypt1500(b *testing.B) {
	from, _ := NewKey(tk1, 0)
	to, _ := NewKey(tk2, 0)
	sender, _ := NewKey(tk1, 0)
	enc, _ := sender.Encrypt(dataFrame(b, bytes.Repeat([]byte{1}, 1500)))
	newHdr := relayHeader(enc[:24])
	dst := make([]byte, 0, 2400)
	b.SetBytes(1500)
	b.ReportAllocs()
	for b.Loop() {
		from.SetRxPN(0)
		if _, err := Reencrypt(from, to, dst[:0], enc, newHdr); err != nil {
			b.Fatal(err)
		}
	}
}

func TestPeekEtherType(t *testing.T) {
	k, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	eapol := AppendEAPOLData(nil, frames.DataHeader{ToDS: true}, []byte{2, 3, 0, 0})
	enc, _ := k.Encrypt(eapol)
	if et, ok := rx.PeekEtherType(enc); !ok || et != EtherTypeEAPOL {
		t.Fatalf("EAPOL peeked as %#x %v", et, ok)
	}
	eth := []byte{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 0x08, 0x00, 0x45}
	ip, _ := frames.EthernetToData(make([]byte, 0, 128), frames.DataHeader{ToDS: true}, eth)
	enc, _ = k.Encrypt(ip)
	if et, ok := rx.PeekEtherType(enc); !ok || et != 0x0800 {
		t.Fatalf("IPv4 peeked as %#x %v", et, ok)
	}
	other, _ := NewKey(tk2, 0)
	if et, ok := other.PeekEtherType(enc); ok && et == 0x0800 {
		t.Fatal("a wrong key peeked the right ethertype")
	}
}
