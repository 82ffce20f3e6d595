// SPDX-License-Identifier: MIT

// Package transport carries the guest protocol (medium/guest/wire) between
// a guest agent and the host: carriers (a virtio-serial port, a UNIX
// socket, TCP) behind one small interface, and Conn, the framed connection
// both ends use over any of them (buffered reads and writes of whole
// messages, write deadlines, keepalive, clean close).
//
// The guest dials; the host listens. The host only listens on unix and tcp
// addresses, which need no privileges; a virtio-serial port is a character
// device in the guest (QEMU connects its host end to the host's unix
// socket), so it is only dialled.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Stream is one bidirectional byte stream: a net.Conn, or an *os.File for
// a character device.
type Stream interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// Listener accepts guest streams on the host.
type Listener interface {
	Accept() (Stream, error)
	Close() error
	// Addr is the address it listens on, in ParseAddr's form.
	Addr() Addr
}

// Carrier is one kind of transport, named by its address scheme. A new
// carrier (vsock, say) is one more implementation in the carriers table.
type Carrier interface {
	// Check validates a target (the part after "scheme:").
	Check(target string) error
	// Dial opens a stream to target (the guest side).
	Dial(ctx context.Context, target string) (Stream, error)
	// Listen listens on target (the host side); ErrNoListen if the
	// carrier cannot.
	Listen(target string) (Listener, error)
}

// ErrNoListen: the carrier has no listening side (a virtio port is opened,
// never listened on).
var ErrNoListen = errors.New("cannot listen on this transport")

// DefaultVirtioDir is where the guest kernel names virtio-serial ports.
const DefaultVirtioDir = "/dev/virtio-ports"

var carriers = map[string]Carrier{
	"virtio": Virtio{Dir: DefaultVirtioDir},
	"unix":   Unix{},
	"tcp":    TCP{},
}

// Dial opens a stream to a (the guest side).
func Dial(ctx context.Context, a Addr) (Stream, error) {
	c, ok := carriers[a.Scheme]
	if !ok {
		return nil, fmt.Errorf("dial %v: unknown scheme %q: use one of %s: %w", a, a.Scheme, Accepted, ErrAddr)
	}
	s, err := c.Dial(ctx, a.Target)
	if err != nil {
		return nil, fmt.Errorf("dial %v: %w", a, err)
	}
	return s, nil
}

// Listen listens on a (the host side).
func Listen(a Addr) (Listener, error) {
	c, ok := carriers[a.Scheme]
	if !ok {
		return nil, fmt.Errorf("listen on %v: unknown scheme %q: use one of %s: %w", a, a.Scheme, Accepted, ErrAddr)
	}
	l, err := c.Listen(a.Target)
	if err != nil {
		return nil, fmt.Errorf("listen on %v: %w", a, err)
	}
	return l, nil
}
