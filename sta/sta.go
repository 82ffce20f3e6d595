// SPDX-License-Identifier: MIT

// Package sta is vmedium's userspace station MAC: it scans (passively from
// beacons and actively with probe requests), picks the strongest BSS of its
// SSID, authenticates (open system), associates, carries data To-DS to the
// BSSID and From-DS back, and reconnects by itself after deauthentication,
// disassociation or beacon loss. The same code serves TAP radios (uplink =
// TAP device) and, as FullMAC "firmware", the kmod radios (uplink = netlink;
// Scan, Connect, Disconnect, Link and the OnEvent callback map onto
// cfg80211's scan, connect and get_station operations). With a passphrase
// it joins WPA2-PSK networks: it is the supplicant of the 4-way and group
// key handshakes and protects data with CCMP (see rsn.go).
//
// The data path (SendEthernet, Deliver of data frames) is synchronous and
// allocation free: it reads the association from an atomic pointer, converts
// in pooled buffers and calls Radio.Transmit / Uplink.WriteEthernet with no
// lock held (delivery on the medium is re-entrant). Management frames are
// copied into a bounded queue read by the station's one MAC goroutine.
package sta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
)

// Uplink is the station's host side (medium.Uplink).
type Uplink = medium.Uplink

// UplinkFunc adapts a function to Uplink.
type UplinkFunc = medium.UplinkFunc

// Defaults for zero Config fields.
const (
	DefaultBeaconLossTimeout = time.Second
	DefaultScanDwell         = 50 * time.Millisecond
	DefaultMgmtTimeout       = 100 * time.Millisecond
	DefaultMgmtAttempts      = 3
	DefaultRetryDelay        = 250 * time.Millisecond
	DefaultKeepAlive         = 30 * time.Second
	DefaultHandshakeTimeout  = 5 * time.Second
)

// mgmtAttempts / dataAttempts: how many times the medium may send a unicast
// frame before reporting no ACK (1 + hardware retries).
const (
	mgmtAttempts = 4
	dataAttempts = 4
)

// Config describes a station. Addr is required.
type Config struct {
	// SSID to join at Start; "" stays idle until Connect.
	SSID string
	// Channel to use; 0 scans channels 1..13 and follows the chosen BSS.
	Channel uint8
	Addr    frames.MAC
	// BeaconLossTimeout: no beacon from the AP for this long = connection
	// lost (default 1 s).
	BeaconLossTimeout time.Duration
	// ScanDwell is the time spent on each channel after the probe
	// request (default 50 ms).
	ScanDwell time.Duration
	// MgmtTimeout is how long to wait for an authentication or
	// association response before sending the request again (default
	// 100 ms); MgmtAttempts how many requests to send (default 3).
	MgmtTimeout  time.Duration
	MgmtAttempts int
	// RetryDelay is the pause after a failed connection round (default
	// 250 ms).
	RetryDelay time.Duration
	// KeepAlive is the interval of null-data frames that keep the AP from
	// expiring an idle station (default 30 s; negative disables them).
	KeepAlive time.Duration
	// OnEvent, if set, is called from the MAC goroutine on connection
	// events (no lock held; it must not block for long). It may call
	// Connect and Disconnect, but not Close (Close waits for that
	// goroutine).
	OnEvent func(Event)
	// Passphrase makes the station join WPA2-PSK (CCMP-128) networks
	// with this passphrase; "" = open networks only.
	Passphrase string
	// HandshakeTimeout is how long the 4-way handshake may take after
	// association before the station gives up (default 5 s; a wrong
	// passphrase shows this way: the AP never sends message 3).
	HandshakeTimeout time.Duration
	// Log receives handshake events (authorized, failures, rekeys); nil
	// discards them.
	Log *slog.Logger
	// Keys hands WPA2 to a supplicant above the station (wpa_supplicant
	// through the kmod backend, see extrsn.go): the station joins what
	// it is told to, puts the IEs of SetAssocIEs in its association
	// requests, carries EAPOL frames in the clear (protected once a
	// pairwise key is installed) and protects data with the keys the
	// supplicant installs in Keys. Passphrase must be empty.
	Keys *rsn.KeyTable
	// WDS puts the station in four-address mode (Linux: `iw dev X set
	// 4addr on`), so hosts bridged behind it share the AP's broadcast
	// domain: see wds.go. The AP must run with ap.Config.WDSSta.
	WDS bool
}

