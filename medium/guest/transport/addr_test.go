// SPDX-License-Identifier: MIT

package transport

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Addr
	}{
		{"virtio:org.vmedium.air", Addr{"virtio", "org.vmedium.air"}},
		{"unix:/run/vmedium/guests.sock", Addr{"unix", "/run/vmedium/guests.sock"}},
		{"unix:rel/path.sock", Addr{"unix", "rel/path.sock"}},
		{"tcp:127.0.0.1:8212", Addr{"tcp", "127.0.0.1:8212"}},
		{"tcp:[::1]:8212", Addr{"tcp", "[::1]:8212"}},
		{"tcp::8212", Addr{"tcp", ":8212"}},
		{"tcp:localhost:0", Addr{"tcp", "localhost:0"}},
	} {
		got, err := ParseAddr(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseAddr(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if err == nil && got.String() != c.in {
			t.Errorf("%+v prints as %q, want %q", got, got.String(), c.in)
		}
	}
}

func TestParseAddrErrors(t *testing.T) {
	for _, c := range []struct{ in, text string }{
		{"vsock:3:8212", `unknown transport scheme "vsock" in "vsock:3:8212": use one of virtio:PORTNAME (/dev/virtio-ports/PORTNAME), unix:PATH, tcp:HOST:PORT`},
		{"/run/x.sock", `transport address "/run/x.sock" has no scheme: use one of virtio:PORTNAME`},
		{":x", "has no scheme"},
		{"virtio:", "virtio port name"},
		{"virtio:../../etc/passwd", "no '/'"},
		{"unix:", "unix socket path"},
		{"tcp:8212", "want HOST:PORT"},
		{"tcp:host:http", `tcp port "http": want a number 0..65535`},
		{"tcp:host:70000", "want a number 0..65535"},
	} {
		_, err := ParseAddr(c.in)
		if !errors.Is(err, ErrAddr) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("ParseAddr(%q) = %v, want ErrAddr containing %q", c.in, err, c.text)
		}
	}
}

func TestDialListenUnknownScheme(t *testing.T) {
	if _, err := Dial(context.Background(), Addr{"vsock", "3:1"}); !errors.Is(err, ErrAddr) || !strings.Contains(err.Error(), Accepted) {
		t.Errorf("Dial: %v", err)
	}
	if _, err := Listen(Addr{"vsock", "3:1"}); !errors.Is(err, ErrAddr) {
		t.Errorf("Listen: %v", err)
	}
	if _, err := Listen(Addr{"virtio", "org.vmedium.air"}); !errors.Is(err, ErrNoListen) || !strings.Contains(err.Error(), "the host listens on unix: or tcp:") {
		t.Errorf("Listen virtio: %v", err)
	}
}
