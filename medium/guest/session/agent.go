// SPDX-License-Identifier: MIT

package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// AgentConfig configures the guest side. Zero values take the defaults.
type AgentConfig struct {
	Addr     transport.Addr // the host
	Name     string         // the guest's name (ValidateName)
	Software string         // the agent's version, told to the host

	// Status receives every TX status: the host's (local false, on the
	// reader goroutine), or a "not acknowledged" the agent made up because
	// the frame could not reach the host (on SendFrame's caller) or the
	// connection ended before its status came (on the reader goroutine)
	// (local true). Exactly one per SendFrame; calls may be concurrent.
	// s is valid only during the call.
	Status func(s *wire.TxStatus, local bool)
	// Rx receives frames the host delivers to a guest radio; r is valid
	// only during the call.
	Rx func(r *wire.Rx)
	// State is told of every connection and disconnection (with why, e.g.
	// a *RefusedError the user should see); optional.
	State func(connected bool, err error)

	// Dial overrides transport.Dial (tests).
	Dial func(ctx context.Context) (transport.Stream, error)

	Keepalive       time.Duration // ping interval (default 2 s; <0: none)
	KeepaliveMissed int           // default 3
	WriteTimeout    time.Duration // default 5 s
	HelloTimeout    time.Duration // wait for the host's answer (default 5 s; a Hello written while QEMU's side of a port is not connected is lost)
	MinBackoff      time.Duration // first redial delay (default 100 ms)
	MaxBackoff      time.Duration // longest redial delay (default 5 s)
	MaxPending      int           // frames awaiting a status (default 16384)
	Logger          *slog.Logger  // nil: discard
}

// AgentCounters counts the agent's life.
type AgentCounters struct {
	Connects      uint64 // handshakes accepted
	Disconnects   uint64 // connections ended after a handshake
	Refusals      uint64
	DialErrors    uint64
	Frames        uint64 // SendFrame calls
	Sent          uint64 // frames written to the host
	HostStatuses  uint64 // statuses from the host
	LocalStatuses uint64 // "not acknowledged" made up here
	Rxs           uint64
	Malformed     uint64 // undecodable messages from the host
	Unexpected    uint64 // statuses for frames not pending, messages a host must not send
	Pending       int    // frames awaiting a status now
}

type pendingKey struct {
	radio  wire.HWAddr
	cookie uint64
}

type pendingFrame struct {
	flags uint32
	rate0 int8
}

// agentRadio is one radio as the agent will re-announce it: its
// interface addresses and the hwsim-added ones with their counts.
type agentRadio struct {
	radio wire.Radio
	extra map[wire.HWAddr]int
}

// Agent is the guest side of the protocol.
type Agent struct {
	cfg AgentConfig
	log *slog.Logger

	// rmu orders radio state and its messages: a change is either in the
	// Hello of the next connection or sent on the current one.
	rmu    sync.Mutex
	radios map[wire.HWAddr]*agentRadio

	// pmu guards the current connection and the frames awaiting a status.
	pmu     sync.Mutex
	conn    *transport.Conn
	pending map[pendingKey]pendingFrame

	// fmu guards the copy SendFrame encodes from, so the caller's frame
	// never escapes to the heap (no allocation per frame).
	fmu   sync.Mutex
	frame wire.Frame

	connects, disconnects, refusals, dialErrors, frames, sent, hostStatuses,
	localStatuses, rxs, malformed, unexpected atomic.Uint64
}

// NewAgent checks cfg and returns an Agent; Run connects it.
func NewAgent(cfg AgentConfig) (*Agent, error) {
	if err := ValidateName(cfg.Name); err != nil {
		return nil, err
	}
	if cfg.Dial == nil {
		if _, err := transport.ParseAddr(cfg.Addr.String()); err != nil {
			return nil, err
		}
		addr := cfg.Addr
		cfg.Dial = func(ctx context.Context) (transport.Stream, error) { return transport.Dial(ctx, addr) }
	}
	if cfg.Keepalive == 0 {
		cfg.Keepalive = 2 * time.Second
	}
	if cfg.Keepalive < 0 {
		cfg.Keepalive = 0
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 5 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(5*time.Second, cfg.MinBackoff)
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 16384
	}
	if cfg.Software == "" {
		cfg.Software = "unknown"
	}
	return &Agent{
		cfg:     cfg,
		log:     logger(cfg.Logger),
		radios:  map[wire.HWAddr]*agentRadio{},
		pending: make(map[pendingKey]pendingFrame, 256),
	}, nil
}

