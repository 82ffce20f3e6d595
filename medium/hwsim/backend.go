// SPDX-License-Identifier: MIT

// Package hwsim is vmedium's mac80211_hwsim backend: it registers as the
// wireless medium of the kernel's simulated radios over generic netlink
// (family MAC80211_HWSIM), turns every frame a kernel radio transmits into a
// medium.Transmit, injects the copies the medium delivers into the receiving
// kernel radios, and answers every transmission with a truthful TX status
// (attempts actually used, ACK only when addr1's radio heard the frame).
//
// The kernel checks that injections come from the socket that registered,
// so one socket carries REGISTER, the frame stream, the "config" multicast
// and every injection. The package's files, by concern:
//
//	backend.go          Backend, Open/Close, the receive loop and dispatch
//	socket_linux.go     the conn seam and the netlink socket behind it
//	acks_linux.go       requests and the routing of every acknowledgement
//	codec.go            decoding FRAME and events, encoding TX_INFO and injections
//	batch.go            one datagram per transmission or burst
//	registry.go         served radios, their addresses, CreateRadio
//	discovery*.go       ADD/DEL_MAC_ADDR, NEW/DEL_RADIO, Discover (attach mode)
package hwsim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// Errors the kernel gives to REGISTER, typed so callers can branch on them.
var (
	// ErrBusy: the network namespace already has a medium (EBUSY).
	ErrBusy = errors.New("another medium, e.g. wmediumd, is registered")
	// ErrMultiChannel: a radio was created with channels > 1 (EOPNOTSUPP).
	ErrMultiChannel = errors.New("a radio uses channels > 1, which a userspace medium cannot serve")
	// ErrNoFamily: the MAC80211_HWSIM family is not there.
	ErrNoFamily = errors.New("mac80211_hwsim is not loaded (modprobe mac80211_hwsim)")
)

// DefaultReadBuffer is the receive buffer asked for the medium socket. The
// measured trap: libnl's 32 KiB default made the kernel drop ~1100 netlink
// messages a second under iperf3 (and hwsim then drops the frames).
const DefaultReadBuffer = 8 << 20

// maxAttempts caps the attempts asked of the medium per frame (mac80211 asks
// at most 4 rates × max_rate_tries).
const maxAttempts = TxMaxRates * MaxRateTries

// Options configure a Backend.
type Options struct {
	ReadBuffer int          // 0: DefaultReadBuffer
	Logger     *slog.Logger // nil: discard
	// AutoAttach serves radios learned at runtime (NEW_RADIO multicasts,
	// unknown transmitters) without being told: attach mode.
	AutoAttach bool
	// Relay, when set, takes the frames of served radios instead of the
	// medium (relay mode, relay.go): the guest agent.
	Relay Relay
}

// config is what tests tune beyond Options.
type config struct {
	// recvmmsg vector: recvSlots datagrams of recvSlotSize bytes
	// (0: the constants in socket_linux.go).
	recvSlots, recvSlotSize int
}

// Counters are the backend's own counters (the medium counts per radio).
type Counters struct {
	FramesIn     uint64 // HWSIM_CMD_FRAME from the kernel
	TxInfoSent   uint64 // TX_INFO_FRAME answers sent
	Injected     uint64 // FRAME injections sent
	Malformed    uint64 // messages that could not be decoded
	UnknownTx    uint64 // frames from radios the backend does not serve
	Rejected     uint64 // kernel error replies (EINVAL: receiver off channel or down)
	Overruns     uint64 // ENOBUFS on receive: the kernel dropped messages
	SendErrors   uint64 // failed sends
	AddrEvents   uint64 // ADD/DEL_MAC_ADDR handled
	RadioEvents  uint64 // NEW/DEL_RADIO multicasts handled
	OtherUnknown uint64 // commands the backend does not handle (e.g. PMSR)
}

type counters struct {
	framesIn, txInfoSent, injected, malformed, unknownTx, rejected, overruns, sendErrors,
	addrEvents, radioEvents, otherUnknown atomic.Uint64
}