func (c *Config) check() error {
	if len(c.SSID) > frames.MaxSSIDLen {
		return &medium.InvalidValueError{What: "SSID", Value: strconv.Quote(c.SSID), Accepted: "at most 32 bytes"}
	}
	if c.Channel != 0 && frames.ChannelToFreq(c.Channel) == 0 {
		return &medium.InvalidValueError{What: "channel", Value: strconv.Itoa(int(c.Channel)), Accepted: "0 (scan 1..13) or a channel number 1..14 / 36..177"}
	}
	if c.Addr.IsZero() || c.Addr.IsGroup() {
		return &medium.InvalidValueError{What: "station address", Value: c.Addr.String(), Accepted: "a non-zero unicast MAC address"}
	}
	def := func(d *time.Duration, v time.Duration, what string) error {
		if *d == 0 {
			*d = v
		}
		if *d < 0 {
			return &medium.InvalidValueError{What: what, Value: d.String(), Accepted: "a positive duration (0 = default " + v.String() + ")"}
		}
		return nil
	}
	for _, e := range []error{
		def(&c.BeaconLossTimeout, DefaultBeaconLossTimeout, "beacon loss timeout"),
		def(&c.ScanDwell, DefaultScanDwell, "scan dwell"),
		def(&c.MgmtTimeout, DefaultMgmtTimeout, "management timeout"),
		def(&c.RetryDelay, DefaultRetryDelay, "retry delay"),
		def(&c.HandshakeTimeout, DefaultHandshakeTimeout, "handshake timeout"),
	} {
		if e != nil {
			return e
		}
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.MgmtAttempts == 0 {
		c.MgmtAttempts = DefaultMgmtAttempts
	}
	if c.MgmtAttempts < 0 {
		return &medium.InvalidValueError{What: "management attempts", Value: strconv.Itoa(c.MgmtAttempts), Accepted: "a positive count (0 = 3)"}
	}
	if c.Passphrase != "" {
		if err := rsn.CheckPassphrase(c.Passphrase); err != nil {
			return &medium.InvalidValueError{What: "passphrase", Value: fmt.Sprintf("of %d characters", len(c.Passphrase)), Accepted: "8 to 63 printable ASCII characters (WPA2-PSK), or none for open networks"}
		}
	}
	return nil
}

// State is the station's connection state.
type State int32

const (
	Idle State = iota
	Scanning
	Authenticating
	Associating
	Associated
	// Handshaking: associated with a WPA2 network, 4-way handshake in
	// progress (data does not pass yet).
	Handshaking
)

var stateNames = [...]string{"idle", "scanning", "authenticating", "associating", "associated", "4-way-handshake"}

// String returns the state's name as shown by `vmctl radios`.
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return "unknown"
	}
	return stateNames[s]
}

// EventType says what happened to the connection.
type EventType int

const (
	// EventConnected: association succeeded (and, on a WPA2 network,
	// the 4-way handshake completed).
	EventConnected EventType = iota
	// EventConnectFailed: a connection round failed (no BSS, timeout,
	// refusal or a failed 4-way handshake: Reason is then
	// rsn.Reason4WayTimeout); the station keeps trying until Disconnect.
	EventConnectFailed
	// EventDisconnected: an association ended.
	EventDisconnected
)

// Event is a connection event, e.g. for kmod's connect result and
// disconnect notifications.
type Event struct {
	Type      EventType
	SSID      string
	BSSID     frames.MAC
	AID       uint16
	SignalDBm int32
	// Status is the 802.11 status code of a failed connection
	// (frames.StatusAuthTimeout when nothing answered or no BSS was found).
	Status uint16
	// Reason is the 802.11 reason code of a disconnection.
	Reason uint16
	// Locally: we ended the association (Disconnect, Close, beacon loss),
	// not the AP.
	Locally bool
}

// BSS is one scan result.
type BSS struct {
	BSSID            frames.MAC `json:"bssid"`
	SSID             string     `json:"ssid"`
	Channel          uint8      `json:"channel"`
	FreqMHz          uint32     `json:"freq_mhz"`
	SignalDBm        int32      `json:"signal_dbm"`
	BeaconIntervalTU uint16     `json:"beacon_interval_tu"`
	Capability       uint16     `json:"capability"`
	LastSeen         time.Time  `json:"last_seen"`
	// RSN is the BSS's RSN element (ID and length included), nil for an
	// open network.
	RSN []byte `json:"-"`
}

// LinkInfo describes the current association (kmod's get_station, `iw
// link`).
type LinkInfo struct {
	BSSID     frames.MAC    `json:"bssid"`
	SSID      string        `json:"ssid"`
	AID       uint16        `json:"aid"`
	Channel   uint8         `json:"channel"`
	FreqMHz   uint32        `json:"freq_mhz"`
	SignalDBm int32         `json:"signal_dbm"`
	Connected time.Duration `json:"connected"`
	RxPackets uint64        `json:"rx_packets"`
	RxBytes   uint64        `json:"rx_bytes"`
	TxPackets uint64        `json:"tx_packets"`
	TxBytes   uint64        `json:"tx_bytes"`
	TxFailed  uint64        `json:"tx_failed"`
	TxRetries uint64        `json:"tx_retries"`
}

// Errors of the data path and lifecycle. Preallocated: returning them does
// not allocate.
var (
	ErrNotAttached    = errors.New("sta: no radio attached")
	ErrNotAssociated  = errors.New("sta: not associated")
	ErrForeignSource  = errors.New("sta: Ethernet source is not the station's address (3-address mode carries only its own; four-address mode, Config.WDS, carries others)")
	ErrAlreadyStarted = errors.New("sta: already started")
	ErrClosed         = errors.New("sta: closed")
)

// association is the published state the data path reads.
type association struct {
	bssid   frames.MAC
	ssid    string
	aid     uint16
	channel uint8
	since   time.Time
	rsn     *assocRSN // nil: open network
}

type counters struct {
	txPackets, txBytes, txFailed, txRetries, txNotAssoc, txForeign         atomic.Uint64
	rxPackets, rxBytes, rxOwnEcho, rxNotAssoc, rxOtherBSS, upErrors        atomic.Uint64
	beaconLoss, deauthRecv, disassocRecv, connects, connectFail, scans     atomic.Uint64
	malformed, mgmtQueueFull, authTimeouts, assocTimeouts, keepaliveFrames atomic.Uint64
	eapolRx, eapolTx, eapolUnexpected, micFailures, handshakeFailures      atomic.Uint64
	unauthorized, ccmpNoKey, ccmpReplays, ccmpMICErrors, groupRekeys       atomic.Uint64
	tx4Addr, rx4Addr, rx4AddrDropped, rxGroup3AddrDropped                  atomic.Uint64
}

