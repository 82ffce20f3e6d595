// SPDX-License-Identifier: MIT

package hostap

import (
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeDaemon is a unixgram control socket answering like hostapd: every
// request is answered with an unsolicited event first, then with the
// reply from answers (or "UNKNOWN COMMAND").
type fakeDaemon struct {
	t        *testing.T
	conn     *net.UnixConn
	path     string
	answers  map[string]string
	requests chan string
	silent   atomic.Bool // never answer (for the timeout)
}

func newFakeDaemon(t *testing.T, answers map[string]string) *fakeDaemon {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "vw0")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDaemon{t: t, conn: conn, path: path, answers: answers, requests: make(chan string, 100)}
	done := make(chan struct{})
	t.Cleanup(func() { conn.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFromUnix(buf)
			if err != nil {
				return
			}
			req := string(buf[:n])
			f.requests <- req
			if f.silent.Load() {
				continue
			}
			_, _ = conn.WriteToUnix([]byte("<3>CTRL-EVENT-SCAN-STARTED "), from)
			reply, ok := answers[req]
			if !ok {
				reply = "UNKNOWN COMMAND\n"
			}
			_, _ = conn.WriteToUnix([]byte(reply), from)
		}
	}()
	return f
}

func (f *fakeDaemon) client() Client {
	return Client{Path: f.path, LocalDir: f.t.TempDir(), Timeout: 500 * time.Millisecond}
}

func TestRequestSkipsEvents(t *testing.T) {
	f := newFakeDaemon(t, map[string]string{
		"STATUS":      "wpa_state=COMPLETED\nssid=vmedium\nbssid=02:00:00:00:00:00\nfreq=2437\n",
		"SIGNAL_POLL": "RSSI=-67\nLINKSPEED=54\nNOISE=9999\nFREQUENCY=2437\n",
	})
	c := f.client()
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st["wpa_state"] != "COMPLETED" || st["ssid"] != "vmedium" || st["bssid"] != "02:00:00:00:00:00" {
		t.Fatalf("STATUS parsed as %v", st)
	}
	if f, ok := st.Int("freq"); !ok || f != 2437 {
		t.Fatalf("freq = %d, %v", f, ok)
	}
	sp, err := c.SignalPoll()
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := sp.Int("RSSI"); !ok || v != -67 {
		t.Fatalf("RSSI = %d, %v", v, ok)
	}
	if _, ok := sp.Int("missing"); ok {
		t.Fatal("missing key parsed as a number")
	}
	if got := <-f.requests; got != "STATUS" {
		t.Fatalf("daemon got %q", got)
	}
	// The client's own socket is removed after each request.
	if m, _ := filepath.Glob(filepath.Join(c.LocalDir, "*")); len(m) != 0 {
		t.Fatalf("client sockets left: %v", m)
	}
}

func TestRequestFailAndTimeout(t *testing.T) {
	f := newFakeDaemon(t, map[string]string{"BAD": "FAIL\n"})
	c := f.client()
	if _, err := c.Request("BAD"); !errors.Is(err, ErrFailed) {
		t.Fatalf("FAIL reply: %v", err)
	}
	if _, err := c.Request("NOPE"); !errors.Is(err, ErrFailed) {
		t.Fatalf("UNKNOWN COMMAND reply: %v", err)
	}
	f.silent.Store(true)
	start := time.Now()
	_, err := c.Request("STATUS")
	if err == nil || !strings.Contains(err.Error(), f.path) {
		t.Fatalf("silent daemon: %v (want an error naming the socket)", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout took %v", d)
	}
	// No daemon at all: an error naming the socket.
	if _, err := (Client{Path: filepath.Join(t.TempDir(), "none")}).Request("PING"); err == nil || !strings.Contains(err.Error(), "none") {
		t.Fatalf("missing socket: %v", err)
	}
}

func TestStations(t *testing.T) {
	a1, a2 := "02:00:00:00:01:00", "02:00:00:00:02:00"
	f := newFakeDaemon(t, map[string]string{
		"STA-FIRST":      a1 + "\nflags=[AUTH][ASSOC][AUTHORIZED]\naid=1\n",
		"STA-NEXT " + a1: a2 + "\nflags=[AUTH]\naid=0\n",
		"STA-NEXT " + a2: "",
	})
	sts, err := f.client().Stations()
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || sts[0].Addr.String() != a1 || sts[1].Addr.String() != a2 {
		t.Fatalf("stations %+v", sts)
	}
	if !sts[0].Associated() || !sts[0].Authorized() || sts[1].Associated() || sts[0].Info["aid"] != "1" {
		t.Fatalf("flags: %+v", sts)
	}
	// No stations: hostapd answers STA-FIRST with FAIL (or nothing).
	f2 := newFakeDaemon(t, map[string]string{"STA-FIRST": "FAIL\n"})
	if sts, err := f2.client().Stations(); err != nil || len(sts) != 0 {
		t.Fatalf("empty list: %v, %v", sts, err)
	}
}

func TestParseStation(t *testing.T) {
	for _, bad := range []string{"", "FAIL", "not-a-mac\nflags=[ASSOC]", "02:00:00:00:01\n"} {
		if _, ok := ParseStation(bad); ok {
			t.Errorf("ParseStation(%q) ok", bad)
		}
	}
}

func TestIsEvent(t *testing.T) {
	for s, want := range map[string]bool{"<3>CTRL-EVENT-CONNECTED": true, "<2>x": true, "<a>": false, "OK": false, "<3": false, "": false} {
		if got := isEvent([]byte(s)); got != want {
			t.Errorf("isEvent(%q) = %v", s, got)
		}
	}
}

func FuzzParseStation(f *testing.F) {
	f.Add("02:00:00:00:01:00\nflags=[AUTH][ASSOC]\naid=1\n")
	f.Add("FAIL\n")
	f.Fuzz(func(t *testing.T, s string) {
		if st, ok := ParseStation(s); ok && len(st.Addr) != 6 {
			t.Fatalf("address of %d bytes", len(st.Addr))
		}
		_ = ParseKV(s)
	})
}
