// SPDX-License-Identifier: MIT

// Package bridge makes the radios of VM guests radios of the host's
// medium: it serves guest agents (medium/guest/session) on the addresses
// of `vmedium run --guests`, adds each guest radio to the medium as a
// radio of kind guest named GUEST/IFACE, transmits the frames the guest
// radios send and answers each with the medium's own decision (attempts
// used, ACK), and delivers what the medium gives a guest radio back to its
// guest. Every rule of the medium (deny, links, capture, metrics) applies
// to guest radios as to local ones, by name: a guest whose radios leave
// and rejoin finds its rules again.
//
// The package's files, by concern:
//
//	bridge.go   Bridge: listeners, guests' radios joining and leaving
//	relay.go    frames: guest → medium (TX status), medium → guest (RX)
//	metrics.go  counters and their Prometheus collector
package bridge

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/guest/session"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// Options configure a Bridge.
type Options struct {
	Software string       // the host's version, told to guests
	Logger   *slog.Logger // nil: discard
	// Host tunes the guest sessions (keepalive, timeouts); its Events and
	// Frame are the bridge's own and are overwritten.
	Host session.HostConfig
}

// Bridge serves guests on a medium.
type Bridge struct {
	m    *medium.Medium
	host *session.Host
	log  *slog.Logger

	// guests maps *session.Guest to its *guestState. A guest's state is
	// changed only on its reader goroutine (events and frames both arrive
	// there), so the frame path looks it up without a lock.
	guests sync.Map

	// mu guards byName, read by the control API (MACStatus, Summary).
	mu     sync.Mutex
	byName map[string]*guestRadio

	wg sync.WaitGroup
	c  counters
}

// guestState is one connected guest's radios, keyed by hwsim address.
type guestState struct {
	g      *session.Guest
	radios map[wire.HWAddr]*guestRadio
}

// guestRadio is one guest radio on the medium; its fields never change
// after it is added (a rename is a remove and an add).
type guestRadio struct {
	b      *Bridge
	g      *session.Guest
	hw     wire.HWAddr
	ifname string
	addr   frames.MAC // the medium radio's own address
	r      *medium.Radio
	// extras counts the references this bridge holds on the radio's other
	// addresses in the medium; changed only on the guest's reader goroutine.
	extras map[frames.MAC]int
}

// New returns a Bridge adding guest radios to m; Serve starts listening.
func New(m *medium.Medium, opts Options) *Bridge {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{m: m, log: log, byName: map[string]*guestRadio{}}
	hc := opts.Host
	hc.Software = opts.Software
	hc.Logger = log
	hc.Events = b.event
	hc.Frame = b.frame
	b.host = session.NewHost(hc)
	return b
}

// Serve listens on addr (unix:PATH or tcp:HOST:PORT) and serves the guests
// that connect until Close. It returns once listening, or the error that
// prevented it.
func (b *Bridge) Serve(addr transport.Addr) (transport.Addr, error) {
	if addr.Scheme != "unix" && addr.Scheme != "tcp" {
		return transport.Addr{}, fmt.Errorf("guests on %v: the host listens on unix:PATH or tcp:HOST:PORT (virtio: is the guest's end of a port whose host end is a unix socket): %w", addr, transport.ErrAddr)
	}
	l, err := transport.Listen(addr)
	if err != nil {
		return transport.Addr{}, fmt.Errorf("listen for guests on %v: %w", addr, err)
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := b.host.Serve(l); err != nil && !errors.Is(err, session.ErrHostClosed) {
			b.log.Warn("guest listener ended", "on", addr, "err", err)
		}
	}()
	b.log.Info("serving guests", "on", l.Addr())
	return l.Addr(), nil
}

// Close says Bye to every guest and removes their radios.
func (b *Bridge) Close() error {
	err := b.host.Close()
	b.wg.Wait()
	return err
}

// Kind is medium.KindGuest (lab.Backend).
func (b *Bridge) Kind() medium.Kind { return medium.KindGuest }