// STA is one station. Create with New, Attach a radio, then Start.
type STA struct {
	cfg   Config
	up    Uplink
	radio atomic.Pointer[medium.Radio]
	seq   atomic.Uint32
	assoc atomic.Pointer[association]
	// joining is the BSSID being associated with: its EAPOL message 1
	// may arrive before the association response is processed.
	joining atomic.Pointer[frames.MAC]
	extIEs  atomic.Pointer[[]byte] // Config.Keys: IEs for association requests
	state   atomic.Int32

	lastBeacon atomic.Int64 // unix ns of the last beacon from our BSS
	signal     atomic.Int32 // of the last beacon from our BSS

	mgmt    chan []byte // copied management frames for the MAC goroutine
	eapol   chan []byte // copied EAPOL frames from the AP for the MAC goroutine
	log     *slog.Logger
	pmks    map[string][]byte // PSK per SSID (MAC goroutine)
	wake    chan struct{}     // Connect/Disconnect happened (cap 1)
	scanSem chan struct{}     // one scan at a time (cap 1)

	mu      sync.Mutex // guards the fields below
	target  string
	gen     uint64 // bumped by Connect/Disconnect
	started bool
	closed  bool
	cancel  context.CancelFunc
	done    chan struct{}

	bssMu sync.Mutex
	bss   map[frames.MAC]*BSS

	c counters
}

// New checks cfg and returns a station that is not yet on the air.
func New(cfg Config, up Uplink) (*STA, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("new station: %w", err)
	}
	if up == nil {
		return nil, fmt.Errorf("new station %s: nil uplink", cfg.Addr)
	}
	lg := cfg.Log
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &STA{
		cfg:     cfg,
		up:      up,
		target:  cfg.SSID,
		log:     lg,
		pmks:    map[string][]byte{},
		eapol:   make(chan []byte, 16),
		mgmt:    make(chan []byte, 64),
		wake:    make(chan struct{}, 1),
		scanSem: make(chan struct{}, 1),
		bss:     map[frames.MAC]*BSS{},
	}, nil
}

// Addr returns the station's address.
func (s *STA) Addr() frames.MAC { return s.cfg.Addr }

// Attach sets the radio the station transmits on. Call it once, before
// Start.
func (s *STA) Attach(r *medium.Radio) { s.radio.Store(r) }

// Start tunes the radio (if the channel is fixed) and starts the MAC
// goroutine, which connects to the configured SSID, if any. It returns
// immediately; Close (or ctx) stops.
func (s *STA) Start(ctx context.Context) error {
	r := s.radio.Load()
	if r == nil {
		return fmt.Errorf("start station %s: %w", s.cfg.Addr, ErrNotAttached)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("start station %s: %w", s.cfg.Addr, ErrClosed)
	}
	if s.started {
		return fmt.Errorf("start station %s: %w", s.cfg.Addr, ErrAlreadyStarted)
	}
	s.started = true
	if s.cfg.Channel != 0 {
		r.SetFreq(frames.ChannelToFreq(s.cfg.Channel))
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.run(ctx)
	return nil
}

// Close leaves the BSS (deauthentication) and stops the MAC goroutine. It
// is idempotent.
func (s *STA) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// Connect makes the station join ssid (leaving its current BSS if it is on
// another network), and keep reconnecting to it until Disconnect. It
// returns at once; OnEvent and WaitAssociated report the outcome.
func (s *STA) Connect(ssid string) error {
	if len(ssid) == 0 || len(ssid) > frames.MaxSSIDLen {
		return &medium.InvalidValueError{What: "SSID", Value: strconv.Quote(ssid), Accepted: "1 to 32 bytes"}
	}
	s.setTarget(ssid)
	return nil
}

// Disconnect leaves the current BSS (deauthentication) and stays idle.
func (s *STA) Disconnect() error {
	s.setTarget("")
	return nil
}

func (s *STA) setTarget(ssid string) {
	s.mu.Lock()
	s.target = ssid
	s.gen++
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *STA) targetGen() (string, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.target, s.gen
}

func (s *STA) changed(gen uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen != gen
}

// State returns the connection state.
func (s *STA) State() State { return State(s.state.Load()) }

func (s *STA) setState(st State) { s.state.Store(int32(st)) }

// BSSID returns the BSSID of the current association.
func (s *STA) BSSID() (frames.MAC, bool) {
	if a := s.assoc.Load(); a != nil {
		return a.bssid, true
	}
	return frames.MAC{}, false
}

// connectedNow reports an association whose data path is open: associated
// and, on a WPA2 network, authorized by the 4-way handshake.
func (s *STA) connectedNow() bool {
	a := s.assoc.Load()
	return a != nil && (a.rsn == nil || a.rsn.ext != nil || a.rsn.authorized.Load())
}

// WaitAssociated blocks until the station is associated (and, on a WPA2
// network, authorized) or ctx ends.
func (s *STA) WaitAssociated(ctx context.Context) error {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !s.connectedNow() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("station %s: wait for association (state %s): %w", s.cfg.Addr, s.State(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

func (s *STA) emit(e Event) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(e)
	}
}

func (s *STA) nextSeq() uint16 { return uint16(s.seq.Add(1)) & 0xfff }

// run is the MAC goroutine: the connection state machine.
func (s *STA) run(ctx context.Context) {
	defer close(s.done)
	for ctx.Err() == nil {
		ssid, gen := s.targetGen()
		if ssid == "" {
			s.setState(Idle)
			select {
			case <-ctx.Done():
			case <-s.wake:
			}
			continue
		}
		s.setState(Scanning)
		list, err := s.scan(ctx, ssid)
		if err != nil || s.changed(gen) {
			continue
		}
		list = s.joinable(list)
		if len(list) == 0 {
			s.c.connectFail.Add(1)
			s.emit(Event{Type: EventConnectFailed, SSID: ssid, Status: frames.StatusAuthTimeout})
			s.pause(ctx, gen)
			continue
		}
		bss := list[0]
		aid, status, ok := s.join(ctx, gen, bss)
		if !ok {
			if ctx.Err() == nil && !s.changed(gen) {
				s.c.connectFail.Add(1)
				s.emit(Event{Type: EventConnectFailed, SSID: ssid, BSSID: bss.BSSID, Status: status})
				s.pause(ctx, gen)
			}
			continue
		}
		if !s.connected(ctx, gen, bss, aid) {
			s.pause(ctx, gen) // failed 4-way handshake: do not hammer the AP
		}
	}
	s.setState(Idle)
}

// joinable keeps the BSSs whose security the station speaks.
func (s *STA) joinable(list []BSS) []BSS {
	out := list[:0]
	for _, b := range list {
		if s.securityMatches(b) {
			out = append(out, b)
		}
	}
	return out
}

// pause waits RetryDelay, or less if the target changes.
func (s *STA) pause(ctx context.Context, gen uint64) {
	t := time.NewTimer(s.cfg.RetryDelay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-s.wake:
			if s.changed(gen) {
				return
			}
		}
	}
}

type waitResult int

const (
	matched waitResult = iota
	timedOut
	aborted
)

// waitMgmt waits for a queued management frame that match accepts.
func (s *STA) waitMgmt(ctx context.Context, gen uint64, match func(f frames.Frame) bool) (frames.Frame, waitResult) {
	t := time.NewTimer(s.cfg.MgmtTimeout)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return frames.Frame{}, aborted
		case <-s.wake:
			if s.changed(gen) {
				return frames.Frame{}, aborted
			}
		case <-t.C:
			return frames.Frame{}, timedOut
		case b := <-s.mgmt:
			if f, err := frames.Parse(b); err == nil && match(f) {
				return f, matched
			}
		}
	}
}