// Run connects to the host and keeps connecting with backoff (doubling
// from MinBackoff to MaxBackoff, reset by a successful handshake) until ctx
// ends (then it returns ctx.Err()) or the host refuses for good (another
// protocol version, a bad name: it returns the *RefusedError).
func (a *Agent) Run(ctx context.Context) error {
	backoff := a.cfg.MinBackoff
	for {
		joined, err := a.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ref *RefusedError
		if errors.As(err, &ref) {
			a.refusals.Add(1)
			if ref.Permanent() {
				a.state(false, err)
				return err
			}
		}
		a.state(false, err)
		if joined {
			backoff = a.cfg.MinBackoff
		}
		d := backoff/2 + rand.N(backoff/2+1) // jitter: several guests do not redial in step
		a.log.Info("disconnected from the host; redialling", "host", a.cfg.Addr, "in", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, a.cfg.MaxBackoff)
	}
}

func (a *Agent) state(up bool, err error) {
	if a.cfg.State != nil {
		a.cfg.State(up, err)
	}
}

// session is one connection: dial, handshake, serve until it ends.
// joined says whether the host accepted the Hello.
func (a *Agent) session(ctx context.Context) (joined bool, err error) {
	dctx, cancel := context.WithTimeout(ctx, a.cfg.HelloTimeout)
	s, err := a.cfg.Dial(dctx)
	cancel()
	if err != nil {
		a.dialErrors.Add(1)
		return false, err
	}
	c := transport.NewConn(s, transport.Options{
		WriteTimeout:      a.cfg.WriteTimeout,
		KeepaliveInterval: a.cfg.Keepalive,
		KeepaliveMissed:   a.cfg.KeepaliveMissed,
	})
	// Only a stopping agent says Bye. Any other end of a session comes
	// from the host's side, and over a virtio port a Bye would make the
	// host hang up QEMU's socket, which the next Hello could have used.
	said := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.Close("agent stopping")
		close(said)
	})
	defer func() {
		if !stop() {
			<-said
		}
		c.Drop()
	}()
	if err := a.handshake(c); err != nil {
		return false, err
	}
	a.connects.Add(1)
	a.log.Info("connected to the host", "host", a.cfg.Addr, "name", a.cfg.Name)
	a.state(true, nil)
	err = a.serve(c)
	a.disconnect(c)
	a.disconnects.Add(1)
	return true, err
}

// handshake says Hello with the radios as they are, waits for the answer
// without holding up radio changes (a Hello lost on a port QEMU has not
// connected yet takes HelloTimeout), then brings the host up to date:
// radios changed meanwhile and the counted addresses. Only then does the
// connection carry frames and radio changes.
func (a *Agent) handshake(c *transport.Conn) error {
	a.rmu.Lock()
	said := a.radioList()
	a.rmu.Unlock()
	hello := wire.Hello{Name: a.cfg.Name, Software: clip(a.cfg.Software, 255), Radios: said}
	if err := c.Write(&hello); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	// Wait for the answer; anything else before it is what a carrier
	// that stayed up still held from an earlier session: dropped.
	_ = c.SetReadDeadline(time.Now().Add(a.cfg.HelloTimeout))
	var m wire.Msg
	for answered := false; !answered; {
		err := c.Read(&m)
		switch {
		case errors.Is(err, wire.ErrMalformed):
			a.malformed.Add(1)
			continue
		case err != nil:
			return fmt.Errorf("waiting for the host's answer to hello: %w", err)
		case m.Type == wire.TypeHelloAck:
			answered = true
		case m.Type == wire.TypeRefuse && m.Refuse.Code == wire.RefuseNoSession:
			// sent for what the previous session still had on the way
		case m.Type == wire.TypeRefuse:
			return &RefusedError{Code: m.Refuse.Code, HostVersion: m.Refuse.Version, Reason: m.Refuse.Reason}
		case m.Type == wire.TypeBye:
			return fmt.Errorf("the host said bye before answering hello: %w: %q", ErrBye, m.Bye.Reason)
		default:
			a.unexpected.Add(1)
		}
	}
	_ = c.SetReadDeadline(time.Time{})
	a.rmu.Lock()
	defer a.rmu.Unlock()
	if err := a.queueChanges(c, said); err != nil {
		return err
	}
	for _, r := range a.sortedRadios() {
		for addr, n := range r.extra {
			for range n {
				if err := c.Queue(&wire.AddrAdded{Radio: r.radio.HWAddr, Addr: addr}); err != nil {
					return err
				}
			}
		}
	}
	if err := c.Flush(); err != nil {
		return err
	}
	a.pmu.Lock()
	a.conn = c
	a.pmu.Unlock()
	return nil
}