// Summary is the kind's line in `vmctl status`.
func (b *Bridge) Summary() string {
	gs := b.host.Guests()
	names := make([]string, 0, len(gs))
	for _, g := range gs {
		names = append(names, g.Name())
	}
	sort.Strings(names)
	n := b.m.KindCounts()[medium.KindGuest]
	s := fmt.Sprintf("guest: live, %d %s in %d %s", n, plural(n, "radio", "radios"), len(gs), plural(len(gs), "guest", "guests"))
	if len(names) > 0 {
		s += " (" + strings.Join(names, ", ") + ")"
	}
	return s
}

// MACStatus says which guest a guest radio lives in, for `vmctl radios`.
func (b *Bridge) MACStatus(name string) (medium.MACStatus, bool) {
	b.mu.Lock()
	gr := b.byName[name]
	b.mu.Unlock()
	if gr == nil {
		return medium.MACStatus{}, false
	}
	gc := gr.g.Counters()
	return medium.MACStatus{
		Role:  "guest",
		State: "in guest " + gr.g.Name() + " (" + gr.g.Remote() + ")",
		Counters: map[string]uint64{
			"guest_frames": gc.Frames, "guest_rx": gc.Rxs, "guest_tx_statuses": gc.TxStatuses,
		},
	}, true
}

// Guests returns the names of the connected guests, sorted.
func (b *Bridge) Guests() []string {
	var out []string
	for _, g := range b.host.Guests() {
		out = append(out, g.Name())
	}
	sort.Strings(out)
	return out
}

// event follows a guest's joins, leaves and radio changes (on the guest's
// reader goroutine).
func (b *Bridge) event(e session.Event) {
	switch e.Kind {
	case session.Join:
		b.c.joined.Add(1)
		b.guests.Store(e.Guest, &guestState{g: e.Guest, radios: map[wire.HWAddr]*guestRadio{}})
	case session.Leave:
		b.c.left.Add(1)
		if v, ok := b.guests.LoadAndDelete(e.Guest); ok {
			for _, gr := range v.(*guestState).radios { // none left normally
				b.remove(gr)
			}
		}
	case session.RadioAdded:
		b.add(e.Guest, &e.Radio)
	case session.RadioChanged:
		gs := b.state(e.Guest)
		if gs == nil {
			return
		}
		if gr := gs.radios[e.Radio.HWAddr]; gr != nil && gr.ifname == e.Radio.Ifname && gr.addr == primary(&e.Radio) {
			b.syncAddrs(gr, &e.Radio)
			return
		}
		if gr := gs.radios[e.Radio.HWAddr]; gr != nil {
			b.remove(gr)
		}
		b.add(e.Guest, &e.Radio)
	case session.RadioRemoved:
		if gs := b.state(e.Guest); gs != nil {
			if gr := gs.radios[e.Radio.HWAddr]; gr != nil {
				b.remove(gr)
			}
		}
	case session.AddrAdded, session.AddrRemoved:
		gs := b.state(e.Guest)
		if gs == nil {
			return
		}
		gr := gs.radios[e.Radio.HWAddr]
		a := frames.MAC(e.Addr)
		switch {
		case gr == nil || a == gr.addr:
		case e.Kind == session.AddrAdded:
			gr.r.AddAddr(a)
			gr.extras[a]++
		case gr.extras[a] > 0:
			gr.r.DelAddr(a)
			if gr.extras[a]--; gr.extras[a] == 0 {
				delete(gr.extras, a)
			}
		}
	}
}

func (b *Bridge) state(g *session.Guest) *guestState {
	v, ok := b.guests.Load(g)
	if !ok {
		return nil
	}
	return v.(*guestState)
}

// RadioName is the medium name of a guest radio: GUEST/IFACE, or
// GUEST/radioID when the guest does not know its interface.
func RadioName(guest string, r *wire.Radio) string {
	if r.Ifname != "" {
		return guest + "/" + r.Ifname
	}
	return fmt.Sprintf("%s/radio%d", guest, r.ID)
}

// primary is a guest radio's own address on the medium: its first
// interface's address, as for local hwsim radios (the kernel may send
// DEL_MAC_ADDR for it, and the radio must still answer to it), or its
// hwsim address when it has no interface.
func primary(wr *wire.Radio) frames.MAC {
	if len(wr.Addrs) > 0 {
		return frames.MAC(wr.Addrs[0])
	}
	return frames.MAC(wr.HWAddr)
}

