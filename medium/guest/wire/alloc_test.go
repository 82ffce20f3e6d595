// SPDX-License-Identifier: MIT

package wire

import (
	"testing"

	"github.com/vmedium/vmedium/internal/testutil"
)

// TestHotPathAllocs pins the steady-state path (Frame, TxStatus, Rx, Ping,
// Pong: encode into a reused buffer, decode into a reused Msg) at zero
// allocations.
func TestHotPathAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	var m Msg
	buf := make([]byte, 0, MaxMessage)
	for _, s := range samples() {
		switch s.Type {
		case TypeFrame, TypeTxStatus, TypeRx, TypePing, TypePong:
		default:
			continue
		}
		msg := typed(&s)
		n := testing.AllocsPerRun(200, func() {
			b, err := msg.Append(buf[:0])
			if err != nil {
				t.Fatal(err)
			}
			if err := Decode(b, &m); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%v: %.1f allocs per encode+decode, want 0", s.Type, n)
		}
	}
}

func BenchmarkFrameEncodeDecode(b *testing.B) {
	f := Frame{Transmitter: radioA, Flags: FlagReqTxStatus, Freq: 2437, Cookie: 1, Rates: chain, Data: make([]byte, 1534)}
	var m Msg
	buf := make([]byte, 0, MaxMessage)
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Data)))
	for b.Loop() {
		f.Cookie++
		out, _ := f.Append(buf[:0])
		if err := Decode(out, &m); err != nil {
			b.Fatal(err)
		}
	}
}