func (s *STA) drainMgmt() {
	for {
		select {
		case <-s.mgmt:
		case <-s.eapol:
		default:
			return
		}
	}
}

func (s *STA) hdr(bssid frames.MAC) frames.MgmtHeader {
	return frames.MgmtHeader{DA: bssid, SA: s.cfg.Addr, BSSID: bssid, Seq: s.nextSeq()}
}

func (s *STA) sendMgmt(frame []byte) medium.TxResult {
	r := s.radio.Load()
	return r.Transmit(frame, medium.TxOptions{NoAck: frame[4]&1 == 1, MaxAttempts: mgmtAttempts})
}

// staCapability is what the station asks for: short preamble and slot.
const staCapability = frames.CapShortPreamble | frames.CapShortSlot

// join authenticates (open system) and associates with bss. ok=false with
// the 802.11 status on failure.
func (s *STA) join(ctx context.Context, gen uint64, bss BSS) (aid, status uint16, ok bool) {
	if ch := frames.ChannelToFreq(bss.Channel); ch != 0 {
		s.radio.Load().SetFreq(ch)
	}
	s.drainMgmt()
	from := func(sub ...uint8) func(frames.Frame) bool {
		return func(f frames.Frame) bool {
			if f.Addr2() != bss.BSSID || f.Addr1() != s.cfg.Addr {
				return false
			}
			for _, x := range sub {
				if f.Subtype() == x {
					return true
				}
			}
			return false
		}
	}

	s.setState(Authenticating)
	authed := false
	for i := 0; i < s.cfg.MgmtAttempts && !authed; i++ {
		var b [32]byte
		if !s.sendMgmt(frames.AppendAuth(b[:0], s.hdr(bss.BSSID), frames.AuthOpenSystem, 1, 0)).Acked {
			s.c.authTimeouts.Add(1) // not heard: no response will come
			continue
		}
		f, res := s.waitMgmt(ctx, gen, from(frames.SubtypeAuth, frames.SubtypeDeauth))
		switch res {
		case aborted:
			return 0, frames.StatusUnspecified, false
		case timedOut:
			s.c.authTimeouts.Add(1)
			continue
		}
		if f.Subtype() == frames.SubtypeDeauth {
			return 0, frames.StatusUnspecified, false
		}
		_, trans, st, err := f.AuthFields()
		if err != nil || trans != 2 {
			s.c.malformed.Add(1)
			continue
		}
		if st != frames.StatusSuccess {
			return 0, st, false
		}
		authed = true
	}
	if !authed {
		return 0, frames.StatusAuthTimeout, false
	}

	s.setState(Associating)
	if s.cfg.Passphrase != "" {
		s.joining.Store(&bss.BSSID)
		defer s.joining.Store(nil)
	}
	var ies [96]byte
	e := frames.AppendSSID(ies[:0], bss.SSID)
	e = frames.AppendRates(e, frames.Rates24)
	if s.cfg.Passphrase != "" {
		e = rsn.WPA2PSK().AppendIE(e)
	}
	if p := s.extIEs.Load(); s.cfg.Keys != nil && p != nil {
		e = append(e, *p...)
	}
	for i := 0; i < s.cfg.MgmtAttempts; i++ {
		var b [160]byte
		if !s.sendMgmt(frames.AppendAssocRequest(b[:0], s.hdr(bss.BSSID), staCapability, 10, e)).Acked {
			s.c.assocTimeouts.Add(1)
			continue
		}
		f, res := s.waitMgmt(ctx, gen, from(frames.SubtypeAssocResp, frames.SubtypeReassocResp, frames.SubtypeDeauth, frames.SubtypeDisassoc))
		switch res {
		case aborted:
			s.sendDeauth(bss.BSSID, frames.ReasonDeauthLeaving)
			return 0, frames.StatusUnspecified, false
		case timedOut:
			s.c.assocTimeouts.Add(1)
			continue
		}
		if f.Subtype() == frames.SubtypeDeauth || f.Subtype() == frames.SubtypeDisassoc {
			return 0, frames.StatusUnspecified, false
		}
		_, st, aid, _, err := f.AssocRespFields()
		if err != nil {
			s.c.malformed.Add(1)
			continue
		}
		if st != frames.StatusSuccess {
			return 0, st, false
		}
		return aid, st, true
	}
	s.sendDeauth(bss.BSSID, frames.ReasonDeauthLeaving)
	return 0, frames.StatusAuthTimeout, false
}

