// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/vmedium/vmedium/internal/testutil"
)

// DecryptBatch must give exactly what Key.Decrypt gives frame by frame:
// for every body length around the block size, QoS and plain headers,
// two keys mixed in one batch, in place and into a separate buffer,
// a corrupted frame (MIC), a replayed one and a packet number used twice
// within one batch (the second is a replay) — on the AES-NI path and the
// portable one.
func TestDecryptBatchMatchesDecrypt(t *testing.T) {
	paths := []bool{false}
	if haveAESNI {
		paths = append(paths, true)
	}
	for _, ni := range paths {
		useAESNI = ni
		t.Cleanup(func() { useAESNI = haveAESNI })
		rng := rand.New(rand.NewPCG(1, 2))
		for round := 0; round < 300; round++ {
			tx := [2]*Key{}
			rxSeq, rxBat := [2]*Key{}, [2]*Key{}
			for i, tk := range [][]byte{tk1, tk2} {
				tx[i], _ = NewKey(tk, 0)
				rxSeq[i], _ = NewKey(tk, 0)
				rxBat[i], _ = NewKey(tk, 0)
			}
			n := 1 + rng.IntN(7)
			var encs [][]byte
			var keyOf []int
			for i := 0; i < n; i++ {
				p := make([]byte, rng.IntN(70)+[]int{0, 1400, 2250}[rng.IntN(3)])
				for j := range p {
					p[j] = byte(rng.Uint32())
				}
				f := dataFrame(t, p)
				if rng.IntN(3) == 0 {
					f = qosFrame(uint8(rng.IntN(8)), p)
				}
				k := rng.IntN(2)
				enc, err := tx[k].Encrypt(f)
				if err != nil {
					t.Fatal(err)
				}
				switch rng.IntN(8) {
				case 0: // corrupted
					enc[len(enc)/2] ^= 0x40
				case 1: // the previous frame of this key again
					for q := len(encs) - 1; q >= 0; q-- {
						if keyOf[q] == k {
							enc = append([]byte(nil), encs[q]...)
							break
						}
					}
				}
				encs, keyOf = append(encs, enc), append(keyOf, k)
			}
			jobs := make([]DecryptJob, n)
			inPlace := rng.IntN(2) == 0
			var want [][]byte
			var wantErr []error
			for i, enc := range encs {
				out, err := rxSeq[keyOf[i]].Decrypt(nil, enc)
				want, wantErr = append(want, append([]byte(nil), out...)), append(wantErr, err)
				f := append(make([]byte, 0, 2400), enc...)
				jobs[i] = DecryptJob{Key: rxBat[keyOf[i]], Frame: f, Dst: make([]byte, 0, 2400)}
				if inPlace {
					jobs[i].Dst = f[:0]
				}
			}
			DecryptBatch(jobs)
			for i, j := range jobs {
				if !errors.Is(j.Err, wantErr[i]) || (j.Err == nil && !bytes.Equal(j.Out, want[i])) {
					t.Fatalf("aesni=%v round %d frame %d of %d (in place %v): got %v %x\nwant %v %x", ni, round, i, n, inPlace, j.Err, j.Out, wantErr[i], want[i])
				}
				if j.Err != nil && len(j.Out) != 0 {
					t.Fatalf("frame %d: %v with %d bytes out, want none", i, j.Err, len(j.Out))
				}
			}
		}
	}
}

func TestDecryptBatchAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	tx, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	var jobs [MaxBatch]DecryptJob
	var encs [MaxBatch][]byte
	for i := range encs {
		encs[i], _ = tx.Encrypt(dataFrame(t, bytes.Repeat([]byte{byte(i)}, 1400)))
		jobs[i] = DecryptJob{Key: rx, Frame: encs[i], Dst: make([]byte, 0, 2400)}
	}
	allocs := testing.AllocsPerRun(100, func() {
		rx.SetRxPN(0)
		for i := range jobs {
			jobs[i].Dst = jobs[i].Dst[:0]
		}
		DecryptBatch(jobs[:])
		if jobs[3].Err != nil {
			t.Fatal(jobs[3].Err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch, want 0", allocs)
	}
}

// Four 1500-byte frames per op: compare with 4 × BenchmarkCCMPDecrypt1500.
func BenchmarkDecryptBatch4x1500(b *testing.B) {
	tx, _ := NewKey(tk1, 0)
	rx, _ := NewKey(tk1, 0)
	var jobs [MaxBatch]DecryptJob
	for i := range jobs {
		enc, _ := tx.Encrypt(dataFrame(b, bytes.Repeat([]byte{1}, 1500)))
		jobs[i] = DecryptJob{Key: rx, Frame: enc, Dst: make([]byte, 0, 2400)}
	}
	b.SetBytes(4 * 1500)
	b.ReportAllocs()
	for b.Loop() {
		rx.SetRxPN(0)
		for i := range jobs {
			jobs[i].Dst = jobs[i].Dst[:0]
		}
		DecryptBatch(jobs[:])
	}
}

// EncryptBatch must give byte for byte what Key.Encrypt gives frame by
// frame (packet numbers taken in job order), for every body length around
// the block size, QoS and plain headers and two keys in one batch, on the
// AES-NI path and the portable one; and what it gives must decrypt.
func TestEncryptBatchMatchesEncrypt(t *testing.T) {
	paths := []bool{false}
	if haveAESNI {
		paths = append(paths, true)
	}
	for _, ni := range paths {
		useAESNI = ni
		t.Cleanup(func() { useAESNI = haveAESNI })
		rng := rand.New(rand.NewPCG(3, 4))
		for round := 0; round < 300; round++ {
			seq, bat, rx := [2]*Key{}, [2]*Key{}, [2]*Key{}
			for i, tk := range [][]byte{tk1, tk2} {
				seq[i], _ = NewKey(tk, 1)
				bat[i], _ = NewKey(tk, 1)
				rx[i], _ = NewKey(tk, 1)
			}
			n := 1 + rng.IntN(7)
			jobs := make([]EncryptJob, n)
			var want [][]byte
			for i := range jobs {
				p := make([]byte, rng.IntN(70)+[]int{0, 1400, 2250}[rng.IntN(3)])
				for j := range p {
					p[j] = byte(rng.Uint32())
				}
				f := dataFrame(t, p)
				if rng.IntN(3) == 0 {
					f = qosFrame(uint8(rng.IntN(8)), p)
				}
				k := rng.IntN(2)
				enc, err := seq[k].Encrypt(append(make([]byte, 0, 2400), f...))
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, enc)
				jobs[i] = EncryptJob{Key: bat[k], Frame: append(make([]byte, 0, 2400), f...)}
			}
			jobs = append(jobs, EncryptJob{Key: bat[0], Frame: dataFrame(t, []byte{1})[:24:24]}) // no room
			EncryptBatch(jobs)
			if last := jobs[n]; last.Err != ErrNoRoom {
				t.Fatalf("frame without room: %v, want ErrNoRoom", last.Err)
			}
			for i, j := range jobs[:n] {
				if j.Err != nil || !bytes.Equal(j.Out, want[i]) {
					t.Fatalf("aesni=%v round %d frame %d of %d: got %v %x\nwant %x", ni, round, i, n, j.Err, j.Out, want[i])
				}
				k := rx[0]
				if j.Key == bat[1] {
					k = rx[1]
				}
				if _, err := k.Decrypt(nil, j.Out); err != nil {
					t.Fatalf("frame %d does not decrypt: %v", i, err)
				}
			}
		}
	}
}

func TestEncryptBatchAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	k, _ := NewKey(tk1, 0)
	var jobs [MaxBatch]EncryptJob
	var bufs [MaxBatch][]byte
	frame := dataFrame(t, bytes.Repeat([]byte{1}, 1400))
	for i := range bufs {
		bufs[i] = make([]byte, 0, 2400)
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range jobs {
			jobs[i] = EncryptJob{Key: k, Frame: append(bufs[i][:0], frame...)}
		}
		EncryptBatch(jobs[:])
		if jobs[3].Err != nil {
			t.Fatal(jobs[3].Err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch, want 0", allocs)
	}
}

// Four 1500-byte frames per op: compare with 4 × BenchmarkCCMPEncrypt1500.
func BenchmarkEncryptBatch4x1500(b *testing.B) {
	k, _ := NewKey(tk1, 0)
	frame := dataFrame(b, bytes.Repeat([]byte{1}, 1500))
	var jobs [MaxBatch]EncryptJob
	var bufs [MaxBatch][]byte
	for i := range bufs {
		bufs[i] = make([]byte, 0, 2400)
	}
	b.SetBytes(4 * 1500)
	b.ReportAllocs()
	for b.Loop() {
		for i := range jobs {
			jobs[i] = EncryptJob{Key: k, Frame: append(bufs[i][:0], frame...)}
		}
		EncryptBatch(jobs[:])
	}
}