// queueChanges queues what turns the radios said in the Hello into the
// radios now.
func (a *Agent) queueChanges(c *transport.Conn, said []wire.Radio) error {
	before := make(map[wire.HWAddr]*wire.Radio, len(said))
	for i := range said {
		before[said[i].HWAddr] = &said[i]
	}
	for _, r := range a.sortedRadios() {
		var err error
		switch old := before[r.radio.HWAddr]; {
		case old == nil:
			err = c.Queue(&wire.RadioAdded{Radio: r.radio})
		case !sameRadio(old, &r.radio):
			err = c.Queue(&wire.RadioChanged{Radio: r.radio})
		}
		if err != nil {
			return err
		}
		delete(before, r.radio.HWAddr)
	}
	for hw := range before {
		if err := c.Queue(&wire.RadioRemoved{HWAddr: hw}); err != nil {
			return err
		}
	}
	return nil
}

func sameRadio(a, b *wire.Radio) bool {
	if a.HWAddr != b.HWAddr || a.ID != b.ID || a.Ifname != b.Ifname || a.Freq != b.Freq ||
		a.Channels != b.Channels || len(a.Addrs) != len(b.Addrs) {
		return false
	}
	for i := range a.Addrs {
		if a.Addrs[i] != b.Addrs[i] {
			return false
		}
	}
	return true
}

func (a *Agent) sortedRadios() []*agentRadio {
	out := make([]*agentRadio, 0, len(a.radios))
	for _, r := range a.radios {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return string(out[i].radio.HWAddr[:]) < string(out[j].radio.HWAddr[:]) })
	return out
}

func (a *Agent) radioList() []wire.Radio {
	rs := a.sortedRadios()
	out := make([]wire.Radio, len(rs))
	for i, r := range rs {
		out[i] = r.radio
	}
	return out
}

// serve reads the host's messages until the connection ends.
func (a *Agent) serve(c *transport.Conn) error {
	var m wire.Msg
	for {
		if err := c.Read(&m); err != nil {
			if errors.Is(err, wire.ErrMalformed) {
				a.malformed.Add(1)
				continue
			}
			return err
		}
		switch m.Type {
		case wire.TypeTxStatus:
			s := &m.TxStatus
			k := pendingKey{s.Transmitter, s.Cookie}
			a.pmu.Lock()
			_, ok := a.pending[k]
			delete(a.pending, k)
			a.pmu.Unlock()
			if !ok {
				a.unexpected.Add(1)
				continue
			}
			a.hostStatuses.Add(1)
			if a.cfg.Status != nil {
				a.cfg.Status(s, false)
			}
		case wire.TypeRx:
			a.rxs.Add(1)
			if a.cfg.Rx != nil {
				a.cfg.Rx(&m.Rx)
			}
		case wire.TypeBye:
			return fmt.Errorf("%w: %q", ErrBye, m.Bye.Reason)
		case wire.TypeRefuse, wire.TypeHelloAck:
			// A handshake answer in a session (RefuseNoSession in
			// practice): the host restarted behind a carrier that stayed
			// up (QEMU's side of a virtio port) and has no session for
			// us. Start over with a Hello.
			if m.Type == wire.TypeRefuse {
				return fmt.Errorf("%w: %s", ErrSessionLost, m.Refuse.Reason)
			}
			return fmt.Errorf("%w: an unasked hello-ack", ErrSessionLost)
		default:
			a.unexpected.Add(1)
		}
	}
}

// ErrSessionLost: the host answered as if this guest had not said Hello
// (it restarted while the carrier stayed up); the agent says Hello again.
var ErrSessionLost = errors.New("the host has no session for this guest (it restarted?)")

// disconnect retires c and answers every frame still waiting for its
// status: no status can come for them any more.
func (a *Agent) disconnect(c *transport.Conn) {
	type drained struct {
		k pendingKey
		p pendingFrame
	}
	a.pmu.Lock()
	if a.conn == c {
		a.conn = nil
	}
	ds := make([]drained, 0, len(a.pending))
	for k, p := range a.pending {
		ds = append(ds, drained{k, p})
	}
	clear(a.pending)
	a.pmu.Unlock()
	for _, d := range ds {
		a.answerLocal(d.k, d.p)
	}
}

func (a *Agent) answerLocal(k pendingKey, p pendingFrame) {
	a.localStatuses.Add(1)
	if a.cfg.Status == nil {
		return
	}
	s := wire.TxStatus{Transmitter: k.radio, Cookie: k.cookie, Flags: p.flags &^ wire.FlagAck, Rates: notAckedRates(p.rate0)}
	a.cfg.Status(&s, true)
}

