// Package hwsim is vmedium's mac80211_hwsim backend: it registers as the
// wireless medium of the kernel's simulated radios over generic netlink
// (family MAC80211_HWSIM), turns every frame a kernel radio transmits into a
// medium.Transmit, injects the copies the medium delivers into the receiving
// kernel radios, and answers every transmission with a truthful TX status
// (attempts actually used, ACK only when addr1's radio heard the frame).
//
// The protocol (message by message) is described in the package's consts.go
// and in the comments below; the kernel checks that injections come from the
// socket that registered, so one socket carries REGISTER, the frame stream,
// the "config" multicast and every injection.
package hwsim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
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
	AutoAttach  bool
	noMulticast bool // tests: the fake connection cannot join groups
	// tests: recvmmsg vector of recvSlots datagrams of recvSlotSize bytes
	// (0: the constants in rawio_linux.go)
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

// hwRadio is one served kernel radio.
type hwRadio struct {
	id     int
	name   string
	hwAddr frames.MAC // addresses[1]: the radio's netlink identity
	r      *medium.Radio
}

// Backend serves mac80211_hwsim radios on a medium.
type Backend struct {
	m      *medium.Medium
	nc     *netlink.Conn
	gc     *genetlink.Conn
	family genetlink.Family
	opts   Options
	log    *slog.Logger

	ifaces ifaceCache // attached radios' interfaces, for their MAC status

	mu       sync.Mutex // guards the tables below (configuration, not per frame)
	byHw     map[frames.MAC]*hwRadio
	byID     map[int]*hwRadio
	refs     map[frames.MAC]map[frames.MAC]int // hwsim address → vif address → references
	expect   map[string]bool                   // radio names being created by us
	expectID map[string]int                    // … and their ids once known
	// served is the per-frame view of byHw, replaced on change (copy on
	// write) so the frame path reads it without a lock.
	served atomic.Pointer[map[frames.MAC]*hwRadio]

	// sendMu guards the batch: while a transmission is dispatched, the
	// injections it causes are collected and sent with its TX status in
	// one sendmsg.
	sendMu   sync.Mutex
	batching bool
	burst    bool // the raw loop drains queued messages; it flushes once
	batch    []outMsg

	c       counters
	discReq chan struct{}

	// running is set while Run reads the socket; requests that expect an
	// answer (NEW_RADIO) then get it routed by sequence number.
	running atomic.Bool
	waitMu  sync.Mutex
	// Raw I/O on the socket's descriptor (rawio_linux.go); rawFD < 0
	// means the netlink.Conn path (tests).
	rawFD   int
	portID  uint32
	rawDone chan struct{}
	rawBuf  []byte       // guarded by sendMu
	hdrBuf  []byte       // batch headers, guarded by sendMu
	iov     []unix.Iovec // batch write vector, guarded by sendMu
	txSeq   atomic.Uint32
	closing atomic.Bool
	waiters map[uint32]chan error
	seq     atomic.Uint32
}

func (b *Backend) nextSeq() uint32 { return 0x80000000 | b.seq.Add(1) }

// answer hands a reply to a waiting request; it reports whether one waited.
func (b *Backend) answer(seq uint32, err error) bool {
	b.waitMu.Lock()
	ch, ok := b.waiters[seq]
	delete(b.waiters, seq)
	b.waitMu.Unlock()
	if ok {
		ch <- err
	}
	return ok
}

// Open dials generic netlink, resolves MAC80211_HWSIM, sizes the receive
// buffer, joins the "config" group and REGISTERs as the medium of the
// calling network namespace (call it from the initial one: radios created at
// module load belong to init_net's netgroup even after their phy moves).
func Open(m *medium.Medium, opts Options) (*Backend, error) {
	nc, err := dialMediumSocket()
	if err != nil {
		return nil, err
	}
	b, err := newBackend(m, nc, opts)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if err := b.enableRaw(); err != nil {
		b.log.Warn("hwsim: staying on the library's socket I/O", "err", err)
	}
	return b, nil
}