func (s *STA) sendDeauth(bssid frames.MAC, reason uint16) {
	var b [32]byte
	s.sendMgmt(frames.AppendDeauth(b[:0], s.hdr(bssid), reason))
}

// connected runs while associated; it returns when the association ends,
// false when it ended with a failed 4-way handshake.
func (s *STA) connected(ctx context.Context, gen uint64, bss BSS, aid uint16) bool {
	a := &association{bssid: bss.BSSID, ssid: bss.SSID, aid: aid, channel: bss.Channel, since: time.Now()}
	var hsTimeout <-chan time.Time
	if s.cfg.Passphrase != "" {
		pmk, err := s.pmk(bss.SSID)
		if err != nil {
			s.log.Error("cannot derive the PSK", "ssid", bss.SSID, "err", err)
			s.sendDeauth(a.bssid, frames.ReasonDeauthLeaving)
			return false
		}
		a.rsn = &assocRSN{sup: rsn.Supplicant{PMK: pmk, AA: bss.BSSID, SPA: s.cfg.Addr,
			STAIE: rsn.WPA2PSK().AppendIE(nil), APIE: bss.RSN}}
		ht := time.NewTimer(s.cfg.HandshakeTimeout)
		defer ht.Stop()
		hsTimeout = ht.C
	} else if s.cfg.Keys != nil && s.extWantsRSN() {
		a.rsn = &assocRSN{ext: s.cfg.Keys}
		// A new association starts unkeyed, whatever a previous one
		// left: message 2 must go in the clear.
		s.cfg.Keys.DeletePairwise(bss.BSSID)
	}
	s.lastBeacon.Store(time.Now().UnixNano())
	s.signal.Store(bss.SignalDBm)
	s.assoc.Store(a)
	if s.cfg.WDS {
		s.sendNull4(a.bssid) // tells the AP at once that this station talks four-address
	}
	authorized := func() {
		s.setState(Associated)
		s.c.connects.Add(1)
		s.emit(Event{Type: EventConnected, SSID: a.ssid, BSSID: a.bssid, AID: aid, SignalDBm: bss.SignalDBm})
	}
	if a.rsn == nil || a.rsn.ext != nil {
		authorized() // with an external supplicant: the link is up, its handshake follows
	} else {
		s.setState(Handshaking)
	}

	leave := func(reason uint16, locally bool, send bool) {
		s.assoc.Store(nil)
		s.setState(Idle)
		if send {
			s.sendDeauth(a.bssid, reason)
		}
		if a.rsn != nil && a.rsn.ext == nil && !a.rsn.authorized.Load() {
			s.c.connectFail.Add(1)
			s.emit(Event{Type: EventConnectFailed, SSID: a.ssid, BSSID: a.bssid, Status: frames.StatusUnspecified, Reason: reason})
			return
		}
		s.emit(Event{Type: EventDisconnected, SSID: a.ssid, BSSID: a.bssid, Reason: reason, Locally: locally})
	}
	handshakeFailed := func(why string) {
		s.c.handshakeFailures.Add(1)
		s.log.Warn("4-way handshake failed: wrong passphrase?", "ssid", a.ssid, "bssid", a.bssid.String(), "why", why)
	}

	// Like mac80211 (IEEE80211_BEACON_LOSS_COUNT), never declare loss
	// before several beacon intervals of the BSS have passed in silence.
	lossTimeout := max(s.cfg.BeaconLossTimeout, 4*time.Duration(bss.BeaconIntervalTU)*1024*time.Microsecond)
	check := time.NewTicker(max(lossTimeout/4, time.Millisecond))
	defer check.Stop()
	var probed time.Time // when the AP was probed after a beacon gap
	var keep <-chan time.Time
	if s.cfg.KeepAlive > 0 {
		kt := time.NewTicker(s.cfg.KeepAlive)
		defer kt.Stop()
		keep = kt.C
	}
	for {
		select {
		case <-ctx.Done():
			leave(frames.ReasonDeauthLeaving, true, true)
			return true
		case <-s.wake:
			if s.changed(gen) {
				leave(frames.ReasonDeauthLeaving, true, true)
				return true
			}
		case <-hsTimeout:
			if !a.rsn.authorized.Load() {
				handshakeFailed("no message 3 from the AP within " + s.cfg.HandshakeTimeout.String())
				leave(rsn.Reason4WayTimeout, true, true)
				return false
			}
		case p := <-s.eapol:
			if s.handleEAPOL(a, p) {
				s.log.Info("4-way handshake complete: authorized", "ssid", a.ssid, "bssid", a.bssid.String(), "cipher", "CCMP")
				authorized()
			}
		case b := <-s.mgmt:
			f, err := frames.Parse(b)
			if err != nil || f.Addr2() != a.bssid {
				continue
			}
			sub := f.Subtype()
			if sub != frames.SubtypeDeauth && sub != frames.SubtypeDisassoc {
				continue
			}
			reason, err := f.ReasonCode()
			if err != nil {
				s.c.malformed.Add(1)
				reason = frames.ReasonUnspecified
			}
			if sub == frames.SubtypeDeauth {
				s.c.deauthRecv.Add(1)
			} else {
				s.c.disassocRecv.Add(1)
			}
			if a.rsn != nil && a.rsn.ext == nil && !a.rsn.authorized.Load() {
				handshakeFailed(fmt.Sprintf("the AP ended the association (reason %d) before the handshake completed", reason))
				leave(reason, false, false)
				return false
			}
			leave(reason, false, false)
			return true
		case now := <-check.C:
			if now.Sub(time.Unix(0, s.lastBeacon.Load())) <= lossTimeout {
				probed = time.Time{}
				continue
			}
			// Silent too long. Like mac80211, probe the AP before giving
			// up: its probe response counts as a beacon. This keeps a
			// scheduling stall from passing for a lost AP.
			if probed.IsZero() {
				probed = now
				s.sendProbe(a.bssid, a.ssid)
				continue
			}
			if now.Sub(probed) >= lossTimeout/4 {
				s.c.beaconLoss.Add(1)
				leave(frames.ReasonInactivity, true, true)
				return true
			}
		case <-keep:
			s.sendNull(a.bssid)
		}
	}
}