// SendFrame relays a frame a guest radio transmitted. It never fails from
// the caller's view: the frame's status comes through Status, from the
// host or made up here ("not acknowledged") when the frame cannot reach
// the host, possibly before SendFrame returns. f is not kept.
func (a *Agent) SendFrame(f *wire.Frame) {
	a.frames.Add(1)
	k := pendingKey{f.Transmitter, f.Cookie}
	p := pendingFrame{flags: f.Flags, rate0: f.Rates[0].Idx}
	a.pmu.Lock()
	c := a.conn
	if c == nil || len(a.pending) >= a.cfg.MaxPending {
		a.pmu.Unlock()
		a.answerLocal(k, p)
		return
	}
	a.pending[k] = p
	a.pmu.Unlock()
	a.fmu.Lock()
	a.frame = *f
	err := c.Write(&a.frame)
	a.frame.Data = nil
	a.fmu.Unlock()
	if err != nil {
		a.pmu.Lock()
		_, ok := a.pending[k]
		delete(a.pending, k)
		a.pmu.Unlock()
		if ok { // not drained by a disconnect meanwhile
			a.answerLocal(k, p)
		}
		return
	}
	a.sent.Add(1)
}

// Connected reports whether the host accepted the current connection.
func (a *Agent) Connected() bool {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	return a.conn != nil
}

// current is the connection radio changes go to, or nil.
func (a *Agent) current() *transport.Conn {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	return a.conn
}

// send writes a radio change on the current connection, if any; a failure
// ends that connection, and the next Hello carries the state.
func (a *Agent) send(m wire.Message) {
	if c := a.current(); c != nil {
		if err := c.Write(m); err != nil {
			a.log.Debug("radio change not sent; the next hello carries it", "err", err)
		}
	}
}

// AddRadio announces a radio (or replaces one with the same HWAddr).
func (a *Agent) AddRadio(r wire.Radio) error {
	if len(r.Addrs) > wire.MaxAddrs || len(r.Ifname) > wire.MaxIfname {
		return fmt.Errorf("radio %v: %d addresses (at most %d), interface name %q (at most %d bytes): %w",
			r.HWAddr, len(r.Addrs), wire.MaxAddrs, r.Ifname, wire.MaxIfname, wire.ErrTooLarge)
	}
	a.rmu.Lock()
	defer a.rmu.Unlock()
	old := a.radios[r.HWAddr]
	if old == nil && len(a.radios) >= wire.MaxRadios {
		return fmt.Errorf("radio %v: a guest has at most %d radios: %w", r.HWAddr, wire.MaxRadios, wire.ErrTooLarge)
	}
	if old != nil {
		old.radio = r.Clone()
		a.send(&wire.RadioChanged{Radio: r})
		return nil
	}
	a.radios[r.HWAddr] = &agentRadio{radio: r.Clone()}
	a.send(&wire.RadioAdded{Radio: r})
	return nil
}

// RemoveRadio withdraws a radio.
func (a *Agent) RemoveRadio(hw wire.HWAddr) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	if a.radios[hw] == nil {
		return
	}
	delete(a.radios, hw)
	a.send(&wire.RadioRemoved{HWAddr: hw})
}

// AddAddr relays hwsim's ADD_MAC_ADDR (counted, replayed after a
// reconnect).
func (a *Agent) AddAddr(radio, addr wire.HWAddr) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	r := a.radios[radio]
	if r == nil {
		return
	}
	if r.extra == nil {
		r.extra = map[wire.HWAddr]int{}
	}
	r.extra[addr]++
	a.send(&wire.AddrAdded{Radio: radio, Addr: addr})
}

// RemoveAddr relays hwsim's DEL_MAC_ADDR.
func (a *Agent) RemoveAddr(radio, addr wire.HWAddr) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	r := a.radios[radio]
	if r == nil || r.extra[addr] == 0 {
		return
	}
	if r.extra[addr]--; r.extra[addr] == 0 {
		delete(r.extra, addr)
	}
	a.send(&wire.AddrRemoved{Radio: radio, Addr: addr})
}

// Counters returns the agent's counters.
func (a *Agent) Counters() AgentCounters {
	a.pmu.Lock()
	pending := len(a.pending)
	a.pmu.Unlock()
	return AgentCounters{
		Connects: a.connects.Load(), Disconnects: a.disconnects.Load(), Refusals: a.refusals.Load(),
		DialErrors: a.dialErrors.Load(), Frames: a.frames.Load(), Sent: a.sent.Load(),
		HostStatuses: a.hostStatuses.Load(), LocalStatuses: a.localStatuses.Load(),
		Rxs: a.rxs.Load(), Malformed: a.malformed.Load(), Unexpected: a.unexpected.Load(),
		Pending: pending,
	}
}