// add puts a guest radio on the medium, answering to its own address and
// to every other address of its interfaces (the medium routes unicast
// frames by addr1).
func (b *Bridge) add(g *session.Guest, wr *wire.Radio) {
	gs := b.state(g)
	if gs == nil {
		return
	}
	name := RadioName(g.Name(), wr)
	gr := &guestRadio{b: b, g: g, hw: wr.HWAddr, ifname: wr.Ifname, addr: primary(wr), extras: map[frames.MAC]int{}}
	// Registered by name before it joins the medium, so `vmctl radios`
	// never lists it without the guest it lives in.
	register := func(n string, on bool) {
		b.mu.Lock()
		if on {
			b.byName[n] = gr
		} else {
			delete(b.byName, n)
		}
		b.mu.Unlock()
	}
	register(name, true)
	r, err := b.m.AddRadio(medium.RadioConfig{Name: name, Kind: medium.KindGuest, Addr: gr.addr}, gr)
	if err != nil && wr.Ifname != "" {
		// Two radios of one guest claiming the same interface name:
		// the second falls back to its id.
		register(name, false)
		alt := *wr
		alt.Ifname = ""
		name = RadioName(g.Name(), &alt)
		register(name, true)
		r, err = b.m.AddRadio(medium.RadioConfig{Name: name, Kind: medium.KindGuest, Addr: gr.addr}, gr)
	}
	if err != nil {
		register(name, false)
		b.c.radioErrors.Add(1)
		if owner := b.addrOwner(gr.addr); owner != "" {
			// Typically two guests whose radios came from `modprobe
			// mac80211_hwsim radios=N`: every guest has the same defaults.
			b.log.Warn("guest radio not added: its address belongs to another radio; run the guests' agents with --radios N (addresses derived from each guest's name) and load mac80211_hwsim with radios=0",
				"guest", g.Name(), "radio", name, "addr", gr.addr, "owner", owner, "err", err)
			return
		}
		b.log.Warn("guest radio not added", "guest", g.Name(), "radio", name, "err", err)
		return
	}
	gr.r = r
	gs.radios[wr.HWAddr] = gr
	b.syncAddrs(gr, wr)
	b.c.radiosAdded.Add(1)
	b.log.Info("guest radio joined", "radio", name, "hwaddr", frames.MAC(wr.HWAddr), "addrs", len(wr.Addrs))
}

// addrOwner names the medium radio whose own address is a, "" if none.
func (b *Bridge) addrOwner(a frames.MAC) string {
	for _, ri := range b.m.Radios() {
		if ri.Addr == a.String() {
			return ri.Name
		}
	}
	return ""
}

// syncAddrs makes the radio answer to exactly the addresses wr lists
// (besides its own): a joining or changed radio's list is complete.
func (b *Bridge) syncAddrs(gr *guestRadio, wr *wire.Radio) {
	want := make(map[frames.MAC]bool, len(wr.Addrs))
	for _, a := range wr.Addrs {
		if frames.MAC(a) != gr.addr {
			want[frames.MAC(a)] = true
		}
	}
	for a, n := range gr.extras {
		if !want[a] {
			for ; n > 0; n-- {
				gr.r.DelAddr(a)
			}
			delete(gr.extras, a)
		}
	}
	for a := range want {
		if gr.extras[a] == 0 {
			gr.r.AddAddr(a)
			gr.extras[a] = 1
		}
	}
}

// remove takes a guest radio off the medium (its rules stay, by name).
func (b *Bridge) remove(gr *guestRadio) {
	if gs := b.state(gr.g); gs != nil {
		delete(gs.radios, gr.hw)
	}
	b.mu.Lock()
	if b.byName[gr.r.Name()] == gr {
		delete(b.byName, gr.r.Name())
	}
	b.mu.Unlock()
	b.m.RemoveRadio(gr.r)
	b.c.radiosRemoved.Add(1)
	b.log.Info("guest radio left", "radio", gr.r.Name())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// counters are the bridge's own; the session's are read from the host.
type counters struct {
	joined, left, radiosAdded, radiosRemoved, radioErrors, frames, unknownTx, acked atomic.Uint64
}
