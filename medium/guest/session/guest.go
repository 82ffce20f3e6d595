// SPDX-License-Identifier: MIT

package session

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// ErrBye: the peer closed the connection with a Bye.
var ErrBye = errors.New("peer said bye")

// Guest is the host's side of one connected guest.
type Guest struct {
	name, software, remote string
	since                  time.Time
	conn                   *transport.Conn

	// radios is written only by the guest's reader goroutine, under mu;
	// that goroutine reads it without mu (the frame path), others with.
	mu     sync.Mutex
	radios map[wire.HWAddr]*radioState

	// smu guards the copies Send* encode from, so a caller's message never
	// escapes to the heap (no allocation per frame).
	smu      sync.Mutex
	txStatus wire.TxStatus
	rx       wire.Rx

	// batching is set while the reader runs the Frame callback on a burst
	// of frames: statuses are queued and written together when the burst
	// ends.
	batching atomic.Bool

	frames, statuses, rxs, malformed, unknownRadio, unexpected, writeErrors atomic.Uint64
}

// radioState is one radio and the addresses hwsim added to it: counted,
// because ADD/DEL_MAC_ADDR are not a set operation (a station's own
// address is added at interface up and again at scan start, removed once
// at scan end).
type radioState struct {
	radio wire.Radio
	extra map[wire.HWAddr]int
}

func (r *radioState) has(a wire.HWAddr) bool {
	for _, x := range r.radio.Addrs {
		if x == a {
			return true
		}
	}
	return r.extra[a] > 0
}

func (r *radioState) snapshot() wire.Radio {
	out := r.radio.Clone()
	var extra []wire.HWAddr
	for a, n := range r.extra {
		if n > 0 && !contains(out.Addrs, a) {
			extra = append(extra, a)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return string(extra[i][:]) < string(extra[j][:]) })
	out.Addrs = append(out.Addrs, extra...)
	return out
}

func contains(as []wire.HWAddr, a wire.HWAddr) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

// Name is the guest's name.
func (g *Guest) Name() string { return g.name }

// Software is the guest agent's version.
func (g *Guest) Software() string { return g.software }

// Remote says where the guest connected from.
func (g *Guest) Remote() string { return g.remote }

// Since is when the guest joined.
func (g *Guest) Since() time.Time { return g.since }

// Radios returns copies of the guest's radios, each with every address it
// currently answers to, ordered by hwsim address.
func (g *Guest) Radios() []wire.Radio {
	g.mu.Lock()
	out := make([]wire.Radio, 0, len(g.radios))
	for _, r := range g.radios {
		out = append(out, r.snapshot())
	}
	g.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return string(out[i].HWAddr[:]) < string(out[j].HWAddr[:]) })
	return out
}

// SendTxStatus reports the fate of one of the guest's frames. It may be
// called from any goroutine; an error means the connection is gone (the
// guest answers its own pending frames then).
func (g *Guest) SendTxStatus(s *wire.TxStatus) error {
	g.smu.Lock()
	g.txStatus = *s
	var err error
	if g.batching.Load() {
		err = g.conn.Queue(&g.txStatus)
	} else {
		err = g.conn.Write(&g.txStatus)
	}
	g.smu.Unlock()
	if err != nil {
		g.writeErrors.Add(1)
		return fmt.Errorf("tx-status to guest %s: %w", g.name, err)
	}
	g.statuses.Add(1)
	return nil
}

// SendRx delivers a frame to one of the guest's radios.
func (g *Guest) SendRx(r *wire.Rx) error {
	g.smu.Lock()
	g.rx = *r
	err := g.conn.Write(&g.rx)
	g.rx.Data = nil
	g.smu.Unlock()
	if err != nil {
		g.writeErrors.Add(1)
		return fmt.Errorf("rx to guest %s: %w", g.name, err)
	}
	g.rxs.Add(1)
	return nil
}

// Close drops the guest, saying Bye with reason.
func (g *Guest) Close(reason string) { g.conn.Close(reason) }

// GuestCounters counts one guest's traffic and drops.
type GuestCounters struct {
	transport.Counters
	Frames       uint64 // frames received from the guest
	TxStatuses   uint64 // statuses sent
	Rxs          uint64 // rx frames sent
	Malformed    uint64 // messages dropped: undecodable
	UnknownRadio uint64 // frames/changes naming a radio the guest never announced (frames answered "not acked")
	Unexpected   uint64 // messages a guest must not send (tx-status, rx, a second hello, …)
	WriteErrors  uint64 // sends that failed (the connection dropped)
}

