// SPDX-License-Identifier: MIT

// Package mactest holds small helpers for testing the userspace MACs (sta,
// ap) against each other over a real in-process medium.Medium: an in-memory
// uplink that records what goes up a stack, Ethernet frame builders and a
// polling wait with a deadline (so tests never rely on fixed sleeps).
package mactest

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// Addr returns the locally administered test address 02:00:00:00:i:00.
func Addr(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, i, 0} }

// Recorder is an uplink that keeps a copy of every Ethernet frame written
// to it. Safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	frames [][]byte
}

// WriteEthernet records a copy of eth.
func (r *Recorder) WriteEthernet(eth []byte) error {
	cp := append([]byte(nil), eth...)
	r.mu.Lock()
	r.frames = append(r.frames, cp)
	r.mu.Unlock()
	return nil
}

// Frames returns the recorded frames.
func (r *Recorder) Frames() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.frames...)
}

// Count returns how many recorded frames carry payload (compared from the
// ethertype on, so the caller's payload tag identifies its own frames).
func (r *Recorder) Count(payload []byte) int {
	n := 0
	for _, f := range r.Frames() {
		if len(f) >= frames.EthHeaderLen && bytes.Equal(f[frames.EthHeaderLen:], payload) {
			n++
		}
	}
	return n
}

// Find returns the first recorded frame with that payload.
func (r *Recorder) Find(payload []byte) ([]byte, bool) {
	for _, f := range r.Frames() {
		if len(f) >= frames.EthHeaderLen && bytes.Equal(f[frames.EthHeaderLen:], payload) {
			return f, true
		}
	}
	return nil, false
}

// EtherTypeTest is the IEEE local experimental ethertype used by test frames.
const EtherTypeTest = 0x88b5

// Eth builds an Ethernet II frame dst, src, EtherTypeTest, payload.
func Eth(dst, src frames.MAC, payload []byte) []byte {
	b := make([]byte, 0, frames.EthHeaderLen+len(payload))
	b = append(b, dst[:]...)
	b = append(b, src[:]...)
	b = binary.BigEndian.AppendUint16(b, EtherTypeTest)
	return append(b, payload...)
}

// Eventually polls cond every few milliseconds until it holds or timeout
// passes, then fails the test naming what was awaited.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// AddRadio registers a KindLocal radio named name with address addr and
// port on m (frequency 0: the MAC tunes it), failing the test on error.
func AddRadio(t testing.TB, m *medium.Medium, name string, addr frames.MAC, port medium.Port) *medium.Radio {
	t.Helper()
	r, err := m.AddRadio(medium.RadioConfig{Name: name, Kind: medium.KindLocal, Addr: addr}, port)
	if err != nil {
		t.Fatalf("add radio %s: %v", name, err)
	}
	return r
}

// Sniffer is a port that keeps a copy of every frame its radio hears.
type Sniffer struct {
	mu     sync.Mutex
	frames [][]byte
}

// Deliver records a copy of frame.
func (s *Sniffer) Deliver(frame []byte, _ medium.RxInfo) error {
	cp := append([]byte(nil), frame...)
	s.mu.Lock()
	s.frames = append(s.frames, cp)
	s.mu.Unlock()
	return nil
}

// Match returns the recorded frames that parse and satisfy keep.
func (s *Sniffer) Match(keep func(f frames.Frame) bool) []frames.Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []frames.Frame
	for _, b := range s.frames {
		if f, err := frames.Parse(b); err == nil && keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// Reset forgets the recorded frames.
func (s *Sniffer) Reset() {
	s.mu.Lock()
	s.frames = nil
	s.mu.Unlock()
}
