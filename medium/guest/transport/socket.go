// SPDX-License-Identifier: MIT

package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
)

// Unix carries the protocol over a UNIX stream socket.
type Unix struct{}

// Check validates a socket path.
func (Unix) Check(path string) error { return checkUnix(path) }

// Dial connects to the socket at path.
func (Unix) Dial(ctx context.Context, path string) (Stream, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Listen listens at path. A socket file left by a process that is gone is
// replaced; one a live process still listens on is an error.
func (Unix) Listen(path string) (Listener, error) {
	if err := checkUnix(path); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("%s exists and is not a socket: remove it or pick another path", path)
		}
		c, err := net.Dial("unix", path)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another process is listening there (a second vmedium?)", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%s exists and cannot be probed: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove the stale socket %s: %w", path, err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return &netListener{l: l, addr: Addr{Scheme: "unix", Target: path}}, nil
}

// TCP carries the protocol over TCP.
type TCP struct{}

// Check validates HOST:PORT.
func (TCP) Check(hostport string) error { return checkTCP(hostport) }

// Dial connects to hostport.
func (TCP) Dial(ctx context.Context, hostport string) (Stream, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Listen listens on hostport; port 0 picks a free one (Addr says which).
func (TCP) Listen(hostport string) (Listener, error) {
	if err := checkTCP(hostport); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", hostport)
	if err != nil {
		return nil, err
	}
	return &netListener{l: l, addr: Addr{Scheme: "tcp", Target: l.Addr().String()}}, nil
}

type netListener struct {
	l    net.Listener
	addr Addr
}

func (n *netListener) Accept() (Stream, error) {
	c, err := n.l.Accept()
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (n *netListener) Close() error { return n.l.Close() }
func (n *netListener) Addr() Addr   { return n.addr }