// sendProbe sends a probe request for ssid to one BSSID (directed probe).
func (s *STA) sendProbe(bssid frames.MAC, ssid string) {
	var ies [64]byte
	e := frames.AppendSSID(ies[:0], ssid)
	e = frames.AppendRates(e, frames.Rates24)
	var b [96]byte
	h := frames.MgmtHeader{DA: bssid, SA: s.cfg.Addr, BSSID: bssid, Seq: s.nextSeq()}
	s.sendMgmt(frames.AppendProbeRequest(b[:0], h, e))
}

// sendNull sends a null-data frame (no body) to keep the AP's inactivity
// timer from expiring us.
func (s *STA) sendNull(bssid frames.MAC) {
	var b [32]byte
	frm := frames.AppendDataHeader(b[:0], frames.DataHeader{ToDS: true, Addr1: bssid, Addr2: s.cfg.Addr, Addr3: bssid, Seq: s.nextSeq()})
	frm[0] = frames.SubtypeNull<<4 | frames.TypeData<<2 // the codec builds subtype Data only
	s.radio.Load().Transmit(frm, medium.TxOptions{MaxAttempts: dataAttempts})
	s.c.keepaliveFrames.Add(1)
}

// Scan probes the configured channel (or channels 1..13) and returns every
// BSS heard during the scan, strongest first. It may run while associated
// (the radio leaves the channel for the scan, like real hardware).
func (s *STA) Scan(ctx context.Context) ([]BSS, error) {
	if s.radio.Load() == nil {
		return nil, fmt.Errorf("scan: %w", ErrNotAttached)
	}
	return s.scan(ctx, "")
}

func (s *STA) scan(ctx context.Context, ssid string) ([]BSS, error) {
	select {
	case s.scanSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("scan: %w", ctx.Err())
	}
	defer func() { <-s.scanSem }()
	s.c.scans.Add(1)
	r := s.radio.Load()
	orig := r.Freq()
	start := time.Now()
	chans := []uint8{s.cfg.Channel}
	if s.cfg.Channel == 0 {
		chans = []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
	}
	var ies [64]byte
	e := frames.AppendSSID(ies[:0], ssid)
	e = frames.AppendRates(e, frames.Rates24)
	t := time.NewTimer(s.cfg.ScanDwell)
	defer t.Stop()
	for i, ch := range chans {
		r.SetFreq(frames.ChannelToFreq(ch))
		var b [96]byte
		h := frames.MgmtHeader{DA: frames.Broadcast, SA: s.cfg.Addr, BSSID: frames.Broadcast, Seq: s.nextSeq()}
		r.Transmit(frames.AppendProbeRequest(b[:0], h, e), medium.TxOptions{NoAck: true})
		if i > 0 {
			t.Reset(s.cfg.ScanDwell)
		}
		select {
		case <-ctx.Done():
			r.SetFreq(orig)
			return nil, fmt.Errorf("scan: %w", ctx.Err())
		case <-t.C:
		}
	}
	if a := s.assoc.Load(); a != nil && s.cfg.Channel == 0 {
		r.SetFreq(frames.ChannelToFreq(a.channel))
	} else if s.cfg.Channel == 0 {
		r.SetFreq(orig)
	}
	var out []BSS
	s.bssMu.Lock()
	for k, b := range s.bss {
		if b.LastSeen.Before(start) {
			if time.Since(b.LastSeen) > time.Minute {
				delete(s.bss, k)
			}
			continue
		}
		if ssid == "" || b.SSID == ssid {
			out = append(out, *b)
		}
	}
	s.bssMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].SignalDBm != out[j].SignalDBm {
			return out[i].SignalDBm > out[j].SignalDBm
		}
		return string(out[i].BSSID[:]) < string(out[j].BSSID[:])
	})
	return out, nil
}