// dialMediumSocket opens the medium's socket bound to a port id no
// autobound socket gets. The trap (measured in the 6.1 guest): hwsim's
// NETLINK_URELEASE notifier compares only the port id, not the protocol
// nor the namespace, so when ANY netlink socket with the medium's port id
// closes (the process's first rtnetlink socket in another namespace also
// gets port id = PID by autobind), the kernel destroys the
// DESTROY_RADIO_ON_CLOSE radios and drops the registration. Autobind uses
// the PID (< 2^22) or negative ids, so an explicit id in
// [2^30, 2^31) cannot collide with it.
func dialMediumSocket() (*netlink.Conn, error) {
	var err error
	for try := 0; try < 8; try++ {
		pid := uint32(1<<30) | rand.Uint32()&(1<<30-1)
		var nc *netlink.Conn
		// A fixed receive buffer saves the MSG_PEEK recvmsg per message
		// (one kernel message per datagram; 32 KiB holds any of them).
		nc, err = netlink.Dial(unix.NETLINK_GENERIC, &netlink.Config{PID: pid, MessageBufferSize: 32 << 10})
		if err == nil {
			// Error replies to rejected injections then carry only the
			// header, not a copy of the frame (less receive buffer used).
			_ = nc.SetOption(netlink.CapAcknowledge, true)
			return nc, nil
		}
		if !errors.Is(err, unix.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("hwsim: dial generic netlink: %w", err)
}

// newBackend does Open's work on an existing connection (tests pass a fake).
func newBackend(m *medium.Medium, nc *netlink.Conn, opts Options) (*Backend, error) {
	gc := genetlink.NewConn(nc)
	fam, err := resolveFamily(gc)
	if err != nil {
		return nil, err
	}
	if opts.ReadBuffer == 0 {
		opts.ReadBuffer = DefaultReadBuffer
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Backend{
		m: m, nc: nc, gc: gc, family: fam, opts: opts, log: opts.Logger,
		byHw: map[frames.MAC]*hwRadio{}, byID: map[int]*hwRadio{},
		refs: map[frames.MAC]map[frames.MAC]int{}, expect: map[string]bool{}, expectID: map[string]int{},
		waiters: map[uint32]chan error{}, rawFD: -1, rawDone: make(chan struct{}),
		discReq: make(chan struct{}, 1),
	}
	b.publishLocked()
	b.setReadBuffer(opts.ReadBuffer)
	for _, g := range fam.Groups {
		if g.Name == MulticastConfig && !opts.noMulticast {
			if err := nc.JoinGroup(g.ID); err != nil {
				return nil, fmt.Errorf("hwsim: join multicast group %q: %w", MulticastConfig, err)
			}
		}
	}
	if err := register(gc, fam.ID); err != nil {
		return nil, err
	}
	b.portID = nc.PID()
	b.log.Info("hwsim: registered as the medium", "family", fam.ID, "port_id", b.portID)
	return b, nil
}

func resolveFamily(gc *genetlink.Conn) (genetlink.Family, error) {
	fam, err := gc.GetFamily(FamilyName)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENOENT) {
			return fam, fmt.Errorf("hwsim: resolve family %s: %w", FamilyName, ErrNoFamily)
		}
		return fam, fmt.Errorf("hwsim: resolve family %s: %w", FamilyName, err)
	}
	return fam, nil
}

// register sends HWSIM_CMD_REGISTER and maps the kernel's two refusals.
func register(gc *genetlink.Conn, family uint16) error {
	req := genetlink.Message{Header: genetlink.Header{Command: CmdRegister, Version: FamilyVersion}}
	_, err := gc.Execute(req, family, netlink.Request|netlink.Acknowledge)
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

// setReadBuffer asks for n bytes of receive buffer: SO_RCVBUFFORCE (root
// may exceed net.core.rmem_max), falling back to SO_RCVBUF.
func (b *Backend) setReadBuffer(n int) {
	forced := false
	if rc, err := b.nc.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			forced = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) == nil
		})
	}
	if !forced {
		if err := b.nc.SetReadBuffer(n); err != nil {
			b.log.Warn("hwsim: set receive buffer", "bytes", n, "err", err)
		}
	}
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
	if b.rawFD >= 0 {
		if b.running.Load() {
			// Let the raw loop leave its recv before the descriptor
			// number can be reused.
			select {
			case <-b.rawDone:
			case <-time.After(2 * rawRecvTimeout):
			}
		}
		// The library's descriptor was closed by enableRaw.
		return unix.Close(b.rawFD)
	}
	return b.nc.Close()
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
// Requests that need the kernel's answer (CreateRadio) work once Start
// returned.
func (b *Backend) Start(ctx context.Context) <-chan error {
	b.running.Store(true)
	ch := make(chan error, 1)
	go func() { ch <- b.Run(ctx) }()
	return ch
}

