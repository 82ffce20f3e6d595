// SPDX-License-Identifier: MIT

package transport

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/guest/wire"
)

// chunkStream hands out its input in reads of at most chunk bytes (the
// way a socket or a port splits a stream) and swallows writes.
type chunkStream struct {
	in    []byte
	chunk int
}

func (c *chunkStream) Read(b []byte) (int, error) {
	if len(c.in) == 0 {
		return 0, io.EOF
	}
	n := min(len(b), c.chunk, len(c.in))
	copy(b, c.in[:n])
	c.in = c.in[n:]
	return n, nil
}
func (c *chunkStream) Write(b []byte) (int, error)      { return len(b), nil }
func (c *chunkStream) Close() error                     { return nil }
func (c *chunkStream) SetReadDeadline(time.Time) error  { return nil }
func (c *chunkStream) SetWriteDeadline(time.Time) error { return nil }

// FuzzConnRead feeds an arbitrary byte stream, split into reads of an
// arbitrary size, to Conn.Read until it ends. Nothing may panic or loop:
// every message either decodes, or is skipped with ErrMalformed/ErrVersion
// (its length was valid), or ends the stream for good (ErrTooLarge,
// ErrOutOfStep, EOF).
func FuzzConnRead(f *testing.F) {
	var seed []byte
	for _, m := range []wire.Message{&wire.Hello{Name: "vm1"}, &wire.Ping{Seq: 1}, frame(1, 30), &wire.Bye{}} {
		seed, _ = m.Append(seed)
	}
	f.Add(uint8(1), seed)
	f.Add(uint8(7), seed)
	f.Add(uint8(255), append(seed[:9], 0xff, 0xff, 0xff, 0xff))
	f.Fuzz(func(t *testing.T, chunk uint8, in []byte) {
		c := NewConn(&chunkStream{in: in, chunk: int(chunk) + 1}, Options{})
		defer c.Close("")
		var m wire.Msg
		for i := 0; ; i++ {
			if i > len(in) {
				t.Fatalf("more than %d messages from %d bytes", i, len(in))
			}
			err := c.Read(&m)
			if err == nil || errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrVersion) {
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, wire.ErrTooLarge) && !errors.Is(err, ErrOutOfStep) {
				t.Fatalf("stream ended with %v", err)
			}
			if err2 := c.Read(&m); err2 == nil || errors.Is(err2, wire.ErrMalformed) {
				t.Fatalf("Read after the end (%v): %v", err, err2)
			}
			return
		}
	})
}
