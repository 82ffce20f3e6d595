// SPDX-License-Identifier: MIT

package session

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

const wait = 10 * time.Second

func hw(guest, idx byte) wire.HWAddr  { return wire.HWAddr{0x42, 0x76, 0x6d, guest, idx, 0} }
func vif(guest, idx byte) wire.HWAddr { return wire.HWAddr{0x02, 0x76, 0x6d, guest, idx, 0} }

func radio(guest, idx byte) wire.Radio {
	return wire.Radio{HWAddr: hw(guest, idx), ID: uint32(idx), Ifname: "wlan" + string('0'+rune(idx)), Freq: 2437, Channels: 1,
		Addrs: []wire.HWAddr{vif(guest, idx)}}
}

func frameOf(tx wire.HWAddr, cookie uint64) *wire.Frame {
	return &wire.Frame{Transmitter: tx, Flags: wire.FlagReqTxStatus, Freq: 2437, Cookie: cookie,
		Rates: [wire.RateCount]wire.Rate{{Idx: 2, Count: 3}, {Idx: 0, Count: 2}, {Idx: -1}, {Idx: -1}},
		Data:  make([]byte, 100)}
}

// testHost is a Host on a real UNIX socket with its events in a channel.
type testHost struct {
	*Host
	addr   transport.Addr
	events chan Event
	served chan error
}

func startHost(t *testing.T, path string, cfg HostConfig) *testHost {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "guests.sock")
	}
	th := &testHost{addr: transport.Addr{Scheme: "unix", Target: path}, events: make(chan Event, 4096), served: make(chan error, 1)}
	if cfg.Events == nil {
		cfg.Events = func(e Event) { th.events <- e }
	}
	if cfg.Software == "" {
		cfg.Software = "host-test"
	}
	th.Host = NewHost(cfg)
	l, err := transport.Listen(th.addr)
	if err != nil {
		t.Fatal(err)
	}
	go func() { th.served <- th.Serve(l) }()
	t.Cleanup(th.stop)
	return th
}

// stop closes the host and checks Serve ended as it should; idempotent.
func (th *testHost) stop() {
	th.Close()
	if th.served != nil {
		if err := <-th.served; !errors.Is(err, ErrHostClosed) {
			panic("Serve returned " + err.Error())
		}
		th.served = nil
	}
}

// next returns the next event of the given kind for guest name, skipping
// others.
func (th *testHost) next(t *testing.T, kind EventKind, name string) Event {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e := <-th.events:
			if e.Kind == kind && e.Guest.Name() == name {
				return e
			}
		case <-timeout:
			t.Fatalf("no %v event for %s within %v", kind, name, wait)
		}
	}
}

// statuses records every TX status an agent delivers.
type statuses struct {
	mu            sync.Mutex
	byCookie      map[uint64]int
	acked, local  int
	total         int
	changed       chan struct{}
	rx            chan wire.Rx
	states        chan error // nil: connected
	lastRefusal   error
	refusalsSeen  int
	connectedSeen int
}

func newStatuses() *statuses {
	return &statuses{byCookie: map[uint64]int{}, changed: make(chan struct{}, 1), rx: make(chan wire.Rx, 100), states: make(chan error, 1000)}
}

func (s *statuses) status(st *wire.TxStatus, local bool) {
	s.mu.Lock()
	s.byCookie[st.Cookie]++
	s.total++
	if local {
		s.local++
		if st.Flags&wire.FlagAck != 0 {
			panic("local status claims an ACK")
		}
	} else if st.Flags&wire.FlagAck != 0 {
		s.acked++
	}
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *statuses) waitTotal(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		got := s.total
		s.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d statuses within %v, want %d", got, wait, n)
		}
		select {
		case <-s.changed:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

type testAgent struct {
	*Agent
	st     *statuses
	cancel context.CancelFunc
	done   chan error
}

func newAgent(t *testing.T, addr transport.Addr, name string, radios ...wire.Radio) *testAgent {
	t.Helper()
	st := newStatuses()
	a, err := NewAgent(AgentConfig{
		Addr: addr, Name: name, Software: "agent-test",
		Status: st.status,
		Rx: func(r *wire.Rx) {
			st.rx <- wire.Rx{Receiver: r.Receiver, Signal: r.Signal, Data: append([]byte(nil), r.Data...)}
		},
		State:      func(up bool, err error) { st.states <- err },
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Keepalive: 100 * time.Millisecond, KeepaliveMissed: 30,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range radios {
		if err := a.AddRadio(r); err != nil {
			t.Fatal(err)
		}
	}
	return &testAgent{Agent: a, st: st}
}

func (ta *testAgent) start(t *testing.T) *testAgent {
	ctx, cancel := context.WithCancel(context.Background())
	ta.cancel = cancel
	ta.done = make(chan error, 1)
	go func() { ta.done <- ta.Run(ctx) }()
	t.Cleanup(ta.stop)
	return ta
}

func (ta *testAgent) stop() {
	if ta.cancel != nil {
		ta.cancel()
		<-ta.done
		ta.cancel = nil
	}
}

// waitConnected waits until the agent's State reports a connection;
// refusals seen on the way are kept.
func (ta *testAgent) waitConnected(t *testing.T) {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case err := <-ta.st.states:
			if err == nil {
				return
			}
			var ref *RefusedError
			if errors.As(err, &ref) {
				ta.st.mu.Lock()
				ta.st.lastRefusal = err
				ta.st.refusalsSeen++
				ta.st.mu.Unlock()
			}
		case <-timeout:
			t.Fatalf("agent not connected within %v", wait)
		}
	}
}

// waitRefused waits for a refusal in the agent's State.
func (ta *testAgent) waitRefused(t *testing.T) *RefusedError {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case err := <-ta.st.states:
			var ref *RefusedError
			if errors.As(err, &ref) {
				return ref
			}
			if err == nil {
				t.Fatal("agent connected, want a refusal")
			}
		case <-timeout:
			t.Fatalf("no refusal within %v", wait)
		}
	}
}

// ackAll answers every frame with an acknowledged status.
func ackAll(g *Guest, f *wire.Frame) {
	s := wire.TxStatus{Transmitter: f.Transmitter, Cookie: f.Cookie, Flags: f.Flags | wire.FlagAck, Signal: -40,
		Rates: [wire.RateCount]wire.Rate{{Idx: f.Rates[0].Idx, Count: 1}, {Idx: -1}, {Idx: -1}, {Idx: -1}}}
	_ = g.SendTxStatus(&s)
}