// Run receives and handles kernel messages until ctx ends or the socket
// fails. Overruns (ENOBUFS) and the kernel's error replies to injections are
// counted, not fatal.
func (b *Backend) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { _ = b.nc.SetReadDeadline(time.Now()) })
	defer stop()
	b.running.Store(true)
	defer b.running.Store(false)
	defer b.failWaiters()
	if b.opts.AutoAttach {
		go b.discoverer(ctx)
	}
	if b.rawFD >= 0 {
		return b.runRaw(ctx)
	}
	for ctx.Err() == nil {
		msgs, err := b.nc.Receive()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if b.receiveError(err) {
				continue
			}
			return fmt.Errorf("hwsim: receive: %w", err)
		}
		for i := range msgs {
			b.handle(msgs[i])
		}
	}
	return nil
}

func (b *Backend) failWaiters() {
	b.waitMu.Lock()
	defer b.waitMu.Unlock()
	for seq, ch := range b.waiters {
		ch <- errors.New("hwsim: medium socket closed before the kernel answered")
		delete(b.waiters, seq)
	}
}

// receiveError classifies a receive error; true means keep going.
func (b *Backend) receiveError(err error) bool {
	var se *os.SyscallError
	if errors.As(err, &se) {
		if errors.Is(err, unix.ENOBUFS) {
			b.c.overruns.Add(1)
			b.log.Warn("hwsim: receive buffer overrun: the kernel dropped messages")
			return true
		}
		return errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN)
	}
	var oe *netlink.OpError
	if errors.As(err, &oe) && oe.Sequence != 0 {
		if b.answer(oe.Sequence, err) {
			return true
		}
		// An NLMSG_ERROR answering one of our injections (EINVAL: the
		// receiver is not on the frame's channel or not up).
		b.c.rejected.Add(1)
		return true
	}
	return false
}

