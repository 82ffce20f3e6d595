// SPDX-License-Identifier: MIT

package transport

import (
	"io"
	"testing"

	"github.com/vmedium/vmedium/medium/guest/wire"
)

// BenchmarkSocketFloorUnix: the floor any relay over a UNIX socket pays
// here: 1572 bytes one way, 50 back, between two goroutines, no protocol.
func BenchmarkSocketFloorUnix(b *testing.B) {
	gs, hs := unixPair(b)
	defer gs.Close()
	defer hs.Close()
	go func() {
		buf := make([]byte, 1572)
		back := make([]byte, 50)
		for {
			if _, err := io.ReadFull(hs, buf); err != nil {
				return
			}
			if _, err := hs.Write(back); err != nil {
				return
			}
		}
	}()
	out := make([]byte, 1572)
	in := make([]byte, 50)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gs.Write(out); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(gs, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnRoundTripUnix: a Frame out and a TxStatus back through two
// Conns (encode, write, read, decode on both sides), one at a time.
func BenchmarkConnRoundTripUnix(b *testing.B) {
	gs, hs := unixPair(b)
	g, h := NewConn(gs, Options{}), NewConn(hs, Options{})
	defer g.Close("")
	defer h.Close("")
	go func() {
		var m wire.Msg
		var st wire.TxStatus
		for h.Read(&m) == nil {
			st = wire.TxStatus{Transmitter: m.Frame.Transmitter, Cookie: m.Frame.Cookie, Flags: wire.FlagAck}
			if h.Write(&st) != nil {
				return
			}
		}
	}()
	f := frame(1, 1534)
	var m wire.Msg
	b.ReportAllocs()
	for b.Loop() {
		f.Cookie++
		if err := g.Write(f); err != nil {
			b.Fatal(err)
		}
		if err := g.Read(&m); err != nil || m.TxStatus.Cookie != f.Cookie {
			b.Fatal(err)
		}
	}
}

// BenchmarkConnFanIn: several goroutines write Rx frames to one Conn at
// once (the host delivering many transmitters' frames to one guest); the
// peer reads them. ns/op is per message.
func BenchmarkConnFanIn(b *testing.B) {
	gs, hs := unixPair(b)
	g, h := NewConn(gs, Options{}), NewConn(hs, Options{})
	defer g.Close("")
	defer h.Close("")
	const writers = 4
	read := make(chan error, 1)
	go func() {
		var m wire.Msg
		for range b.N {
			if err := g.Read(&m); err != nil {
				read <- err
				return
			}
		}
		read <- nil
	}()
	b.ReportAllocs()
	b.SetBytes(1534)
	b.ResetTimer()
	done := make(chan struct{})
	for w := range writers {
		go func() {
			rx := wire.Rx{Receiver: wire.HWAddr{0x42, byte(w)}, Freq: 2437, Signal: -50, Data: make([]byte, 1534)}
			for i := w; i < b.N; i += writers {
				if err := h.Write(&rx); err != nil {
					break
				}
			}
			done <- struct{}{}
		}()
	}
	for range writers {
		<-done
	}
	if err := <-read; err != nil {
		b.Fatal(err)
	}
}
