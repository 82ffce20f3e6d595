// SPDX-License-Identifier: MIT

package transport

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
)

// A pair is two ends of one real stream: the guest's (dialled) and the
// host's (accepted, or the other end of a device).
type pairFunc func(t testing.TB) (guest, host Stream)

// listenPair listens on addr with the real carrier, dials it and accepts.
func listenPair(t testing.TB, a Addr) (Stream, Stream) {
	t.Helper()
	l, err := Listen(a)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		s   Stream
		err error
	}
	acc := make(chan res, 1)
	go func() {
		s, err := l.Accept()
		acc <- res{s, err}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	g, err := Dial(ctx, l.Addr())
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	return g, r.s
}

func unixPair(t testing.TB) (Stream, Stream) {
	return listenPair(t, Addr{"unix", filepath.Join(t.TempDir(), "guests.sock")})
}

func tcpPair(t testing.TB) (Stream, Stream) {
	return listenPair(t, Addr{"tcp", "127.0.0.1:0"})
}

// pipeStream is a bidirectional stream made of two pipes: *os.File reads
// and writes through the poller, as on a character device.
type pipeStream struct{ r, w *os.File }

func (p pipeStream) Read(b []byte) (int, error)  { return p.r.Read(b) }
func (p pipeStream) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeStream) SetReadDeadline(t time.Time) error {
	return p.r.SetReadDeadline(t)
}
func (p pipeStream) SetWriteDeadline(t time.Time) error {
	return p.w.SetWriteDeadline(t)
}
func (p pipeStream) Close() error {
	p.r.Close()
	return p.w.Close()
}

func pipePair(t testing.TB) (Stream, Stream) {
	gr, hw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	hr, gw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	return pipeStream{gr, gw}, pipeStream{hr, hw}
}

var pairs = map[string]pairFunc{
	"unix":   unixPair,
	"tcp":    tcpPair,
	"pipe":   pipePair,
	"virtio": ptyPair, // a pty standing in for the port device: *_linux_test.go
}

func forEachPair(t *testing.T, fn func(t *testing.T, guest, host Stream)) {
	for _, name := range []string{"unix", "tcp", "pipe", "virtio"} {
		t.Run(name, func(t *testing.T) {
			testutil.CheckLeaks(t)
			g, h := pairs[name](t)
			fn(t, g, h)
		})
	}
}