// handle dispatches one message from the kernel.
func (b *Backend) handle(nm netlink.Message) {
	if nm.Header.Type == netlink.Error {
		b.answer(nm.Header.Sequence, nil) // a plain ACK (errors arrive as receive errors)
		return
	}
	if nm.Header.Type != netlink.HeaderType(b.family.ID) {
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

// txFrame is one decoded kernel FRAME.
type txFrame struct {
	tx          frames.MAC
	frame       []byte
	flags, freq uint32
	cookie      uint64
	txInfo      [TxInfoLen]byte
	txFlags     [TxMaxRates * TxRateFlagLen]byte
	haveTx      bool
	haveCookie  bool
	haveTxInfo  bool
	haveTxFlags bool
}

func decodeFrame(data []byte, f *txFrame) error {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return err
	}
	for ad.Next() {
		switch ad.Type() {
		case AttrAddrTransmitter:
			ad.Do(func(v []byte) error {
				if len(v) != 6 {
					return fmt.Errorf("transmitter address of %d bytes", len(v))
				}
				copy(f.tx[:], v)
				f.haveTx = true
				return nil
			})
		case AttrFrame:
			ad.Do(func(v []byte) error { f.frame = v; return nil })
		case AttrFlags:
			f.flags = ad.Uint32()
		case AttrFreq:
			f.freq = ad.Uint32()
		case AttrCookie:
			f.cookie = ad.Uint64()
			f.haveCookie = true
		case AttrTxInfo:
			ad.Do(func(v []byte) error {
				f.haveTxInfo = copy(f.txInfo[:], v) > 0
				return nil
			})
		case AttrTxInfoFlags:
			ad.Do(func(v []byte) error {
				f.haveTxFlags = copy(f.txFlags[:], v) > 0
				return nil
			})
		}
	}
	return ad.Err()
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
	hr := (*b.served.Load())[f.tx]
	switch {
	case hr == nil:
		b.c.unknownTx.Add(1)
		res.Attempts = want
		if b.opts.AutoAttach {
			select {
			case b.discReq <- struct{}{}:
			default:
			}
		}
	case len(f.frame) < MinFrameLen:
		b.c.malformed.Add(1)
		res.Attempts = want
	default:
		opt := medium.TxOptions{NoAck: noAck, MaxAttempts: want, FreqMHz: f.freq,
			RateIdx: rxRate(&f)}
		b.sendMu.Lock()
		b.batching = true
		b.sendMu.Unlock()
		res = hr.r.Transmit(f.frame, opt)
	}
	if noAck {
		res.Attempts, res.Acked = 1, false
	}
	if res.Attempts < 1 {
		res.Attempts = 1
	}
	msg, err := b.txInfoMessage(&f, res)
	b.sendMu.Lock()
	if err == nil {
		b.batch = append(b.batch, msg)
	} else {
		b.c.malformed.Add(1)
	}
	if !b.burst {
		b.flushLocked()
		b.batching = false
	}
	b.sendMu.Unlock()
}

// chainAttempts is the number of attempts the kernel's MRR chain allows.
func chainAttempts(ti *[TxInfoLen]byte) int {
	n := 0
	for i := 0; i < TxMaxRates; i++ {
		if int8(ti[2*i]) < 0 {
			break
		}
		n += int(ti[2*i+1])
	}
	if n > maxAttempts {
		n = maxAttempts
	}
	if n < 1 {
		n = 1
	}
	return n
}

// rewriteTxInfo walks the MRR chain consuming counts for the attempts used;
// the remaining entries become idx -1, count 0. Echoing the chain as-is
// makes mac80211 count every entry as retries.
func rewriteTxInfo(in *[TxInfoLen]byte, used int) (out [TxInfoLen]byte) {
	rewriteTxInfoInto(&out, in, used)
	return out
}

// rewriteTxInfoInto is rewriteTxInfo writing into out.
func rewriteTxInfoInto(out, in *[TxInfoLen]byte, used int) {
	for i := 0; i < TxMaxRates; i++ {
		out[2*i] = 0xff // idx -1
	}
	for i := 0; i < TxMaxRates && used > 0; i++ {
		idx, cnt := int8(in[2*i]), int(in[2*i+1])
		if idx < 0 {
			break
		}
		if i == TxMaxRates-1 || cnt > used {
			cnt = used // the last entry takes what is left
		}
		if cnt == 0 {
			continue
		}
		out[2*i], out[2*i+1] = byte(idx), byte(cnt)
		used -= cnt
	}
}

// rxRate picks the legacy RX_RATE index reported to receivers: the first
// rate of the chain when it is legacy and in the band's table, else the
// band's fastest legacy rate (HT/VHT cannot be expressed on injection).
func rxRate(f *txFrame) uint8 {
	n := numBitrates(f.freq)
	idx := int8(f.txInfo[0])
	mcs := false
	if f.haveTxFlags {
		fl := binary.NativeEndian.Uint16(f.txFlags[1:3])
		mcs = fl&(rateFlagMCS|rateFlagVHTMCS) != 0
	}
	if idx < 0 || mcs || int(idx) >= n {
		return uint8(n - 1)
	}
	return uint8(idx)
}

const (
	rateFlagMCS    = 1 << 3
	rateFlagVHTMCS = 1 << 8
)

func numBitrates(freq uint32) int {
	if freq != 0 && freq < 3000 {
		return NumBitrates2GHz
	}
	if freq == 0 {
		return NumBitrates2GHz
	}
	return NumBitrates5GHz
}

// txInfoMessage encodes HWSIM_CMD_TX_INFO_FRAME for a handled frame.
func (b *Backend) txInfoMessage(f *txFrame, res medium.TxResult) (outMsg, error) {
	flags := f.flags &^ TxStatAck
	if res.Acked && flags&TxCtlNoAck == 0 {
		flags |= TxStatAck
	}
	// One array for the integer attributes (one allocation; ae.Bytes
	// keeps a reference until Encode copies it), where ae.Uint32/Uint64
	// would allocate a slice per value.
	var v [8 + 4 + 4 + TxInfoLen]byte
	binary.NativeEndian.PutUint64(v[0:], f.cookie)
	binary.NativeEndian.PutUint32(v[8:], flags)
	binary.NativeEndian.PutUint32(v[12:], uint32(res.AckSignal))
	rewriteTxInfoInto((*[TxInfoLen]byte)(v[16:]), &f.txInfo, res.Attempts)
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(AttrAddrTransmitter, f.tx[:])
	ae.Bytes(AttrFlags, v[8:12])
	ae.Bytes(AttrCookie, v[0:8])
	ae.Bytes(AttrSignal, v[12:16])
	ae.Bytes(AttrTxInfo, v[16:])
	return pack(CmdTxInfoFrame, ae)
}

// outMsg is one message of a send batch: a generic netlink command and its
// attributes exactly as AttributeEncoder.Encode returned them. The
// netlink and genetlink headers are added when the batch is written (see
// writeBatchRaw), so the encoded frame is never copied again.
type outMsg struct {
	cmd   uint8
	attrs []byte
}

func pack(cmd uint8, ae *netlink.AttributeEncoder) (outMsg, error) {
	attrs, err := ae.Encode()
	if err != nil {
		return outMsg{}, err
	}
	return outMsg{cmd: cmd, attrs: attrs}, nil
}

// libMessages turns a batch into library messages (the netlink.Conn path
// used by tests and when raw I/O is unavailable).
func (b *Backend) libMessages(batch []outMsg) ([]netlink.Message, error) {
	msgs := make([]netlink.Message, len(batch))
	for i, om := range batch {
		gm := genetlink.Message{Header: genetlink.Header{Command: om.cmd, Version: FamilyVersion}, Data: om.attrs}
		data, err := gm.MarshalBinary()
		if err != nil {
			return nil, err
		}
		msgs[i] = netlink.Message{
			Header: netlink.Header{Type: netlink.HeaderType(b.family.ID), Flags: netlink.Request},
			Data:   data,
		}
	}
	return msgs, nil
}

// flushLocked sends the batch in one sendmsg. Called with sendMu held.
func (b *Backend) flushLocked() {
	if len(b.batch) == 0 {
		return
	}
	var err error
	if b.rawFD >= 0 {
		err = b.writeBatchRaw(b.batch)
	} else {
		var msgs []netlink.Message
		if msgs, err = b.libMessages(b.batch); err == nil {
			_, err = b.nc.SendMessages(msgs)
		}
	}
	if err != nil {
		b.c.sendErrors.Add(1)
		b.log.Debug("hwsim: send", "messages", len(b.batch), "err", err)
	} else {
		for i := range b.batch {
			if b.batch[i].cmd == CmdTxInfoFrame {
				b.c.txInfoSent.Add(1)
			} else {
				b.c.injected.Add(1)
			}
		}
	}
	clear(b.batch)
	b.batch = b.batch[:0]
}

// sendLocked sends control messages (NEW_RADIO) in one datagram; the frame
// path goes through the batch. Called with sendMu held.
func (b *Backend) sendLocked(msgs []netlink.Message) error {
	if b.rawFD >= 0 {
		return b.sendRaw(msgs)
	}
	_, err := b.nc.SendMessages(msgs)
	return err
}

// port is a served radio's receive side: it injects HWSIM_CMD_FRAME.
type port struct {
	b  *Backend
	hw frames.MAC
}

// Deliver injects frame into the radio. During a kernel radio's
// transmission the message joins that transmission's batch.
func (p *port) Deliver(frame []byte, rx medium.RxInfo) error {
	b := p.b
	if len(frame) < MinFrameLen || len(frame) > MaxFrameLen {
		return fmt.Errorf("hwsim: frame of %d bytes: accepted is %d..%d", len(frame), MinFrameLen, MaxFrameLen)
	}
	rate := uint32(rx.RateIdx)
	if n := numBitrates(rx.FreqMHz); int(rate) >= n {
		rate = uint32(n - 1)
	}
	// Integers through ae.Bytes from one scratch array: Encode copies
	// them, and ae.Uint32 would allocate a slice per value.
	var v [12]byte
	binary.NativeEndian.PutUint32(v[0:], rate)
	binary.NativeEndian.PutUint32(v[4:], uint32(rx.SignalDBm))
	binary.NativeEndian.PutUint32(v[8:], rx.FreqMHz)
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(AttrAddrReceiver, p.hw[:])
	ae.Bytes(AttrFrame, frame)
	ae.Bytes(AttrRxRate, v[0:4])
	ae.Bytes(AttrSignal, v[4:8])
	if rx.FreqMHz != 0 {
		ae.Bytes(AttrFreq, v[8:12])
	}
	msg, err := pack(CmdFrame, ae)
	if err != nil {
		return fmt.Errorf("hwsim: encode frame: %w", err)
	}
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	b.batch = append(b.batch, msg)
	if !b.batching {
		b.flushLocked()
	}
	return nil
}

// handleMacAddr tracks the addresses a radio answers to, by reference:
// around a scan the kernel adds a station's own address twice and removes
// it once, so a plain set would forget the station.
func (b *Backend) handleMacAddr(data []byte, add bool) {
	b.c.addrEvents.Add(1)
	var hw, a frames.MAC
	var okHw, okA bool
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		b.c.malformed.Add(1)
		return
	}
	for ad.Next() {
		switch ad.Type() {
		case AttrAddrTransmitter:
			okHw = copy(hw[:], ad.Bytes()) == 6
		case AttrAddrReceiver:
			okA = copy(a[:], ad.Bytes()) == 6
		}
	}
	if ad.Err() != nil || !okHw || !okA {
		b.c.malformed.Add(1)
		return
	}
	if add {
		b.addRef(hw, a)
	} else {
		b.delRef(hw, a)
	}
}