// recordBSS notes a beacon or probe response in the scan cache.
func (s *STA) recordBSS(f frames.Frame, rx medium.RxInfo) {
	_, interval, capab, ies, err := f.BeaconFields()
	if err != nil {
		s.c.malformed.Add(1)
		return
	}
	if capab&frames.CapESS == 0 {
		return // not an infrastructure BSS
	}
	ssid, _ := frames.FindIE(ies, frames.IESSID)
	ch := frames.FreqToChannel(rx.FreqMHz)
	if ds, ok := frames.FindIE(ies, frames.IEDSParams); ok && len(ds) == 1 {
		ch = ds[0]
	}
	bssid := f.Addr3()
	now := time.Now()
	s.bssMu.Lock()
	e := s.bss[bssid]
	if e == nil {
		e = &BSS{BSSID: bssid}
		s.bss[bssid] = e
	}
	if e.SSID != string(ssid) {
		e.SSID = string(ssid)
	}
	e.Channel, e.FreqMHz, e.SignalDBm = ch, frames.ChannelToFreq(ch), rx.SignalDBm
	e.BeaconIntervalTU, e.Capability, e.LastSeen = interval, capab, now
	if ie, ok := frames.FindIE(ies, rsn.IERSN); ok {
		if len(e.RSN) != len(ie)+2 || string(e.RSN[2:]) != string(ie) {
			e.RSN = append([]byte{rsn.IERSN, byte(len(ie))}, ie...)
		}
	} else {
		e.RSN = nil
	}
	s.bssMu.Unlock()
}

// Deliver is the station's medium.Port: frames its radio hears.
func (s *STA) Deliver(b []byte, rx medium.RxInfo) error {
	f, err := frames.Parse(b)
	if err != nil {
		s.c.malformed.Add(1)
		return nil
	}
	switch f.Type() {
	case frames.TypeData:
		s.deliverData(f)
	case frames.TypeMgmt:
		switch f.Subtype() {
		case frames.SubtypeBeacon, frames.SubtypeProbeResp:
			if a := s.assoc.Load(); a != nil && f.Addr3() == a.bssid {
				s.lastBeacon.Store(time.Now().UnixNano())
				s.signal.Store(rx.SignalDBm)
			}
			s.recordBSS(f, rx)
			return nil
		case frames.SubtypeAuth, frames.SubtypeAssocResp, frames.SubtypeReassocResp:
			if f.Addr1() != s.cfg.Addr {
				return nil
			}
		case frames.SubtypeDeauth, frames.SubtypeDisassoc:
			if a1 := f.Addr1(); a1 != s.cfg.Addr && !a1.IsBroadcast() {
				return nil
			}
		default:
			return nil
		}
		cp := make([]byte, len(b))
		copy(cp, b)
		select {
		case s.mgmt <- cp:
		default:
			s.c.mgmtQueueFull.Add(1)
		}
	}
	return nil
}

const bufSize = 2400

var bufPool = sync.Pool{New: func() any { return new([bufSize]byte) }}

func (s *STA) deliverData(f frames.Frame) {
	a := s.assoc.Load()
	if a == nil {
		if j := s.joining.Load(); j != nil && f.Addr2() == *j && f.Addr1() == s.cfg.Addr {
			if payload, ok := rsn.EAPOLPayload(f); ok {
				s.queueEAPOL(payload)
				return
			}
		}
		s.c.rxNotAssoc.Add(1)
		return
	}
	if f.ToDS() && f.FromDS() {
		if !s.acceptFourAddr(f, a) {
			return
		}
	} else {
		if !f.FromDS() || f.ToDS() || f.Addr2() != a.bssid {
			s.c.rxOtherBSS.Add(1)
			return
		}
		da := f.Addr1()
		if da != s.cfg.Addr && !da.IsGroup() {
			s.c.rxOtherBSS.Add(1)
			return
		}
		if da.IsGroup() && f.Addr3() == s.cfg.Addr {
			s.c.rxOwnEcho.Add(1) // our own group frame relayed by the AP
			return
		}
		if da.IsGroup() && s.cfg.WDS {
			// A four-address station takes group frames only as the AP's
			// four-address copies (as mac80211 does with 4addr on).
			s.c.rxGroup3AddrDropped.Add(1)
			return
		}
	}
	if f.Subtype()&0x4 != 0 {
		return // null function
	}
	if a.rsn != nil {
		var pbp *[bufSize]byte
		var ok bool
		if a.rsn.ext != nil {
			f, pbp, ok = s.extReceive(f, a)
		} else {
			f, pbp, ok = s.rsnReceive(f, a.rsn)
		}
		if !ok {
			return
		}
		if pbp != nil {
			defer bufPool.Put(pbp)
		}
	}
	bp := bufPool.Get().(*[bufSize]byte)
	eth, err := frames.DataToEthernet(bp[:0], f)
	if err != nil {
		bufPool.Put(bp)
		s.c.malformed.Add(1)
		return
	}
	s.c.rxPackets.Add(1)
	s.c.rxBytes.Add(uint64(f.Len()))
	if err := s.up.WriteEthernet(eth); err != nil {
		s.c.upErrors.Add(1)
	}
	bufPool.Put(bp)
}

