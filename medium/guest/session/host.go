// SPDX-License-Identifier: MIT

package session

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// EventKind says what happened to a guest.
type EventKind int

// Event kinds, in the order a guest's events arrive: Join, its radios
// (RadioAdded), then any of RadioAdded/Changed/Removed and AddrAdded/Removed,
// and at the end RadioRemoved for every radio left, then Leave.
const (
	Join EventKind = iota
	Leave
	RadioAdded
	RadioChanged
	RadioRemoved
	AddrAdded
	AddrRemoved
)

func (k EventKind) String() string {
	return [...]string{"join", "leave", "radio-added", "radio-changed", "radio-removed", "addr-added", "addr-removed"}[k]
}

// Event is one change of a guest. Radio is a copy the receiver may keep.
type Event struct {
	Kind  EventKind
	Guest *Guest
	Radio wire.Radio  // Radio*; for Addr* only HWAddr is set
	Addr  wire.HWAddr // Addr*
	Err   error       // Leave: why (io.EOF for a clean close, transport.ErrPeerSilent, …)
}

// HostConfig configures a Host. Zero values take the defaults.
type HostConfig struct {
	Software string // the host's version, told to guests

	// Events receives every join, leave and radio change, in order per
	// guest, on that guest's reader goroutine. It must not block for long
	// and must not call Host.Close.
	Events func(Event)
	// Frame receives every frame a guest radio transmitted, on that
	// guest's reader goroutine; f is valid only during the call. The
	// receiver answers with g.SendTxStatus (now or later). Frames from
	// radios the guest never announced do not reach it: the host answers
	// them "not acknowledged" and counts them.
	Frame func(g *Guest, f *wire.Frame)

	Keepalive       time.Duration // ping interval (default 2 s; <0: none)
	KeepaliveMissed int           // pings missed before the guest is dropped (default 3)
	WriteTimeout    time.Duration // default 5 s
	HelloTimeout    time.Duration // wait for Hello after connecting (default 10 s)
	Logger          *slog.Logger  // nil: discard
}

// HostCounters counts connections over a Host's life.
type HostCounters struct {
	Accepted uint64 // connections
	Joined   uint64 // handshakes accepted
	Left     uint64 // guests gone after joining
	Refused  uint64 // handshakes refused (any reason)
	Failed   uint64 // connections gone before a Hello (timeout, garbage)
}

// Host serves guests on any number of listeners.
type Host struct {
	cfg HostConfig
	log *slog.Logger

	mu        sync.Mutex
	guests    map[string]*Guest
	listeners map[transport.Listener]struct{}
	conns     map[*transport.Conn]struct{} // every open connection, joined or not
	closed    bool
	done      chan struct{} // closed by Close
	wg        sync.WaitGroup

	accepted, joined, left, refused, failed atomic.Uint64
}

// NewHost returns a Host; Serve starts it.
func NewHost(cfg HostConfig) *Host {
	if cfg.Keepalive == 0 {
		cfg.Keepalive = 2 * time.Second
	}
	if cfg.Keepalive < 0 {
		cfg.Keepalive = 0
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	if cfg.Software == "" {
		cfg.Software = "unknown"
	}
	return &Host{
		cfg:       cfg,
		log:       logger(cfg.Logger),
		guests:    map[string]*Guest{},
		listeners: map[transport.Listener]struct{}{},
		conns:     map[*transport.Conn]struct{}{},
		done:      make(chan struct{}),
	}
}

// ErrHostClosed is returned by Serve after Close.
var ErrHostClosed = errors.New("guest host closed")

// Serve accepts guests on l until Close (then it returns ErrHostClosed) or
// until l is closed by someone else; it pauses and retries on other accept
// errors (out of file descriptors). It closes l when it returns.
func (h *Host) Serve(l transport.Listener) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		l.Close()
		return ErrHostClosed
	}
	h.listeners[l] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()
	defer func() {
		h.mu.Lock()
		delete(h.listeners, l)
		h.mu.Unlock()
		l.Close()
	}()
	var pause time.Duration
	for {
		s, err := l.Accept()
		if err != nil {
			h.mu.Lock()
			closed := h.closed
			h.mu.Unlock()
			if closed {
				return ErrHostClosed
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("accept guests on %v: %w", l.Addr(), err)
			}
			// Out of file descriptors and the like: pause and go on, as
			// net/http does; the guests already in stay served.
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			h.log.Warn("accepting a guest failed; retrying", "on", l.Addr(), "in", pause, "err", err)
			select {
			case <-h.done:
			case <-time.After(pause):
			}
			continue
		}
		pause = 0
		h.accepted.Add(1)
		c := transport.NewConn(s, transport.Options{
			WriteTimeout:      h.cfg.WriteTimeout,
			KeepaliveInterval: h.cfg.Keepalive,
			KeepaliveMissed:   h.cfg.KeepaliveMissed,
		})
		h.mu.Lock()
		if h.closed {
			h.mu.Unlock()
			c.Close("host shutting down")
			return ErrHostClosed
		}
		h.conns[c] = struct{}{}
		h.wg.Add(1)
		h.mu.Unlock()
		go h.serveConn(c, remoteOf(s))
	}
}