func (b *Backend) addRef(hw, a frames.MAC) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.refs[hw]
	if m == nil {
		m = map[frames.MAC]int{}
		b.refs[hw] = m
	}
	m[a]++
	if hr := b.byHw[hw]; hr != nil {
		hr.r.AddAddr(a)
	}
}

func (b *Backend) delRef(hw, a frames.MAC) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.refs[hw]
	if m[a] <= 0 {
		return
	}
	if m[a]--; m[a] == 0 {
		delete(m, a)
	}
	if hr := b.byHw[hw]; hr != nil {
		hr.r.DelAddr(a)
	}
}

// handleRadioEvent follows radios created and destroyed at runtime.
func (b *Backend) handleRadioEvent(data []byte, created bool) {
	b.c.radioEvents.Add(1)
	id, name := -1, ""
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		b.c.malformed.Add(1)
		return
	}
	for ad.Next() {
		switch ad.Type() {
		case AttrRadioID:
			id = int(ad.Uint32())
		case AttrRadioName:
			name = trimNUL(ad.Bytes())
		}
	}
	if ad.Err() != nil || id < 0 {
		b.c.malformed.Add(1)
		return
	}
	if !created {
		b.log.Info("hwsim: radio destroyed", "id", id, "name", name)
		b.Detach(id)
		return
	}
	b.mu.Lock()
	_, known := b.byID[id]
	ours := b.expect[name]
	b.mu.Unlock()
	b.log.Info("hwsim: radio created", "id", id, "name", name, "served", known || ours)
	if !known && !ours && b.opts.AutoAttach {
		select {
		case b.discReq <- struct{}{}:
		default:
		}
	}
}