// SendEthernet sends an Ethernet frame from the station's stack to its BSS
// (To-DS). It returns ErrNotAssociated when there is no association and
// ErrForeignSource when the source is not the station's address. It does
// not allocate.
func (s *STA) SendEthernet(eth []byte) error {
	a := s.assoc.Load()
	if a == nil {
		s.c.txNotAssoc.Add(1)
		return ErrNotAssociated
	}
	if len(eth) < frames.EthHeaderLen {
		s.c.malformed.Add(1)
		return fmt.Errorf("station %s: send %d-byte Ethernet frame: shorter than the 14-byte header", s.cfg.Addr, len(eth))
	}
	if !s.cfg.WDS && frames.MAC(eth[6:12]) != s.cfg.Addr {
		// A three-address To-DS frame has no field for another source:
		// sending it with our address would lie, with its address as the
		// transmitter would be a frame from an unassociated station.
		s.c.txForeign.Add(1)
		return ErrForeignSource
	}
	if a.rsn != nil && a.rsn.ext == nil && !a.rsn.authorized.Load() {
		s.c.unauthorized.Add(1)
		return ErrNotAuthorized
	}
	eapol := isEAPOLEthernet(eth)
	if a.rsn != nil && a.rsn.ext != nil && !eapol && !a.extPortOpen() {
		s.c.unauthorized.Add(1)
		return ErrNotAuthorized
	}
	bp := bufPool.Get().(*[bufSize]byte)
	defer bufPool.Put(bp)
	h := frames.DataHeader{ToDS: true, Addr1: a.bssid, Addr2: s.cfg.Addr, Addr3: frames.MAC(eth[0:6]), Seq: s.nextSeq()}
	if s.cfg.WDS {
		// Four-address mode: every data frame is RA=BSSID TA=us DA SA.
		h.FromDS, h.Addr4 = true, frames.MAC(eth[6:12])
		s.c.tx4Addr.Add(1)
	}
	frm, err := frames.EthernetToData(bp[:0], h, eth)
	if err != nil {
		s.c.malformed.Add(1)
		return fmt.Errorf("station %s: %w", s.cfg.Addr, err)
	}
	if a.rsn != nil && a.rsn.ext != nil {
		if k, ok := a.rsn.ext.Pairwise(a.bssid); ok {
			if frm, err = k.Encrypt(frm); err != nil {
				return fmt.Errorf("station %s: %w", s.cfg.Addr, err)
			}
		} else if !eapol {
			s.c.unauthorized.Add(1)
			return ErrNotAuthorized
		}
	} else if a.rsn != nil {
		if frm, err = a.rsn.ptk.Load().Encrypt(frm); err != nil {
			return fmt.Errorf("station %s: %w", s.cfg.Addr, err)
		}
	}
	res := s.radio.Load().Transmit(frm, medium.TxOptions{MaxAttempts: dataAttempts})
	if res.Attempts > 1 {
		s.c.txRetries.Add(uint64(res.Attempts - 1))
	}
	if res.Acked {
		s.c.txPackets.Add(1)
		s.c.txBytes.Add(uint64(len(frm)))
	} else {
		s.c.txFailed.Add(1)
	}
	return nil
}

// Link describes the current association; ok is false when not associated.
func (s *STA) Link() (LinkInfo, bool) {
	a := s.assoc.Load()
	if a == nil {
		return LinkInfo{}, false
	}
	return LinkInfo{
		BSSID: a.bssid, SSID: a.ssid, AID: a.aid, Channel: a.channel, FreqMHz: frames.ChannelToFreq(a.channel),
		SignalDBm: s.signal.Load(), Connected: time.Since(a.since),
		RxPackets: s.c.rxPackets.Load(), RxBytes: s.c.rxBytes.Load(),
		TxPackets: s.c.txPackets.Load(), TxBytes: s.c.txBytes.Load(),
		TxFailed: s.c.txFailed.Load(), TxRetries: s.c.txRetries.Load(),
	}, true
}

// Counters returns the station's counters by name.
func (s *STA) Counters() map[string]uint64 {
	c := &s.c
	return map[string]uint64{
		"tx_packets": c.txPackets.Load(), "tx_bytes": c.txBytes.Load(), "tx_failed": c.txFailed.Load(),
		"tx_retries": c.txRetries.Load(), "tx_not_associated": c.txNotAssoc.Load(), "tx_foreign_source": c.txForeign.Load(),
		"rx_packets": c.rxPackets.Load(), "rx_bytes": c.rxBytes.Load(), "rx_own_echo": c.rxOwnEcho.Load(),
		"rx_not_associated": c.rxNotAssoc.Load(), "rx_other_bss": c.rxOtherBSS.Load(), "uplink_errors": c.upErrors.Load(),
		"beacon_loss": c.beaconLoss.Load(), "deauth_received": c.deauthRecv.Load(), "disassoc_received": c.disassocRecv.Load(),
		"connects": c.connects.Load(), "connect_failures": c.connectFail.Load(), "scans": c.scans.Load(),
		"malformed": c.malformed.Load(), "mgmt_queue_full": c.mgmtQueueFull.Load(),
		"auth_timeouts": c.authTimeouts.Load(), "assoc_timeouts": c.assocTimeouts.Load(), "keepalives": c.keepaliveFrames.Load(),
		"eapol_rx": c.eapolRx.Load(), "eapol_tx": c.eapolTx.Load(), "eapol_unexpected": c.eapolUnexpected.Load(),
		"mic_failures": c.micFailures.Load(), "handshake_failures": c.handshakeFailures.Load(),
		"unauthorized_dropped": c.unauthorized.Load(), "ccmp_no_key": c.ccmpNoKey.Load(),
		"ccmp_replays": c.ccmpReplays.Load(), "ccmp_mic_errors": c.ccmpMICErrors.Load(), "group_rekeys": c.groupRekeys.Load(),
		"tx_4addr": c.tx4Addr.Load(), "rx_4addr": c.rx4Addr.Load(), "rx_4addr_dropped": c.rx4AddrDropped.Load(),
		"rx_group_3addr_dropped": c.rxGroup3AddrDropped.Load(),
	}
}

// MACStatus implements medium.StatusReporter for `vmctl radios`.
func (s *STA) MACStatus() medium.MACStatus {
	st := medium.MACStatus{Role: "sta", State: s.State().String(), Counters: s.Counters()}
	if a := s.assoc.Load(); a != nil {
		st.Cipher = "none"
		if a.rsn != nil {
			st.Cipher = ""
			if a.rsn.authorized.Load() || (a.rsn.ext != nil && a.extPortOpen()) {
				st.Cipher = "CCMP"
			}
		}
		sig := s.signal.Load()
		st.SSID, st.BSSID, st.AID, st.SignalDBm = a.ssid, a.bssid.String(), a.aid, &sig
	} else {
		st.SSID, _ = s.targetGen()
	}
	return st
}
