// SPDX-License-Identifier: MIT

package transport

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ErrAddr is wrapped by every address parsing error.
var ErrAddr = errors.New("bad transport address")

// Accepted is the list of address forms, for error messages and help.
const Accepted = "virtio:PORTNAME (/dev/virtio-ports/PORTNAME), unix:PATH, tcp:HOST:PORT"

// Addr is a parsed transport address: a scheme naming the carrier and the
// carrier's own target (a port name, a path, host:port).
type Addr struct {
	Scheme string
	Target string
}

func (a Addr) String() string { return a.Scheme + ":" + a.Target }

// ParseAddr parses SCHEME:TARGET. An unknown or missing scheme is an error
// naming it and the accepted forms.
func ParseAddr(s string) (Addr, error) {
	scheme, target, ok := strings.Cut(s, ":")
	if !ok || scheme == "" {
		return Addr{}, fmt.Errorf("transport address %q has no scheme: use one of %s: %w", s, Accepted, ErrAddr)
	}
	c, ok := carriers[scheme]
	if !ok {
		return Addr{}, fmt.Errorf("unknown transport scheme %q in %q: use one of %s: %w", scheme, s, Accepted, ErrAddr)
	}
	if err := c.Check(target); err != nil {
		return Addr{}, fmt.Errorf("transport address %q: %w", s, err)
	}
	return Addr{Scheme: scheme, Target: target}, nil
}

func checkVirtio(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("virtio port name %q: want the name of a virtserialport (e.g. org.vmedium.air), no '/': %w", name, ErrAddr)
	}
	return nil
}

func checkUnix(path string) error {
	if path == "" || strings.ContainsRune(path, 0) {
		return fmt.Errorf("unix socket path %q: want a file system path: %w", path, ErrAddr)
	}
	return nil
}

func checkTCP(hostport string) error {
	_, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("tcp address %q: want HOST:PORT ([v6]:PORT for IPv6): %w", hostport, ErrAddr)
	}
	if p, err := strconv.ParseUint(port, 10, 16); err != nil || (p == 0 && port != "0") {
		return fmt.Errorf("tcp port %q: want a number 0..65535: %w", port, ErrAddr)
	}
	return nil
}