func trimNUL(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

// HwAddr returns the default hwsim address (addresses[1]) of radio id:
// 42:00:00:HH:LL:00. VifAddr is addresses[0], 02:00:00:HH:LL:00, the
// address of the radio's first interface. Radios created with PERM_ADDR
// use that address for both.
func HwAddr(id int) frames.MAC { return frames.MAC{0x42, 0, 0, byte(id >> 8), byte(id), 0} }

// VifAddr returns the default address of radio id's first interface.
func VifAddr(id int) frames.MAC { return frames.MAC{0x02, 0, 0, byte(id >> 8), byte(id), 0} }

// Attach serves kernel radio id under name on the medium. hw is its hwsim
// address (netlink identity, addresses[1]); addr is the medium radio's own
// address, normally its interface's MAC (addresses[0]): the radio always
// answers to it, whatever ADD/DEL_MAC_ADDR say (the kernel removes a
// station's own address once more than it adds it around scans). Other
// addresses (scan, link, extra interfaces) follow ADD/DEL_MAC_ADDR.
func (b *Backend) Attach(id int, name string, hw, addr frames.MAC) (*medium.Radio, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if hr, ok := b.byID[id]; ok {
		return nil, fmt.Errorf("hwsim: attach radio %d as %s: already served as %s", id, name, hr.name)
	}
	p := &port{b: b, hw: hw}
	r, err := b.m.AddRadio(medium.RadioConfig{Name: name, Kind: medium.KindHwsim, Addr: addr}, p)
	if err != nil {
		return nil, fmt.Errorf("hwsim: attach radio %d: %w", id, err)
	}
	hr := &hwRadio{id: id, name: name, hwAddr: hw, r: r}
	b.byID[id] = hr
	b.byHw[hw] = hr
	for a, n := range b.refs[hw] {
		for i := 0; i < n; i++ {
			r.AddAddr(a)
		}
	}
	b.publishLocked()
	b.log.Info("hwsim: serving radio", "id", id, "name", name, "hwaddr", hw.String(), "addr", addr.String())
	return r, nil
}

// Detach stops serving radio id and removes it from the medium.
func (b *Backend) Detach(id int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	hr, ok := b.byID[id]
	if !ok {
		return
	}
	delete(b.byID, id)
	delete(b.byHw, hr.hwAddr)
	delete(b.refs, hr.hwAddr)
	b.m.RemoveRadio(hr.r)
	b.publishLocked()
}

// Served returns the names of the radios served, by radio id.
func (b *Backend) Served() map[int]string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[int]string, len(b.byID))
	for id, hr := range b.byID {
		out[id] = hr.name
	}
	return out
}

func (b *Backend) publishLocked() {
	m := make(map[frames.MAC]*hwRadio, len(b.byHw))
	for k, v := range b.byHw {
		m[k] = v
	}
	b.served.Store(&m)
}

// discoverer runs attach-mode discovery when asked (unknown transmitter,
// NEW_RADIO), at most every 500 ms.
func (b *Backend) discoverer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.discReq:
		}
		if n, err := b.Discover(); err != nil {
			b.log.Warn("hwsim: discover radios", "err", err)
		} else if n > 0 {
			b.log.Info("hwsim: attached new radios", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}
