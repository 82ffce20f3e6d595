// SPDX-License-Identifier: MIT

package vmnic

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
)

func TestMain(m *testing.M) { testutil.VerifyMain(m) }

var radioMAC = frames.MAC{0x02, 0, 0, 0, 0x03, 0}

// recorder is a Sender that keeps copies of what it was given and refuses
// frames from another address than radioMAC, as sta.STA does.
type recorder struct {
	mu  sync.Mutex
	got [][]byte
	ch  chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 64)} }

var errForeign = errors.New("foreign source")

func (r *recorder) SendEthernet(eth []byte) error {
	if frames.MAC(eth[6:12]) != radioMAC {
		r.ch <- struct{}{}
		return errForeign
	}
	r.mu.Lock()
	r.got = append(r.got, bytes.Clone(eth))
	r.mu.Unlock()
	r.ch <- struct{}{}
	return nil
}

func (r *recorder) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for frames from the VM")
		}
	}
}

func ethFrame(src frames.MAC, payload string) []byte {
	f := make([]byte, 0, 14+len(payload))
	f = append(f, 0x02, 0, 0, 0, 0, 0) // the AP
	f = append(f, src[:]...)
	f = append(f, 0x08, 0x00)
	return append(f, payload...)
}

// qemuWrite writes frames the way QEMU's stream netdev does.
func qemuWrite(t *testing.T, c net.Conn, fs ...[]byte) {
	t.Helper()
	for _, f := range fs {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(f)))
		if _, err := c.Write(append(l[:], f...)); err != nil {
			t.Fatal(err)
		}
	}
}

// qemuRead reads one frame the way QEMU's stream netdev does.
func qemuRead(t *testing.T, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var l [4]byte
	if _, err := io.ReadFull(c, l[:]); err != nil {
		t.Fatal(err)
	}
	f := make([]byte, binary.BigEndian.Uint32(l[:]))
	if _, err := io.ReadFull(c, f); err != nil {
		t.Fatal(err)
	}
	return f
}