// Backend serves mac80211_hwsim radios on a medium.
type Backend struct {
	m         *medium.Medium
	chain     air.Chain // scratch rate chain of the frame being handled
	conn      conn
	closeConn func() error // closes conn's descriptor
	family    uint16
	portID    uint32
	opts      Options
	cfg       config
	log       *slog.Logger

	reg     registry
	s       sender
	waiting waiters
	ifaces  ifaceCache // attached radios' interfaces, for their MAC status
	c       counters
	discReq chan struct{}
	txSeq   atomic.Uint32

	// running is set while Run reads the socket; requests then get their
	// answer through it.
	running  atomic.Bool
	closing  atomic.Bool
	loopDone chan struct{}
}

// Open resolves MAC80211_HWSIM, opens the medium socket (receive buffer,
// "config" group) and REGISTERs as the medium of the calling network
// namespace (call it from the initial one: radios created at module load
// belong to init_net's netgroup even after their phy moves).
func Open(m *medium.Medium, opts Options) (*Backend, error) {
	fam, err := resolveFamily()
	if err != nil {
		return nil, err
	}
	if opts.ReadBuffer == 0 {
		opts.ReadBuffer = DefaultReadBuffer
	}
	var group uint32
	for _, g := range fam.Groups {
		if g.Name == MulticastConfig {
			group = g.ID
		}
	}
	c, portID, err := dialMediumSocket(opts.ReadBuffer, group)
	if err != nil {
		return nil, err
	}
	b, err := newBackend(m, c, c.close, fam.ID, opts, config{})
	if err != nil {
		c.close()
		return nil, err
	}
	b.portID = portID
	b.log.Info("hwsim: registered as the medium", "family", fam.ID, "port_id", portID)
	return b, nil
}

// newBackend REGISTERs on c (the kernel's socket, or a test's socketpair)
// and returns the backend serving it. closeConn closes c.
func newBackend(m *medium.Medium, c conn, closeConn func() error, family uint16, opts Options, cfg config) (*Backend, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Backend{
		m: m, conn: c, closeConn: closeConn, family: family, opts: opts, cfg: cfg, log: opts.Logger,
		discReq: make(chan struct{}, 1), loopDone: make(chan struct{}),
	}
	b.reg.init()
	if err := b.register(); err != nil {
		return nil, err
	}
	return b, nil
}

// register sends HWSIM_CMD_REGISTER and maps the kernel's two refusals.
func (b *Backend) register() error {
	_, err := b.request(CmdRegister, nil)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EBUSY):
		return fmt.Errorf("register with hwsim: %w (EBUSY)", ErrBusy)
	case errors.Is(err, unix.EOPNOTSUPP):
		return fmt.Errorf("register with hwsim: %w (EOPNOTSUPP)", ErrMultiChannel)
	case errors.Is(err, unix.EPERM):
		return fmt.Errorf("register with hwsim: %w (needs CAP_NET_ADMIN)", err)
	}
	return fmt.Errorf("register with hwsim: %w", err)
}

// PortID returns the netlink port id of the medium socket (the "Pid"
// column of /proc/net/netlink, where the kernel counts its drops).
func (b *Backend) PortID() uint32 { return b.portID }

// Close closes the socket: the kernel unregisters the medium (radios fall
// back to its perfect medium) and destroys radios created by this backend.
func (b *Backend) Close() error {
	if b.closing.Swap(true) {
		return nil
	}
	if b.running.Load() {
		// Let the loop leave its recv before the descriptor number can
		// be reused.
		select {
		case <-b.loopDone:
		case <-time.After(2 * rawRecvTimeout):
		}
	}
	return b.closeConn()
}

// Counters returns a snapshot of the backend's counters.
func (b *Backend) Counters() Counters {
	return Counters{
		FramesIn: b.c.framesIn.Load(), TxInfoSent: b.c.txInfoSent.Load(), Injected: b.c.injected.Load(),
		Malformed: b.c.malformed.Load(), UnknownTx: b.c.unknownTx.Load(), Rejected: b.c.rejected.Load(),
		Overruns: b.c.overruns.Load(), SendErrors: b.c.sendErrors.Load(), AddrEvents: b.c.addrEvents.Load(),
		RadioEvents: b.c.radioEvents.Load(), OtherUnknown: b.c.otherUnknown.Load(),
	}
}