// Counters returns the guest's counters.
func (g *Guest) Counters() GuestCounters {
	return GuestCounters{
		Counters: g.conn.Counters(),
		Frames:   g.frames.Load(), TxStatuses: g.statuses.Load(), Rxs: g.rxs.Load(),
		Malformed: g.malformed.Load(), UnknownRadio: g.unknownRadio.Load(),
		Unexpected: g.unexpected.Load(), WriteErrors: g.writeErrors.Load(),
	}
}

// serve reads the guest's messages into m until the connection ends, and
// says why; with ErrRehello m holds the new Hello.
func (g *Guest) serve(h *Host, m *wire.Msg) error {
	for {
		if err := g.conn.Read(m); err != nil {
			if errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrVersion) {
				g.malformed.Add(1)
				continue
			}
			return err
		}
		switch m.Type {
		case wire.TypeFrame:
			g.frames.Add(1)
			f := &m.Frame
			if g.radios[f.Transmitter] == nil {
				g.unknownRadio.Add(1)
				g.answerNotAcked(f)
				continue
			}
			if h.cfg.Frame == nil { // a host without a medium: nobody hears it
				g.answerNotAcked(f)
				continue
			}
			g.batching.Store(true)
			h.cfg.Frame(g, f)
			if !g.conn.Buffered() {
				g.batching.Store(false)
				if err := g.conn.Flush(); err != nil {
					return err
				}
			}
		case wire.TypeRadioAdded, wire.TypeRadioChanged:
			r := m.RadioAdded.Radio
			if m.Type == wire.TypeRadioChanged {
				r = m.RadioChanged.Radio
			}
			g.mu.Lock()
			st := g.radios[r.HWAddr]
			kind := RadioChanged
			if st == nil {
				st = &radioState{}
				g.radios[r.HWAddr] = st
				kind = RadioAdded
			}
			st.radio = r.Clone()
			snap := st.snapshot()
			g.mu.Unlock()
			h.event(Event{Kind: kind, Guest: g, Radio: snap})
		case wire.TypeRadioRemoved:
			g.mu.Lock()
			st := g.radios[m.RadioRemoved.HWAddr]
			delete(g.radios, m.RadioRemoved.HWAddr)
			g.mu.Unlock()
			if st == nil {
				g.unknownRadio.Add(1)
				continue
			}
			h.event(Event{Kind: RadioRemoved, Guest: g, Radio: st.snapshot()})
		case wire.TypeAddrAdded, wire.TypeAddrRemoved:
			g.addr(h, m)
		case wire.TypeBye:
			return fmt.Errorf("%w: %q", ErrBye, m.Bye.Reason)
		case wire.TypeHello:
			return ErrRehello
		default:
			g.unexpected.Add(1)
		}
	}
}

// addr applies an AddrAdded/AddrRemoved, and reports it when the set of
// addresses the radio answers to changed.
func (g *Guest) addr(h *Host, m *wire.Msg) {
	add := m.Type == wire.TypeAddrAdded
	radio, a := m.AddrAdded.Radio, m.AddrAdded.Addr
	if !add {
		radio, a = m.AddrRemoved.Radio, m.AddrRemoved.Addr
	}
	st := g.radios[radio]
	if st == nil {
		g.unknownRadio.Add(1)
		return
	}
	before := st.has(a)
	g.mu.Lock()
	if st.extra == nil {
		st.extra = map[wire.HWAddr]int{}
	}
	switch {
	case add:
		st.extra[a]++
	case st.extra[a] > 0:
		st.extra[a]--
		if st.extra[a] == 0 {
			delete(st.extra, a)
		}
	default:
		g.unexpected.Add(1) // removing what was never added
	}
	after := st.has(a)
	g.mu.Unlock()
	if before != after {
		kind := AddrRemoved
		if after {
			kind = AddrAdded
		}
		h.event(Event{Kind: kind, Guest: g, Radio: wire.Radio{HWAddr: radio}, Addr: a})
	}
}

// answerNotAcked tells the guest a frame went nowhere, so its kernel
// completes it.
func (g *Guest) answerNotAcked(f *wire.Frame) {
	nack := wire.TxStatus{Transmitter: f.Transmitter, Cookie: f.Cookie, Flags: f.Flags &^ wire.FlagAck,
		Rates: notAckedRates(f.Rates[0].Idx)}
	_ = g.SendTxStatus(&nack)
}

// notAckedRates is the rate chain of a frame that was not acknowledged:
// one attempt at its first rate.
func notAckedRates(idx int8) [wire.RateCount]wire.Rate {
	return [wire.RateCount]wire.Rate{{Idx: idx, Count: 1}, {Idx: -1}, {Idx: -1}, {Idx: -1}}
}
