// SPDX-License-Identifier: MIT

package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

func frame(cookie uint64, size int) *wire.Frame {
	d := make([]byte, size)
	for i := range d {
		d[i] = byte(cookie) + byte(i)
	}
	return &wire.Frame{Transmitter: wire.HWAddr{0x42, 1, 2, 3, 4, 5}, Flags: wire.FlagReqTxStatus, Freq: 2437, Cookie: cookie,
		Rates: [wire.RateCount]wire.Rate{{Idx: 0, Count: 1}, {Idx: -1}, {Idx: -1}, {Idx: -1}}, Data: d}
}

// TestConnExchange sends every kind of message both ways over each real
// carrier, singly and in Queue batches larger than the read buffer, and
// checks they arrive whole and in order.
func TestConnExchange(t *testing.T) {
	forEachPair(t, func(t *testing.T, gs, hs Stream) {
		g, h := NewConn(gs, Options{}), NewConn(hs, Options{})
		defer g.Close("test over")
		defer h.Close("test over")

		const n = 300 // 300 × ~2.3 KB: several read buffers' worth
		errc := make(chan error, 1)
		go func() {
			hello := wire.Hello{Name: "vm1", Software: "test", Radios: []wire.Radio{{HWAddr: wire.HWAddr{0x42}, Ifname: "wlan0"}}}
			if err := g.Write(&hello); err != nil {
				errc <- err
				return
			}
			for i := range n {
				if err := g.Queue(frame(uint64(i), 100+i*7)); err != nil {
					errc <- err
					return
				}
			}
			errc <- g.Flush()
		}()
		var m wire.Msg
		if err := h.Read(&m); err != nil || m.Type != wire.TypeHello || m.Hello.Name != "vm1" || m.Hello.Radios[0].Ifname != "wlan0" {
			t.Fatalf("hello: %v %+v", err, m.Hello)
		}
		for i := range n {
			if err := h.Read(&m); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			want := frame(uint64(i), 100+i*7)
			if m.Type != wire.TypeFrame || m.Frame.Cookie != want.Cookie || !bytes.Equal(m.Frame.Data, want.Data) {
				t.Fatalf("message %d: %v cookie %d len %d", i, m.Type, m.Frame.Cookie, len(m.Frame.Data))
			}
		}
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		// and back
		st := wire.TxStatus{Transmitter: wire.HWAddr{0x42}, Cookie: 9, Flags: wire.FlagAck, Signal: -40}
		if err := h.Write(&st); err != nil {
			t.Fatal(err)
		}
		if err := g.Read(&m); err != nil || m.Type != wire.TypeTxStatus || m.TxStatus != st {
			t.Fatalf("tx-status: %v %+v", err, m.TxStatus)
		}
		c := h.Counters()
		if c.MsgsIn != n+1 || c.MsgsOut != 1 {
			t.Errorf("host counters %+v", c)
		}
	})
}

// TestConnCloseSaysBye: the closing side's Bye reaches the peer, then EOF;
// the closing side's own Read reports ErrClosed.
func TestConnCloseSaysBye(t *testing.T) {
	forEachPair(t, func(t *testing.T, gs, hs Stream) {
		g, h := NewConn(gs, Options{}), NewConn(hs, Options{})
		defer h.Close("")
		readErr := make(chan error, 1)
		go func() {
			var m wire.Msg
			readErr <- g.Read(&m)
		}()
		time.Sleep(20 * time.Millisecond) // let the read block
		g.Close("agent stopping")
		if err := <-readErr; !errors.Is(err, ErrClosed) {
			t.Errorf("read on the closed side: %v, want ErrClosed", err)
		}
		var m wire.Msg
		if err := h.Read(&m); err != nil || m.Type != wire.TypeBye || m.Bye.Reason != "agent stopping" {
			t.Fatalf("peer read %v %+v, want bye", err, m)
		}
		err := h.Read(&m)
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "input/output error") {
			t.Errorf("after bye: %v, want EOF", err) // a pty master sees EIO when the slave closes
		}
		if err := g.Write(&wire.Ping{}); err == nil {
			t.Error("write after Close succeeded")
		}
	})
}

// TestKeepalive: two live ends keep each other up; a peer that never
// answers is dropped after the missed pings, with ErrPeerSilent.
func TestKeepalive(t *testing.T) {
	forEachPair(t, func(t *testing.T, gs, hs Stream) {
		// generous on missed pings: a loaded machine stalls goroutines
		// for hundreds of milliseconds
		opt := Options{KeepaliveInterval: 20 * time.Millisecond, KeepaliveMissed: 50}
		g := NewConn(gs, opt)
		h := NewConn(hs, opt)
		// both read (answering pings) until each has had 5 pongs
		done := make(chan error, 2)
		for _, c := range []*Conn{g, h} {
			go func() {
				var m wire.Msg
				done <- c.Read(&m)
			}()
		}
		deadline := time.Now().Add(10 * time.Second)
		for g.Counters().PongsIn < 5 || h.Counters().PongsIn < 5 {
			select {
			case err := <-done:
				t.Fatalf("a live connection ended: %v", err)
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				t.Fatalf("keepalive counters after 10 s: guest %+v, host %+v", g.Counters(), h.Counters())
			}
		}
		g.Close("")
		h.Close("")
		<-done
		<-done
	})
	t.Run("silent peer", func(t *testing.T) {
		testutil.CheckLeaks(t)
		gs, hs := unixPair(t)
		defer gs.Close() // the silent peer: never reads, never writes
		h := NewConn(hs, Options{KeepaliveInterval: 10 * time.Millisecond, KeepaliveMissed: 3})
		defer h.Close("")
		start := time.Now()
		var m wire.Msg
		err := h.Read(&m)
		if !errors.Is(err, ErrPeerSilent) || !strings.Contains(err.Error(), "3 in a row") {
			t.Fatalf("read from a silent peer: %v, want ErrPeerSilent", err)
		}
		if d := time.Since(start); d < 30*time.Millisecond || d > 5*time.Second {
			t.Errorf("dropped after %v, want about 4 intervals", d)
		}
		if !errors.Is(h.Err(), ErrPeerSilent) {
			t.Errorf("Err() = %v", h.Err())
		}
	})
}