// Start runs Run in a goroutine; the returned channel gets its result.
// Requests that need the kernel's answer (CreateRadio) get it through the
// receive loop once Start returned.
func (b *Backend) Start(ctx context.Context) <-chan error {
	b.running.Store(true)
	ch := make(chan error, 1)
	go func() { ch <- b.Run(ctx) }()
	return ch
}

// maxBurst bounds the messages drained per wake-up.
const maxBurst = 64

// Run receives and handles kernel messages until ctx ends, Close is
// called or the socket fails. Overruns (ENOBUFS) and the kernel's error
// replies to injections are counted, not fatal.
//
// One recvmmsg(2) with MSG_WAITFORONE sleeps for the first datagram and
// then takes whatever else is queued without sleeping (under load the
// kernel queues several frames per wake-up); everything received is
// answered with one write. Per wake-up that is two system calls, where a
// recv per datagram plus the recv that finds the queue empty made at least
// three.
func (b *Backend) Run(ctx context.Context) error {
	b.running.Store(true)
	defer b.running.Store(false)
	defer b.failWaiters()
	defer close(b.loopDone)
	if b.opts.AutoAttach {
		go b.discoverer(ctx)
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	slots, size := recvSlots, recvSlotSize
	if b.cfg.recvSlots > 0 {
		slots, size = b.cfg.recvSlots, b.cfg.recvSlotSize
	}
	rb := newRecvBatch(slots, size)
	for ctx.Err() == nil && !b.closing.Load() {
		n, err := b.conn.recv(rb, unix.MSG_WAITFORONE)
		switch {
		case err == nil:
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOBUFS):
			b.c.overruns.Add(1)
			b.log.Warn("hwsim: receive buffer overrun: the kernel dropped messages")
			continue
		default:
			if ctx.Err() != nil || b.closing.Load() {
				return nil
			}
			return fmt.Errorf("hwsim: receive: %w", err)
		}
		b.s.mu.Lock()
		b.s.burst, b.s.batching = true, true
		b.s.mu.Unlock()
		for got := 0; ; {
			b.handleRecvBatch(rb, n)
			got += n
			if n < rb.Slots() || got >= maxBurst {
				break
			}
			// Every slot was filled: more may be queued.
			if n, err = b.conn.recv(rb, unix.MSG_DONTWAIT); err != nil {
				if errors.Is(err, unix.ENOBUFS) {
					b.c.overruns.Add(1)
				}
				break
			}
		}
		b.s.mu.Lock()
		b.flushLocked()
		b.s.burst, b.s.batching = false, false
		b.s.mu.Unlock()
	}
	return nil
}

// handleRecvBatch handles the first n datagrams of rb.
func (b *Backend) handleRecvBatch(rb *recvBatch, n int) {
	for i := 0; i < n; i++ {
		d, cut := rb.Datagram(i)
		if cut {
			b.c.malformed.Add(1) // larger than a slot: cannot be decoded
			continue
		}
		b.handleDatagram(d)
	}
}

// handleDatagram splits a datagram into netlink messages (NLMSG_ALIGN'd
// nlmsghdr lengths) and handles each.
func (b *Backend) handleDatagram(d []byte) {
	for len(d) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(d))
		if l < unix.NLMSG_HDRLEN || l > len(d) {
			b.c.malformed.Add(1)
			return
		}
		al := min(nlmsgAlign(l), len(d))
		var m netlink.Message
		// UnmarshalBinary wants an aligned slice; the header's length
		// still bounds Data.
		if err := m.UnmarshalBinary(d[:al]); err != nil {
			b.c.malformed.Add(1)
			return
		}
		b.handle(m)
		d = d[al:]
	}
}