func listen(t *testing.T) (*Port, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "vm.sock")
	p, err := Listen(Config{Name: "vw3", Addr: Addr{"unix", path}, MAC: radioMAC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, path
}

func dial(t *testing.T, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitConnected(t *testing.T, p *Port, want uint64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Connections < want || !p.Stats().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("VM connection %d not accepted: %+v", want, p.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFramesBothWays(t *testing.T) {
	testutil.CheckLeaks(t)
	p, path := listen(t)
	r := newRecorder()
	p.Serve(r)
	if err := p.WriteEthernet(ethFrame(radioMAC, "early")); !errors.Is(err, ErrNoVM) {
		t.Fatalf("write with no VM: %v, want ErrNoVM", err)
	}
	c := dial(t, path)
	waitConnected(t, p, 1)

	a, b := ethFrame(radioMAC, "hello"), ethFrame(radioMAC, strings.Repeat("x", 1500))
	qemuWrite(t, c, a, b)
	r.wait(t, 2)
	if len(r.got) != 2 || !bytes.Equal(r.got[0], a) || !bytes.Equal(r.got[1], b) {
		t.Fatalf("station got %d frames, want the two sent", len(r.got))
	}
	down := ethFrame(frames.MAC{0x02, 0, 0, 0, 0, 0}, "from the air")
	if err := p.WriteEthernet(down); err != nil {
		t.Fatal(err)
	}
	if got := qemuRead(t, c); !bytes.Equal(got, down) {
		t.Fatalf("VM read %x, want %x", got, down)
	}
	st := p.Stats()
	if st.FromVMFrames != 2 || st.ToVMFrames != 1 || st.ToVMNoVM != 1 || !st.Connected {
		t.Fatalf("stats %+v", st)
	}
}

func TestMalformedFromVM(t *testing.T) {
	testutil.CheckLeaks(t)
	p, path := listen(t)
	r := newRecorder()
	p.Serve(r)
	c := dial(t, path)
	waitConnected(t, p, 1)

	// A runt is skipped, the stream stays in step.
	qemuWrite(t, c, []byte{1, 2, 3}, ethFrame(radioMAC, "after the runt"))
	r.wait(t, 1)
	// Another address than the radio's: refused by the station, counted.
	qemuWrite(t, c, ethFrame(frames.MAC{0x52, 0x54, 0, 0x12, 0x34, 0x56}, "qemu default mac"))
	r.wait(t, 1)
	// A length no frame can have: the connection is closed.
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], MaxFrame+1)
	c.Write(l[:])
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after an impossible frame length")
	}
	st := p.Stats()
	if st.Runts != 1 || st.ForeignSource != 1 || st.BadLength != 1 || st.FromVMFrames != 2 {
		t.Fatalf("stats %+v", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Connected {
		if time.Now().After(deadline) {
			t.Fatal("still connected after the bad length")
		}
		time.Sleep(time.Millisecond)
	}
	// The VM can come back.
	c2 := dial(t, path)
	waitConnected(t, p, 2)
	qemuWrite(t, c2, ethFrame(radioMAC, "again"))
	r.wait(t, 1)
}

func TestNewConnectionReplacesOld(t *testing.T) {
	testutil.CheckLeaks(t)
	p, path := listen(t)
	p.Serve(newRecorder())
	c1 := dial(t, path)
	waitConnected(t, p, 1)
	c2 := dial(t, path)
	waitConnected(t, p, 2)
	c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c1.Read(make([]byte, 1)); err == nil {
		t.Fatal("the old connection is still open")
	}
	down := ethFrame(radioMAC, "to the new one")
	if err := p.WriteEthernet(down); err != nil {
		t.Fatal(err)
	}
	if got := qemuRead(t, c2); !bytes.Equal(got, down) {
		t.Fatal("the new connection did not get the frame")
	}
}

func TestStaleAndBusySockets(t *testing.T) {
	testutil.CheckLeaks(t)
	dir := t.TempDir()
	// A socket left by a crashed run (nobody listens): taken over.
	stale := filepath.Join(dir, "stale.sock")
	ln, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	p, err := Listen(Config{Name: "vw3", Addr: Addr{"unix", stale}, MAC: radioMAC})
	if err != nil {
		t.Fatalf("stale socket not taken over: %v", err)
	}
	// In use: refused, and the listener keeps working.
	if _, err := Listen(Config{Name: "vw4", Addr: Addr{"unix", stale}}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second listener on a live socket: %v", err)
	}
	p.Close()
	if _, err := os.Lstat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket file left after Close: %v", err)
	}
	// Not a socket: refused, the file is kept.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("keep"), 0o600)
	if _, err := Listen(Config{Name: "vw3", Addr: Addr{"unix", plain}}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("listen over a plain file: %v", err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "keep" {
		t.Fatal("the plain file was touched")
	}
}

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Addr
		err  string
	}{
		{"unix:/run/vm1.sock", Addr{"unix", "/run/vm1.sock"}, ""},
		{"tcp:127.0.0.1:5555", Addr{"tcp", "127.0.0.1:5555"}, ""},
		{"tcp:[::1]:5555", Addr{"tcp", "[::1]:5555"}, ""},
		{"/run/vm1.sock", Addr{}, "no scheme"},
		{"unix:", Addr{}, "socket path"},
		{"tcp:localhost", Addr{}, "HOST:PORT"},
		{"tcp:localhost:0", Addr{}, "1 to 65535"},
		{"vsock:3:5000", Addr{}, `unknown scheme "vsock"`},
	} {
		got, err := ParseAddr(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), Accepted) && !strings.Contains(err.Error(), "65535") {
				t.Errorf("ParseAddr(%q) = %v, want an error with %q naming what is accepted", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseAddr(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

type discard struct{}

func (discard) SendEthernet([]byte) error { return nil }

func TestWriteEthernetAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	p, path := listen(t)
	p.Serve(discard{})
	c := dial(t, path)
	waitConnected(t, p, 1)
	go io.Copy(io.Discard, c)
	f := ethFrame(radioMAC, strings.Repeat("y", 1500))
	if n := testing.AllocsPerRun(200, func() {
		if err := p.WriteEthernet(f); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("WriteEthernet allocates %.1f times per frame, want 0", n)
	}
}

// FuzzStream feeds arbitrary bytes from a "VM": no panic, and every frame
// handed to the station is within bounds.
func FuzzStream(f *testing.F) {
	var ok bytes.Buffer
	binary.Write(&ok, binary.BigEndian, uint32(20))
	ok.Write(ethFrame(radioMAC, "abcdef"))
	f.Add(ok.Bytes())
	f.Add([]byte{0, 0, 0, 3, 1, 2, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		p := &Port{cfg: Config{Name: "fuzz", MAC: radioMAC}, log: nil}
		p.log = testLogger()
		a, b := net.Pipe()
		go func() {
			a.Write(in)
			a.Close()
		}()
		p.readLoop(b, senderFunc(func(eth []byte) error {
			if len(eth) < frames.EthHeaderLen || len(eth) > MaxFrame {
				t.Fatalf("station got a %d-byte frame", len(eth))
			}
			return nil
		}))
		b.Close()
	})
}

type senderFunc func([]byte) error

func (f senderFunc) SendEthernet(eth []byte) error { return f(eth) }

func testLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