// TestWriteDeadline: a peer that stops reading cannot block a writer for
// longer than WriteTimeout; the connection is dropped.
func TestWriteDeadline(t *testing.T) {
	forEachPair(t, func(t *testing.T, gs, hs Stream) {
		defer hs.Close() // never read
		g := NewConn(gs, Options{WriteTimeout: 100 * time.Millisecond})
		defer g.Close("")
		start := time.Now()
		var err error
		for i := 0; err == nil && time.Since(start) < 10*time.Second; i++ {
			err = g.Write(frame(uint64(i), wire.MaxFrame))
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("writing to a peer that does not read: %v, want a deadline error", err)
		}
		if err2 := g.Write(&wire.Ping{}); err2 == nil {
			t.Error("write after a failed write succeeded")
		}
		select {
		case <-g.Done():
		default:
			t.Error("connection still open after a failed write")
		}
	})
}

// TestReadBadInput: a malformed message with a valid length is skipped and
// reported; a length over the limit ends the connection.
func TestReadBadInput(t *testing.T) {
	testutil.CheckLeaks(t)
	gs, hs := unixPair(t)
	h := NewConn(hs, Options{})
	defer h.Close("")
	defer gs.Close()
	bad := []byte{0, 0, 0, 3, byte(wire.TypePing), 1, 2} // ping body short
	good, _ := (&wire.Bye{Reason: "x"}).Append(nil)
	huge := binary.BigEndian.AppendUint32(nil, 1<<20)
	if _, err := gs.Write(append(append(append(bad, good...), huge...), 0x20)); err != nil {
		t.Fatal(err)
	}
	var m wire.Msg
	if err := h.Read(&m); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("short ping: %v, want ErrMalformed", err)
	}
	if err := h.Read(&m); err != nil || m.Type != wire.TypeBye {
		t.Fatalf("after a skipped message: %v %v", err, m.Type)
	}
	if err := h.Read(&m); !errors.Is(err, wire.ErrTooLarge) {
		t.Fatalf("huge length: %v, want ErrTooLarge", err)
	}
	select {
	case <-h.Done():
	default:
		t.Error("still open after an unrecoverable length")
	}
}

func TestUnixListenStaleAndBusy(t *testing.T) {
	testutil.CheckLeaks(t)
	path := filepath.Join(t.TempDir(), "g.sock")
	// a stale socket file: its listener gone without removing it (a crash)
	s, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	s.SetUnlinkOnClose(false)
	s.Close()
	l, err := Listen(Addr{"unix", path})
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	defer l.Close()
	if _, err := Listen(Addr{"unix", path}); err == nil || !strings.Contains(err.Error(), "another process is listening") {
		t.Errorf("second listener: %v", err)
	}
	file := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(file, nil, 0o600)
	if _, err := Listen(Addr{"unix", file}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listen over a plain file: %v", err)
	}
}

func TestVirtioMissingPort(t *testing.T) {
	_, err := Virtio{Dir: t.TempDir()}.Dial(context.Background(), "org.vmedium.air")
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "virtserialport,chardev=…,name=org.vmedium.air") {
		t.Errorf("dial a missing port: %v", err)
	}
}

// TestConnConcurrentWriters: many goroutines writing at once (sharing
// system calls) deliver every message whole, each writer's in its order.
func TestConnConcurrentWriters(t *testing.T) {
	forEachPair(t, func(t *testing.T, gs, hs Stream) {
		g, h := NewConn(gs, Options{}), NewConn(hs, Options{})
		defer g.Close("")
		defer h.Close("")
		const writers, each = 8, 300
		errc := make(chan error, writers)
		for w := range writers {
			go func() {
				rx := wire.Rx{Receiver: wire.HWAddr{0x42, byte(w)}, Data: make([]byte, 200+w*150)}
				for i := range each {
					rx.Rate = uint32(i)
					for j := range rx.Data {
						rx.Data[j] = byte(w*31 + i + j)
					}
					var err error
					if i%3 == 0 {
						err = h.Queue(&rx)
						if i%9 == 0 {
							err = h.Flush()
						}
					} else {
						err = h.Write(&rx)
					}
					if err != nil {
						errc <- err
						return
					}
				}
				errc <- h.Flush()
			}()
		}
		next := make([]uint32, writers)
		var m wire.Msg
		for range writers * each {
			if err := g.Read(&m); err != nil || m.Type != wire.TypeRx {
				t.Fatalf("read: %v %v", m.Type, err)
			}
			w := int(m.Rx.Receiver[1])
			if m.Rx.Rate != next[w] || len(m.Rx.Data) != 200+w*150 {
				t.Fatalf("writer %d: message %d of %d bytes, want %d", w, m.Rx.Rate, len(m.Rx.Data), next[w])
			}
			for j, b := range m.Rx.Data {
				if b != byte(w*31+int(m.Rx.Rate)+j) {
					t.Fatalf("writer %d message %d: byte %d corrupted", w, m.Rx.Rate, j)
				}
			}
			next[w]++
		}
		for range writers {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
	})
}