// remoteOf names the peer of a stream for messages: a TCP peer's address,
// or the UNIX socket it came in on.
func remoteOf(s transport.Stream) string {
	c, ok := s.(net.Conn)
	if !ok {
		return "a guest"
	}
	if a := c.RemoteAddr(); a != nil && a.String() != "" && a.String() != "@" {
		return a.Network() + ":" + a.String()
	}
	if a := c.LocalAddr(); a != nil {
		return a.Network() + ":" + a.String()
	}
	return "a guest"
}

// Close refuses new guests, closes every listener and says Bye to every
// guest, and waits until all are gone (their Leave events delivered).
func (h *Host) Close() error {
	h.mu.Lock()
	if !h.closed {
		close(h.done)
	}
	h.closed = true
	ls := make([]transport.Listener, 0, len(h.listeners))
	for l := range h.listeners {
		ls = append(ls, l)
	}
	cs := make([]*transport.Conn, 0, len(h.conns))
	for c := range h.conns {
		cs = append(cs, c)
	}
	h.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	for _, c := range cs {
		c.Close("host shutting down")
	}
	h.wg.Wait()
	return nil
}

// Guest returns the connected guest with that name, or nil.
func (h *Host) Guest(name string) *Guest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.guests[name]
}

// Guests returns the connected guests.
func (h *Host) Guests() []*Guest {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Guest, 0, len(h.guests))
	for _, g := range h.guests {
		out = append(out, g)
	}
	return out
}

// Counters returns the host's counters.
func (h *Host) Counters() HostCounters {
	return HostCounters{
		Accepted: h.accepted.Load(), Joined: h.joined.Load(), Left: h.left.Load(),
		Refused: h.refused.Load(), Failed: h.failed.Load(),
	}
}

func (h *Host) event(e Event) {
	if h.cfg.Events != nil {
		h.cfg.Events(e)
	}
}

func (h *Host) refuse(c *transport.Conn, code uint8, reason string) {
	h.refused.Add(1)
	_ = c.Write(&wire.Refuse{Code: code, Reason: clip(reason, wire.MaxReason)})
}

// serveConn runs one connection: handshake, then the guest's messages
// until it goes. A Hello in the middle of a session starts a new one on
// the same connection: over a virtio-serial port QEMU keeps the host's
// socket connected while the agent in the guest restarts, so the new
// agent's Hello is the only sign of it.
func (h *Host) serveConn(c *transport.Conn, remote string) {
	defer h.wg.Done()
	defer func() {
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		c.Close("")
	}()
	var m wire.Msg
	haveHello := false
	for {
		c.PassPings(true) // no session: pings are not answered but hinted at
		g, ok := h.handshake(c, remote, &m, haveHello)
		if !ok {
			return
		}
		h.joined.Add(1)
		h.log.Info("guest joined", "guest", g.name, "agent", g.software, "from", remote, "radios", len(g.radios))
		h.event(Event{Kind: Join, Guest: g})
		for _, r := range g.Radios() {
			h.event(Event{Kind: RadioAdded, Guest: g, Radio: r})
		}
		err := g.serve(h, &m)
		for _, r := range g.Radios() {
			h.event(Event{Kind: RadioRemoved, Guest: g, Radio: r})
		}
		h.left.Add(1)
		h.event(Event{Kind: Leave, Guest: g, Err: err})
		h.log.Info("guest left", "guest", g.name, "reason", err)
		// Unregister last: a guest reconnecting under the same name is
		// refused until its old self's Leave was delivered, so events
		// never overlap.
		h.mu.Lock()
		delete(h.guests, g.name)
		h.mu.Unlock()
		if !errors.Is(err, ErrRehello) {
			return
		}
		haveHello = true
	}
}