// handle dispatches one message from the kernel.
func (b *Backend) handle(nm netlink.Message) {
	if nm.Header.Type == netlink.Error {
		b.handleAck(nm)
		return
	}
	if nm.Header.Type != netlink.HeaderType(b.family) {
		return
	}
	var gm genetlink.Message
	if err := gm.UnmarshalBinary(nm.Data); err != nil {
		b.c.malformed.Add(1)
		return
	}
	switch gm.Header.Command {
	case CmdFrame:
		b.handleFrame(gm.Data)
	case CmdAddMacAddr, CmdDelMacAddr:
		b.handleMacAddr(gm.Data, gm.Header.Command == CmdAddMacAddr)
	case CmdNewRadio, CmdDelRadio:
		b.handleRadioEvent(gm.Data, gm.Header.Command == CmdNewRadio)
	default:
		b.c.otherUnknown.Add(1)
	}
}

// handleFrame handles a kernel radio's transmission: dispatch on the medium,
// then always answer TX_INFO_FRAME (the kernel holds the skb until then and
// drops traffic once 200 are pending).
func (b *Backend) handleFrame(data []byte) {
	b.c.framesIn.Add(1)
	var f txFrame
	if err := decodeFrame(data, &f); err != nil || !f.haveTx || !f.haveCookie {
		// Without transmitter and cookie there is nothing to answer.
		b.c.malformed.Add(1)
		return
	}
	noAck := f.flags&TxCtlNoAck != 0
	want := chainAttempts(&f.txInfo)
	var res medium.TxResult
	hr := b.reg.lookup(f.tx)
	switch {
	case hr == nil:
		b.c.unknownTx.Add(1)
		res.Attempts = want
		b.wantDiscovery()
	case len(f.frame) < MinFrameLen:
		b.c.malformed.Add(1)
		res.Attempts = want
	case b.opts.Relay != nil:
		b.relayFrame(&f)
		return
	default:
		opt := medium.TxOptions{NoAck: noAck, MaxAttempts: want, FreqMHz: f.freq,
			RateIdx: rxRate(&f)}
		if b.m.AirActive() {
			// The air model judges each stage at its own rate: give it
			// the chain the kernel's rate control chose. Frames are
			// handled one at a time on the receive goroutine and the
			// medium keeps no reference: one scratch chain serves all.
			if f.chain(&b.chain) {
				opt.Chain = &b.chain
			}
			if b.m.AirTimed() {
				opt.Done = b.txDone(&f)
			}
		}
		b.s.mu.Lock()
		b.s.batching = true
		b.s.mu.Unlock()
		res = hr.r.Transmit(f.frame, opt)
		if res.Pending {
			// airtime timed: TX status goes out when the exchange ends.
			b.flushBurst()
			return
		}
	}
	if noAck {
		res.Attempts, res.Acked = 1, false
	}
	if res.Attempts < 1 {
		res.Attempts = 1
	}
	msg, err := encodeTxInfo(&f, res)
	b.s.mu.Lock()
	if err == nil {
		b.s.batch = append(b.s.batch, msg)
	} else {
		b.c.malformed.Add(1)
	}
	if !b.s.burst {
		b.flushLocked()
		b.s.batching = false
	}
	b.s.mu.Unlock()
}

// flushBurst sends what the frame's handling batched (injections) unless
// a burst of datagrams is being handled, as handleFrame does after its
// TX status.
func (b *Backend) flushBurst() {
	b.s.mu.Lock()
	if !b.s.burst {
		b.flushLocked()
		b.s.batching = false
	}
	b.s.mu.Unlock()
}

// txDone returns the callback that reports a frame's TX status when the
// air model ends its exchange later (airtime timed): the frame's
// transmitter, flags, cookie and chain are copied, since f is gone by then.
func (b *Backend) txDone(f *txFrame) func(medium.TxResult) {
	fc := txFrame{tx: f.tx, flags: f.flags, cookie: f.cookie, txInfo: f.txInfo}
	return func(res medium.TxResult) {
		if fc.flags&TxCtlNoAck != 0 {
			res.Acked = false
		}
		msg, err := encodeTxInfo(&fc, res)
		b.s.mu.Lock()
		defer b.s.mu.Unlock()
		if err != nil {
			b.c.malformed.Add(1)
			return
		}
		b.s.batch = append(b.s.batch, msg)
		if !b.s.batching {
			b.flushLocked()
		}
	}
}