// ErrRehello is the Leave reason of a guest whose connection carried a
// new Hello: its agent restarted behind a carrier that stayed up.
var ErrRehello = errors.New("a new hello on the same connection: the agent restarted")

// handshake waits for a Hello (unless m already holds one) and accepts or
// refuses it. Until a Hello comes, other messages are dropped (after one
// Refuse telling the peer to say Hello: an agent whose previous host went
// away behind a carrier that stayed up still thinks it has a session). A
// refused guest may say Hello again on the same connection; the
// connection ends when nothing acceptable arrives within HelloTimeout.
func (h *Host) handshake(c *transport.Conn, remote string, m *wire.Msg, haveHello bool) (*Guest, bool) {
	hinted := false
	for {
		if !haveHello {
			_ = c.SetReadDeadline(time.Now().Add(h.cfg.HelloTimeout))
			err := c.Read(m)
			switch {
			case errors.Is(err, wire.ErrVersion):
				reason := versionReason(&m.Hello, h.cfg.Software)
				h.log.Warn("guest refused", "from", remote, "reason", reason)
				h.refuse(c, wire.RefuseVersion, reason)
				continue
			case errors.Is(err, wire.ErrMalformed):
				continue
			case err != nil:
				h.failed.Add(1)
				// Info, not Warn: a virtio port whose agent is not running
				// yet connects and says nothing, again and again.
				h.log.Info("guest connection ended without a session", "from", remote, "err", err)
				return nil, false
			case m.Type == wire.TypeBye:
				return nil, false
			case m.Type != wire.TypeHello:
				if !hinted {
					h.refuse(c, wire.RefuseNoSession, fmt.Sprintf("this host has no session on this connection (it restarted?): got %v, say hello first", m.Type))
					hinted = true
				}
				continue
			}
		}
		haveHello = false
		if g := h.accept(c, remote, &m.Hello); g != nil {
			c.PassPings(false)
			_ = c.SetReadDeadline(time.Time{})
			return g, true
		}
		select {
		case <-c.Done():
			return nil, false
		default:
		}
	}
}

// accept registers a guest for hello, or refuses it (nil).
func (h *Host) accept(c *transport.Conn, remote string, hello *wire.Hello) *Guest {
	if err := ValidateName(hello.Name); err != nil {
		h.log.Warn("guest refused", "from", remote, "reason", err)
		h.refuse(c, wire.RefuseBadName, err.Error()+" (agent --name)")
		return nil
	}
	g := &Guest{
		name: hello.Name, software: hello.Software, remote: remote, since: time.Now(),
		conn: c, radios: make(map[wire.HWAddr]*radioState, len(hello.Radios)),
	}
	for i := range hello.Radios {
		g.radios[hello.Radios[i].HWAddr] = &radioState{radio: hello.Radios[i].Clone()}
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	if old := h.guests[hello.Name]; old != nil {
		h.mu.Unlock()
		reason := fmt.Sprintf("guest name %q is already connected (agent %s from %s since %s): give this guest another --name, or stop the other agent",
			hello.Name, old.software, old.remote, old.since.Format(time.RFC3339))
		h.log.Warn("guest refused", "from", remote, "reason", reason)
		h.refuse(c, wire.RefuseNameInUse, reason)
		return nil
	}
	h.guests[hello.Name] = g
	h.mu.Unlock()
	keep := uint32(h.cfg.Keepalive / time.Millisecond)
	if err := c.Write(&wire.HelloAck{Software: h.cfg.Software, Keepalive: keep}); err != nil {
		h.mu.Lock()
		delete(h.guests, hello.Name)
		h.mu.Unlock()
		return nil
	}
	return g
}
