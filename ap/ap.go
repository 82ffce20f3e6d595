// SPDX-License-Identifier: MIT

// Package ap is vmedium's userspace access point MAC: it beacons, answers
// probe requests, authenticates (open system) and associates stations, keeps
// the station table, expires inactive stations, and relays data between the
// medium and its host stack (the uplink: a TAP device or a kmod interface).
// With a passphrase it runs a WPA2-PSK network: it is the authenticator of
// the 4-way and group key handshakes and protects data with CCMP (see
// rsn.go).
//
// Relay rules (the seed design, like a real AP's bridge):
//   - unicast STA→another associated STA is sent back on the medium as a
//     From-DS frame and never goes up the AP's own stack;
//   - unicast to the AP (or to an address that is not an associated
//     station) goes up the stack;
//   - group-addressed frames from a STA are sent once, group-addressed and
//     From-DS (the source STA drops its own echo by SA), and go up the stack;
//   - Ethernet from the stack becomes From-DS unicast to an associated
//     station, or one group-addressed From-DS frame.
//
// The data path (Deliver of data frames, SendEthernet) is synchronous and
// allocation free: it converts into pooled buffers, reads the station table
// from an immutable snapshot (atomic pointer, copy on write) and calls
// Radio.Transmit / Uplink.WriteEthernet with no lock held, because delivery
// on the medium is re-entrant. Management frames are copied into a bounded
// queue and handled by one goroutine per AP, which also sends beacons and
// expires inactive stations.
package ap

import (
	"context"
	"encoding/binary"
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

// Uplink is the AP's host side (medium.Uplink).
type Uplink = medium.Uplink

// UplinkFunc adapts a function to Uplink.
type UplinkFunc = medium.UplinkFunc

// TU is one 802.11 time unit (1024 µs).
const TU = 1024 * time.Microsecond

// Defaults for zero Config fields.
const (
	DefaultBeaconInterval    = 100 * TU
	DefaultInactivityTimeout = 300 * time.Second
	DefaultDTIMPeriod        = 2
	MaxAID                   = 2007
)

// mgmtAttempts is how many times the medium may send a unicast management
// frame before it reports no ACK (1 + hardware retries).
const mgmtAttempts = 4

// dataAttempts is the same for data frames.
const dataAttempts = 4

// Config describes an AP. SSID, Channel and Addr are required.
type Config struct {
	SSID              string        // 1..32 bytes
	Channel           uint8         // 2.4 GHz channel 1..14 (or a 5 GHz channel number)
	BeaconInterval    time.Duration // default 100 TU; 1..65535 TU
	InactivityTimeout time.Duration // default 300 s; a station silent this long is deauthenticated
	DTIMPeriod        uint8         // default 2
	Addr              frames.MAC    // the BSSID (normally the radio's own address)
	MaxStations       int           // default and maximum 2007
	// Passphrase makes the network WPA2-PSK (CCMP-128) with this
	// passphrase (8..63 printable ASCII characters); "" = open network.
	Passphrase string
	// GroupRekey is the interval of group key handshakes (new GTK);
	// default 1 hour, negative disables rekeying.
	GroupRekey time.Duration
	// EAPOLTimeout is how long to wait for a station's answer to an
	// EAPOL-Key message before sending it again (default 1 s);
	// EAPOLAttempts how many times to send it before deauthenticating
	// the station (default 4).
	EAPOLTimeout  time.Duration
	EAPOLAttempts int
	// Log receives handshake events (authorized, wrong passphrase,
	// timeouts, rekeys); nil discards them.
	Log *slog.Logger
	// Keys hands WPA2 to an authenticator above the AP (hostapd through
	// the kmod backend, see extrsn.go): the AP announces RSNIE, admits
	// stations with an RSN element, carries EAPOL frames to and from its
	// stack in the clear, protects data with the keys the authenticator
	// installs in Keys and opens a station's controlled port on
	// Authorize. Passphrase must be empty.
	Keys  *rsn.KeyTable
	RSNIE []byte // the RSN element (ID and length included) with Keys
	// WDSSta accepts four-address frames from associated stations, like
	// hostapd's wds_sta=1, and keeps a forwarding table of the addresses
	// behind them (see wds.go); without it four-address frames are
	// dropped. The bounds and the ageing of that table default to
	// DefaultMaxLearnedPerStation, DefaultMaxLearned, DefaultLearnedAge.
	WDSSta               bool
	MaxLearnedPerStation int
	MaxLearned           int
	LearnedAge           time.Duration
}

func (c *Config) check() error {
	if len(c.SSID) == 0 || len(c.SSID) > frames.MaxSSIDLen {
		return &medium.InvalidValueError{What: "SSID", Value: strconv.Quote(c.SSID), Accepted: "1 to 32 bytes"}
	}
	if frames.ChannelToFreq(c.Channel) == 0 {
		return &medium.InvalidValueError{What: "channel", Value: strconv.Itoa(int(c.Channel)), Accepted: "a channel number 1..14 (2.4 GHz) or 36..177 (5 GHz)"}
	}
	if c.Addr.IsZero() || c.Addr.IsGroup() {
		return &medium.InvalidValueError{What: "BSSID", Value: c.Addr.String(), Accepted: "a non-zero unicast MAC address"}
	}
	if c.BeaconInterval == 0 {
		c.BeaconInterval = DefaultBeaconInterval
	}
	if c.BeaconInterval < TU || c.BeaconInterval > 65535*TU {
		return &medium.InvalidValueError{What: "beacon interval", Value: c.BeaconInterval.String(), Accepted: "1 to 65535 TU (1.024 ms to 67.1 s)"}
	}
	if c.InactivityTimeout == 0 {
		c.InactivityTimeout = DefaultInactivityTimeout
	}
	if c.InactivityTimeout < 0 {
		return &medium.InvalidValueError{What: "inactivity timeout", Value: c.InactivityTimeout.String(), Accepted: "a positive duration (0 = 300 s)"}
	}
	if c.DTIMPeriod == 0 {
		c.DTIMPeriod = DefaultDTIMPeriod
	}
	if c.MaxStations == 0 {
		c.MaxStations = MaxAID
	}
	if c.MaxStations < 0 || c.MaxStations > MaxAID {
		return &medium.InvalidValueError{What: "max stations", Value: strconv.Itoa(c.MaxStations), Accepted: "1..2007 (0 = 2007)"}
	}
	if c.Passphrase != "" {
		if err := rsn.CheckPassphrase(c.Passphrase); err != nil {
			return &medium.InvalidValueError{What: "passphrase", Value: fmt.Sprintf("of %d characters", len(c.Passphrase)), Accepted: "8 to 63 printable ASCII characters (WPA2-PSK), or none for an open network"}
		}
	}
	if c.GroupRekey == 0 {
		c.GroupRekey = DefaultGroupRekey
	}
	if c.EAPOLTimeout == 0 {
		c.EAPOLTimeout = DefaultEAPOLTimeout
	}
	if c.EAPOLTimeout < 0 {
		return &medium.InvalidValueError{What: "EAPOL timeout", Value: c.EAPOLTimeout.String(), Accepted: "a positive duration (0 = 1 s)"}
	}
	if c.EAPOLAttempts == 0 {
		c.EAPOLAttempts = DefaultEAPOLAttempts
	}
	if c.EAPOLAttempts < 0 {
		return &medium.InvalidValueError{What: "EAPOL attempts", Value: strconv.Itoa(c.EAPOLAttempts), Accepted: "a positive count (0 = 4)"}
	}
	return c.checkWDS()
}

// Errors returned by the data path. They are preallocated so that returning
// them does not allocate.
var (
	// ErrNotAttached: no radio was attached (Attach) yet.
	ErrNotAttached = errors.New("ap: no radio attached")
	// ErrUnknownStation: unicast Ethernet for an address that is not an
	// associated station; the frame is dropped.
	ErrUnknownStation = errors.New("ap: destination is not an associated station")
	// ErrAlreadyStarted: Start called twice.
	ErrAlreadyStarted = errors.New("ap: already started")
	// ErrClosed: Start after Close.
	ErrClosed = errors.New("ap: closed")
)

// station is one associated station. Fields other than the counters and
// lastSeen/signal are immutable once published in a table.
type station struct {
	addr  frames.MAC
	aid   uint16
	since time.Time

	rsnIE []byte // the station's RSN element from its association request (WPA2)

	ptk        atomic.Pointer[rsn.Key] // installed after message 4 (WPA2)
	authorized atomic.Bool             // controlled port open (WPA2: 4-way handshake complete)

	wds     atomic.Bool  // sent a four-address frame (WDSSta): see wds.go
	learned atomic.Int32 // addresses learned behind it

	lastSeen                                                    atomic.Int64 // coarse clock (unix ns) of the last frame heard
	signal                                                      atomic.Int32
	rxPackets, rxBytes, txPackets, txBytes, txFailed, txRetries atomic.Uint64
}

// table is an immutable snapshot of the associated stations.
type table struct {
	byAddr map[frames.MAC]*station
	list   []*station // sorted by AID
}

var emptyTable = &table{byAddr: map[frames.MAC]*station{}}

// StationInfo describes one associated station (for `vmctl radios`,
// kmod's get_station/dump_station).
type StationInfo struct {
	Addr      frames.MAC    `json:"addr"`
	AID       uint16        `json:"aid"`
	SignalDBm int32         `json:"signal_dbm"`
	Connected time.Duration `json:"connected"`
	Inactive  time.Duration `json:"inactive"`
	RxPackets uint64        `json:"rx_packets"`
	RxBytes   uint64        `json:"rx_bytes"`
	TxPackets uint64        `json:"tx_packets"`
	TxBytes   uint64        `json:"tx_bytes"`
	TxFailed  uint64        `json:"tx_failed"`
	TxRetries uint64        `json:"tx_retries"`
	// RSNIE is the station's RSN element from its association request
	// (nil on an open network): the kmod backend hands it to hostapd.
	RSNIE []byte `json:"-"`
}

type counters struct {
	beacons, probeResp, authOK, authRejected, assocOK, assocRejected atomic.Uint64
	deauthSent, deauthRecv, disassocRecv, inactivityDeauth, class3   atomic.Uint64
	rxData, rxDataBytes, relayedUnicast, relayedGroup, up, upErrors  atomic.Uint64
	fromStack, fromStackGroup, txFailed, unknownDest, malformed      atomic.Uint64
	mgmtQueueFull, notForUs                                          atomic.Uint64
	eapolRx, eapolTx, eapolUnexpected, handshakes, handshakeTimeouts atomic.Uint64
	micFailures, unauthorized, ccmpNoKey, ccmpReplays, ccmpMICErrors atomic.Uint64
	groupRekeys, groupKeyTimeouts                                    atomic.Uint64
	wdsDropped, wdsStations, wdsRx, wdsTx, wdsGroupCopies            atomic.Uint64
	wdsLearned, wdsMoves, wdsAged, wdsLearnFull, wdsHairpin          atomic.Uint64
}

// mgmtMsg is one unit of work for the AP's goroutine: a copied management
// frame, an EAPOL frame from a station, or (both nil) a class-3 frame seen
// from a non-associated station.
type mgmtMsg struct {
	frame     []byte
	rx        medium.RxInfo
	class3    frames.MAC
	eapol     []byte
	eapolFrom frames.MAC
}

// AP is one access point. Create with New, Attach a radio, then Start.
type AP struct {
	cfg    Config
	up     Uplink
	radio  atomic.Pointer[medium.Radio]
	seq    atomic.Uint32
	tbl    atomic.Pointer[table]
	clock  atomic.Int64 // coarse unix-ns clock for lastSeen, ticked by the goroutine
	epoch  time.Time    // TSF zero
	mgmt   chan mgmtMsg
	staIEs []byte // rates for association responses
	rsn    *apRSN // nil: open network
	log    *slog.Logger

	// fdb holds the addresses learned behind WDS stations (immutable
	// snapshot, replaced under mu; see wds.go).
	fdb atomic.Pointer[map[frames.MAC]*fdbEntry]

	mu          sync.Mutex // guards the fields below and table replacement
	authed      map[frames.MAC]time.Time
	lastClass3  map[frames.MAC]time.Time
	started     bool
	closed      bool
	cancel      context.CancelFunc
	done        chan struct{}
	beaconBuf   []byte
	lastTBTT    int64
	dtimCounter uint8

	c counters
}

// New checks cfg and returns an AP that is not yet on the air.
func New(cfg Config, up Uplink) (*AP, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("new AP: %w", err)
	}
	if up == nil {
		return nil, fmt.Errorf("new AP %s: nil uplink", cfg.SSID)
	}
	a := &AP{
		cfg:        cfg,
		up:         up,
		epoch:      time.Now(),
		mgmt:       make(chan mgmtMsg, 256),
		authed:     map[frames.MAC]time.Time{},
		lastClass3: map[frames.MAC]time.Time{},
	}
	a.staIEs = frames.AppendRates(nil, frames.Rates24)
	a.log = cfg.Log
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Keys != nil {
		a.rsn = newExtRSN(&a.cfg)
	} else if cfg.Passphrase != "" {
		r, err := newAPRSN(&a.cfg)
		if err != nil {
			return nil, fmt.Errorf("new AP %s: %w", cfg.SSID, err)
		}
		a.rsn = r
	}
	a.tbl.Store(emptyTable)
	a.fdb.Store(&fdbEmpty)
	a.clock.Store(time.Now().UnixNano())
	return a, nil
}

// Config returns the AP's configuration with defaults filled in.
func (a *AP) Config() Config { return a.cfg }

// BSSID returns the AP's BSSID.
func (a *AP) BSSID() frames.MAC { return a.cfg.Addr }

// Attach sets the radio the AP transmits on. Call it once, before Start.
// If the BSSID is not the radio's own address, the radio is made to answer
// to it too.
func (a *AP) Attach(r *medium.Radio) {
	if r.Addr() != a.cfg.Addr {
		r.AddAddr(a.cfg.Addr)
	}
	a.radio.Store(r)
}

// Start tunes the radio to the AP's channel, flushes stations left over
// from a previous instance (one broadcast deauthentication, as hostapd
// does) and starts beaconing. It returns immediately; Close (or ctx) stops.
func (a *AP) Start(ctx context.Context) error {
	r := a.radio.Load()
	if r == nil {
		return fmt.Errorf("start AP %s: %w", a.cfg.SSID, ErrNotAttached)
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return fmt.Errorf("start AP %s: %w", a.cfg.SSID, ErrClosed)
	}
	if a.started {
		a.mu.Unlock()
		return fmt.Errorf("start AP %s: %w", a.cfg.SSID, ErrAlreadyStarted)
	}
	a.started = true
	ctx, a.cancel = context.WithCancel(ctx)
	a.done = make(chan struct{})
	a.mu.Unlock()

	r.SetFreq(frames.ChannelToFreq(a.cfg.Channel))
	a.sendDeauth(frames.Broadcast, frames.ReasonDeauthLeaving)
	go a.run(ctx)
	return nil
}

// Close stops beaconing, deauthenticates every station (one broadcast
// frame) and empties the station table. It is idempotent.
func (a *AP) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	cancel, done, started := a.cancel, a.done, a.started
	a.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if started {
		a.sendDeauth(frames.Broadcast, frames.ReasonDeauthLeaving)
	}
	a.mu.Lock()
	a.tbl.Store(emptyTable)
	a.fdb.Store(&fdbEmpty)
	clear(a.authed)
	a.mu.Unlock()
	return nil
}

func (a *AP) run(ctx context.Context) {
	defer close(a.done)
	a.epoch = time.Now() // TSF 0 = first TBTT; only this goroutine writes it after Start
	t := time.NewTicker(a.cfg.BeaconInterval)
	defer t.Stop()
	var rsnTick <-chan time.Time
	if a.rsn != nil && a.rsn.ext == nil {
		// Handshake retransmissions and rekeys need a finer clock than
		// a (possibly long) beacon interval.
		rt := time.NewTicker(min(a.cfg.EAPOLTimeout/4, 50*time.Millisecond))
		defer rt.Stop()
		rsnTick = rt.C
		if a.cfg.GroupRekey > 0 {
			a.rsn.rekeyAt = time.Now().Add(a.cfg.GroupRekey)
		}
	}
	a.beacon(a.epoch)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-rsnTick:
			a.rsnTick(now)
		case now := <-t.C:
			// Frames since the previous tick were stamped with the
			// previous clock value: judge inactivity against it, so a
			// late tick never expires a station that was just heard.
			prev := a.clock.Swap(now.UnixNano())
			a.beacon(now)
			a.expire(time.Unix(0, prev))
		case m := <-a.mgmt:
			a.handleMgmt(m)
		}
	}
}

func (a *AP) nextSeq() uint16 { return uint16(a.seq.Add(1)) & 0xfff }

func (a *AP) hdr(da frames.MAC) frames.MgmtHeader {
	return frames.MgmtHeader{DA: da, SA: a.cfg.Addr, BSSID: a.cfg.Addr, Seq: a.nextSeq()}
}

func (a *AP) tsf() uint64 { return uint64(time.Since(a.epoch) / time.Microsecond) }

func (a *AP) intervalTU() uint16 { return uint16(a.cfg.BeaconInterval / TU) }

// capability is what the AP announces: an ESS with short preamble and
// slot time (802.11g), with Privacy when WPA2 is on (capab).
const capability = frames.CapESS | frames.CapShortPreamble | frames.CapShortSlot

func (a *AP) capab() uint16 {
	if a.rsn != nil {
		return capability | frames.CapPrivacy
	}
	return capability
}

// appendRSNIE appends the RSN element of a WPA2 network (nothing when open).
func (a *AP) appendRSNIE(dst []byte) []byte {
	if a.rsn == nil {
		return dst
	}
	return append(dst, a.rsn.ie...)
}

// beacon sends one beacon: SSID, supported rates, DS parameter set, TIM,
// extended supported rates (the standard's element order). Only called from
// the AP's goroutine.
func (a *AP) beacon(now time.Time) {
	r := a.radio.Load()
	var ies [128]byte
	e := frames.AppendSSID(ies[:0], a.cfg.SSID)
	e = frames.AppendIE(e, frames.IESupportedRates, frames.Rates24[:8])
	e = frames.AppendDSParams(e, a.cfg.Channel)
	e = frames.AppendTIM(e, a.dtimCounter, a.cfg.DTIMPeriod, 0, nil)
	e = frames.AppendIE(e, frames.IEExtRates, frames.Rates24[8:])
	e = a.appendRSNIE(e)
	if a.dtimCounter == 0 {
		a.dtimCounter = a.cfg.DTIMPeriod
	}
	a.dtimCounter--
	// The timestamp is the target beacon transmission time: a whole
	// number of intervals since the first beacon, strictly increasing, so
	// a late timer (busy machine) never shows as a short beacon interval.
	k := int64(now.Sub(a.epoch) / a.cfg.BeaconInterval)
	if k <= a.lastTBTT && now != a.epoch {
		k = a.lastTBTT + 1
	}
	a.lastTBTT = k
	tbtt := uint64(k) * uint64(a.cfg.BeaconInterval/time.Microsecond)
	a.beaconBuf = frames.AppendBeacon(a.beaconBuf[:0], a.hdr(frames.Broadcast), tbtt, a.intervalTU(), a.capab(), e)
	r.Transmit(a.beaconBuf, medium.TxOptions{NoAck: true})
	a.c.beacons.Add(1)
}

func (a *AP) probeIEs(dst []byte) []byte {
	dst = frames.AppendSSID(dst, a.cfg.SSID)
	dst = frames.AppendIE(dst, frames.IESupportedRates, frames.Rates24[:8])
	dst = frames.AppendDSParams(dst, a.cfg.Channel)
	dst = frames.AppendIE(dst, frames.IEExtRates, frames.Rates24[8:])
	return a.appendRSNIE(dst)
}

// expire deauthenticates stations silent for longer than the inactivity
// timeout before now (the clock value frames were last stamped with), and
// forgets stale authentications and class-3 rate-limit entries.
func (a *AP) expire(now time.Time) {
	limit := now.Add(-a.cfg.InactivityTimeout).UnixNano()
	var gone []frames.MAC
	a.mu.Lock()
	t := a.tbl.Load()
	for _, st := range t.list {
		if st.lastSeen.Load() < limit {
			gone = append(gone, st.addr)
		}
	}
	if len(gone) > 0 {
		a.removeLocked(gone...)
	}
	for m, at := range a.authed {
		if now.Sub(at) > 10*time.Second {
			delete(a.authed, m)
		}
	}
	for m, at := range a.lastClass3 {
		if now.Sub(at) > time.Second {
			delete(a.lastClass3, m)
		}
	}
	a.expireLearnedLocked(now)
	a.mu.Unlock()
	for _, m := range gone {
		a.c.inactivityDeauth.Add(1)
		a.sendDeauth(m, frames.ReasonInactivity)
	}
}

// removeLocked publishes a table without the given stations.
func (a *AP) removeLocked(addrs ...frames.MAC) bool {
	t := a.tbl.Load()
	changed := false
	for _, m := range addrs {
		if _, ok := t.byAddr[m]; ok {
			changed = true
		}
	}
	if !changed {
		return false
	}
	nt := &table{byAddr: make(map[frames.MAC]*station, len(t.byAddr))}
	for _, st := range t.list {
		drop := false
		for _, m := range addrs {
			if st.addr == m {
				drop = true
			}
		}
		if !drop {
			nt.byAddr[st.addr] = st
			nt.list = append(nt.list, st)
		}
	}
	a.tbl.Store(nt)
	return true
}

// addLocked publishes a table with st added (or replacing the same address).
func (a *AP) addLocked(st *station) {
	t := a.tbl.Load()
	nt := &table{byAddr: make(map[frames.MAC]*station, len(t.byAddr)+1)}
	for _, old := range t.list {
		if old.addr != st.addr {
			nt.byAddr[old.addr] = old
			nt.list = append(nt.list, old)
		}
	}
	nt.byAddr[st.addr] = st
	nt.list = append(nt.list, st)
	sort.Slice(nt.list, func(i, j int) bool { return nt.list[i].aid < nt.list[j].aid })
	a.tbl.Store(nt)
}

// freeAIDLocked returns the lowest unused AID, or 0 if the AP is full.
func (a *AP) freeAIDLocked() uint16 {
	t := a.tbl.Load()
	if len(t.list) >= a.cfg.MaxStations {
		return 0
	}
	want := uint16(1)
	for _, st := range t.list { // sorted by AID
		if st.aid != want {
			break
		}
		want++
	}
	return want
}

// sendMgmt transmits a management frame built into a fresh buffer (the
// management path is not the hot path; this keeps it simple and safe to
// call from any goroutine).
func (a *AP) sendMgmt(frame []byte, group bool) medium.TxResult {
	r := a.radio.Load()
	if r == nil {
		return medium.TxResult{}
	}
	return r.Transmit(frame, medium.TxOptions{NoAck: group, MaxAttempts: mgmtAttempts})
}

func (a *AP) sendDeauth(da frames.MAC, reason uint16) {
	var b [32]byte
	a.sendMgmt(frames.AppendDeauth(b[:0], a.hdr(da), reason), da.IsGroup())
	a.c.deauthSent.Add(1)
}

// Deauth removes an associated (or authenticated) station and sends it a
// deauthentication with the given reason. frames.Broadcast deauthenticates
// every station. It reports whether the station was known.
func (a *AP) Deauth(sta frames.MAC, reason uint16) bool {
	a.mu.Lock()
	known := false
	if sta.IsBroadcast() {
		known = len(a.tbl.Load().list) > 0
		a.tbl.Store(emptyTable)
		clear(a.authed)
	} else {
		_, authed := a.authed[sta]
		delete(a.authed, sta)
		known = a.removeLocked(sta) || authed
	}
	a.mu.Unlock()
	a.sendDeauth(sta, reason)
	return known
}

func (a *AP) handleMgmt(m mgmtMsg) {
	if m.eapol != nil {
		a.handleEAPOL(m.eapolFrom, m.eapol)
		return
	}
	if m.frame == nil {
		a.handleClass3(m.class3)
		return
	}
	f, err := frames.Parse(m.frame)
	if err != nil {
		a.c.malformed.Add(1)
		return
	}
	sa := f.Addr2()
	switch f.Subtype() {
	case frames.SubtypeProbeReq:
		a.handleProbe(f, sa)
	case frames.SubtypeAuth:
		a.handleAuth(f, sa)
	case frames.SubtypeAssocReq, frames.SubtypeReassocReq:
		a.handleAssoc(f, sa, m.rx)
	case frames.SubtypeDeauth:
		a.c.deauthRecv.Add(1)
		a.mu.Lock()
		delete(a.authed, sa)
		a.removeLocked(sa)
		a.mu.Unlock()
	case frames.SubtypeDisassoc:
		a.c.disassocRecv.Add(1)
		a.mu.Lock()
		if a.removeLocked(sa) {
			a.authed[sa] = time.Now() // still authenticated
		}
		a.mu.Unlock()
	}
}

func (a *AP) handleProbe(f frames.Frame, sa frames.MAC) {
	if b := f.Addr3(); !b.IsBroadcast() && b != a.cfg.Addr {
		return // directed at another BSSID
	}
	ssid, ok := frames.FindIE(f.ProbeReqIEs(), frames.IESSID)
	if !ok {
		a.c.malformed.Add(1)
		return
	}
	if len(ssid) != 0 && string(ssid) != a.cfg.SSID {
		return
	}
	var ies [128]byte
	var b [256]byte
	frm := frames.AppendProbeResponse(b[:0], a.hdr(sa), a.tsf(), a.intervalTU(), a.capab(), a.probeIEs(ies[:0]))
	a.sendMgmt(frm, false)
	a.c.probeResp.Add(1)
}

func (a *AP) handleAuth(f frames.Frame, sa frames.MAC) {
	if f.Addr3() != a.cfg.Addr {
		return
	}
	alg, trans, _, err := f.AuthFields()
	if err != nil {
		a.c.malformed.Add(1)
		return
	}
	if trans != 1 {
		return // only open system's first frame comes from a STA
	}
	status := frames.StatusSuccess
	if alg != frames.AuthOpenSystem {
		status = frames.StatusNotSupportedAuthAlg
	}
	if status == frames.StatusSuccess {
		// A new authentication ends any previous association (the
		// station restarted its connection).
		a.mu.Lock()
		a.removeLocked(sa)
		a.authed[sa] = time.Now()
		a.mu.Unlock()
		a.c.authOK.Add(1)
	} else {
		a.c.authRejected.Add(1)
	}
	var b [32]byte
	a.sendMgmt(frames.AppendAuth(b[:0], a.hdr(sa), alg, 2, status), false)
}

func (a *AP) handleAssoc(f frames.Frame, sa frames.MAC, rx medium.RxInfo) {
	if f.Addr3() != a.cfg.Addr {
		return
	}
	_, _, ies, err := f.AssocReqFields()
	if err != nil {
		a.c.malformed.Add(1)
		return
	}
	a.mu.Lock()
	_, authed := a.authed[sa]
	cur := a.tbl.Load().byAddr[sa]
	if !authed && cur == nil {
		a.mu.Unlock()
		a.c.assocRejected.Add(1)
		a.sendDeauth(sa, frames.ReasonClass2FromNonAuth)
		return
	}
	status := frames.StatusSuccess
	var aid uint16
	var staRSN []byte
	if a.rsn != nil {
		staRSN, status = a.checkRSNIE(ies)
	}
	if ssid, ok := frames.FindIE(ies, frames.IESSID); !ok || string(ssid) != a.cfg.SSID {
		status = frames.StatusUnspecified
	} else if status != frames.StatusSuccess {
		// refused for its RSN element
	} else if cur != nil {
		aid = cur.aid // reassociation keeps the AID
	} else if aid = a.freeAIDLocked(); aid == 0 {
		status = frames.StatusAPUnableToHandleSTA
	}
	var newSt *station
	if status == frames.StatusSuccess && (cur == nil || a.rsn != nil) {
		// With WPA2 a reassociation starts over with new keys.
		st := &station{addr: sa, aid: aid, since: time.Now(), rsnIE: staRSN}
		newSt = st
		if a.rsn != nil && a.rsn.ext != nil {
			a.rsn.ext.DeletePairwise(sa) // a new association starts unkeyed
		}
		st.lastSeen.Store(time.Now().UnixNano())
		st.signal.Store(rx.SignalDBm)
		delete(a.authed, sa)
		a.addLocked(st)
	}
	a.mu.Unlock()
	if status == frames.StatusSuccess {
		a.c.assocOK.Add(1)
	} else {
		a.c.assocRejected.Add(1)
	}
	var b [64]byte
	frm := frames.AppendAssocResponse(b[:0], a.hdr(sa), a.capab(), status, aid, a.staIEs)
	if f.Subtype() == frames.SubtypeReassocReq {
		// Same body as an association response; only the subtype differs
		// and the codec builds the association one.
		frm[0] = frames.SubtypeReassocResp<<4 | frames.TypeMgmt<<2
	}
	a.sendMgmt(frm, false)
	if newSt != nil && a.rsn != nil && a.rsn.ext == nil {
		a.startHandshake(newSt)
	}
}

// handleClass3 deauthenticates a station that sent data without being
// associated, at most once a second per station.
func (a *AP) handleClass3(sa frames.MAC) {
	now := time.Now()
	a.mu.Lock()
	if a.tbl.Load().byAddr[sa] != nil {
		a.mu.Unlock()
		return // associated meanwhile
	}
	if at, ok := a.lastClass3[sa]; ok && now.Sub(at) < time.Second {
		a.mu.Unlock()
		return
	}
	a.lastClass3[sa] = now
	a.mu.Unlock()
	a.sendDeauth(sa, frames.ReasonClass3FromNonAssoc)
}

// Deliver is the AP's medium.Port: frames the AP's radio hears.
func (a *AP) Deliver(b []byte, rx medium.RxInfo) error {
	f, err := frames.Parse(b)
	if err != nil {
		a.c.malformed.Add(1)
		return nil
	}
	switch f.Type() {
	case frames.TypeData:
		a.deliverData(f, rx)
	case frames.TypeMgmt:
		switch f.Subtype() {
		case frames.SubtypeBeacon, frames.SubtypeProbeResp:
			return nil // other APs
		case frames.SubtypeProbeReq:
		default:
			if f.Addr1() != a.cfg.Addr {
				a.c.notForUs.Add(1)
				return nil
			}
		}
		cp := make([]byte, len(b))
		copy(cp, b)
		select {
		case a.mgmt <- mgmtMsg{frame: cp, rx: rx}:
		default:
			a.c.mgmtQueueFull.Add(1)
		}
	}
	return nil
}

// bufSize holds the largest MPDU plus header room, or the largest Ethernet
// frame converted from it.
const bufSize = 2400

var bufPool = sync.Pool{New: func() any { return new([bufSize]byte) }}

func (a *AP) deliverData(f frames.Frame, rx medium.RxInfo) {
	if !f.ToDS() || f.Addr1() != a.cfg.Addr {
		a.c.notForUs.Add(1)
		return
	}
	src := f.Addr2()
	t := a.tbl.Load()
	st := t.byAddr[src]
	if st == nil {
		a.c.class3.Add(1)
		select {
		case a.mgmt <- mgmtMsg{class3: src}:
		default:
			a.c.mgmtQueueFull.Add(1)
		}
		return
	}
	four := f.FromDS() // ToDS too: a four-address frame
	if four && !a.fourAddrFrom(st) {
		return
	}
	if now := a.clock.Load(); st.lastSeen.Load() != now {
		st.lastSeen.Store(now) // written once per clock tick, not per frame
	}
	if st.signal.Load() != rx.SignalDBm {
		st.signal.Store(rx.SignalDBm)
	}
	st.rxPackets.Add(1)
	st.rxBytes.Add(uint64(f.Len()))
	if f.Subtype()&0x4 != 0 {
		return // null function: keepalive only
	}
	if a.rsn != nil {
		if da := f.Addr3(); f.Protected() && !four && !da.IsGroup() && da != a.cfg.Addr {
			if dst := t.byAddr[da]; dst != nil && !dst.wds.Load() && a.relayable(f, st) {
				a.relayProtected(f, st, dst) // STA → STA: re-encrypted in one pass
				return
			}
		}
		var bp *[bufSize]byte
		var ok bool
		if a.rsn.ext != nil {
			f, bp, ok = a.extReceive(f, st)
		} else {
			f, bp, ok = a.rsnReceive(f, st)
		}
		if !ok {
			return
		}
		if bp != nil {
			defer bufPool.Put(bp)
		}
	}
	a.c.rxData.Add(1)
	a.c.rxDataBytes.Add(uint64(f.Len()))
	da, sa := f.Addr3(), src
	if four {
		sa = f.Addr4()
		a.learn(sa, st)
	}
	switch {
	case da.IsGroup():
		a.relay(f, da, sa, nil)
		a.floodFour(a.radio.Load(), t, st, da, sa, f.Body())
		a.upFrame(f)
	case da == a.cfg.Addr:
		a.upFrame(f)
	default:
		if a.unicastFour(t, st, da, sa, f.Body()) {
			// to a WDS station, or an address behind one
		} else if dst := t.byAddr[da]; dst != nil {
			a.relay(f, da, sa, dst)
		} else {
			a.c.unknownDest.Add(1)
			a.upFrame(f) // to the distribution system (the AP's stack)
		}
	}
}

// relay re-sends a To-DS data frame (three- or four-address) from src as
// three-address From-DS to da (a station, or a group address when dst is
// nil). The body is kept as is, so the
// header is rewritten in a copy instead of converting to Ethernet and back
// (one copy instead of two; the codec has no header rewrite).
func (a *AP) relay(f frames.Frame, da, src frames.MAC, dst *station) {
	r := a.radio.Load()
	if r == nil {
		return
	}
	bp := bufPool.Get().(*[bufSize]byte)
	var b []byte
	if f.ToDS() && f.FromDS() {
		// From a WDS station to an ordinary one: a new three-address
		// header (the four-address one is longer) and the same body.
		b = frames.AppendDataHeader(bp[:0], frames.DataHeader{FromDS: true, Addr1: da, Addr2: a.cfg.Addr, Addr3: src, Seq: a.nextSeq()})
		b = append(b, f.Body()...)
	} else {
		b = bp[:copy(bp[:], f.Bytes())]
		b[1] = b[1]&^(frames.FlagToDS|frames.FlagRetry) | frames.FlagFromDS
		copy(b[4:10], da[:])
		copy(b[10:16], a.cfg.Addr[:])
		copy(b[16:22], src[:])
		binary.LittleEndian.PutUint16(b[22:], a.nextSeq()<<4)
	}
	n := len(b)
	if a.rsn != nil && a.rsn.ext != nil {
		var ok bool
		if b, ok = a.extProtect(b, dst, false); !ok {
			bufPool.Put(bp)
			return
		}
	} else if a.rsn != nil {
		k, ok := a.txKey(dst)
		if !ok {
			bufPool.Put(bp)
			return
		}
		var err error
		if b, err = k.Encrypt(b); err != nil {
			bufPool.Put(bp)
			a.c.malformed.Add(1)
			return
		}
	}
	res := r.Transmit(b, medium.TxOptions{NoAck: dst == nil, MaxAttempts: dataAttempts})
	bufPool.Put(bp)
	if dst == nil {
		a.c.relayedGroup.Add(1)
		return
	}
	a.c.relayedUnicast.Add(1)
	a.account(dst, n, res)
}

func (a *AP) account(dst *station, n int, res medium.TxResult) {
	if res.Attempts > 1 {
		dst.txRetries.Add(uint64(res.Attempts - 1))
	}
	if res.Acked {
		dst.txPackets.Add(1)
		dst.txBytes.Add(uint64(n))
	} else {
		dst.txFailed.Add(1)
		a.c.txFailed.Add(1)
	}
}

// upFrame converts a data frame to Ethernet and writes it up the AP's stack.
func (a *AP) upFrame(f frames.Frame) {
	bp := bufPool.Get().(*[bufSize]byte)
	eth, err := frames.DataToEthernet(bp[:0], f)
	if err != nil {
		bufPool.Put(bp)
		a.c.malformed.Add(1)
		return
	}
	if err := a.up.WriteEthernet(eth); err != nil {
		a.c.upErrors.Add(1)
	} else {
		a.c.up.Add(1)
	}
	bufPool.Put(bp)
}

// SendEthernet sends an Ethernet frame from the AP's own stack: unicast to
// an associated station as From-DS data, group-addressed as one
// group-addressed From-DS frame. Unicast to an unknown station returns
// ErrUnknownStation. It does not allocate.
func (a *AP) SendEthernet(eth []byte) error {
	r := a.radio.Load()
	if r == nil {
		return ErrNotAttached
	}
	if len(eth) < frames.EthHeaderLen {
		a.c.malformed.Add(1)
		return fmt.Errorf("ap %s: send %d-byte Ethernet frame: shorter than the 14-byte header", a.cfg.SSID, len(eth))
	}
	da := frames.MAC(eth[0:6])
	sa := frames.MAC(eth[6:12])
	t := a.tbl.Load()
	if a.cfg.WDSSta {
		if da.IsGroup() {
			defer a.floodEthernetFour(r, t, da, sa, eth)
		} else if a.sendEthernetFour(r, t, da, sa, eth) {
			return nil
		}
	}
	var dst *station
	if !da.IsGroup() {
		if dst = t.byAddr[da]; dst == nil {
			a.c.unknownDest.Add(1)
			return ErrUnknownStation
		}
	}
	bp := bufPool.Get().(*[bufSize]byte)
	defer bufPool.Put(bp)
	frm, err := frames.EthernetToData(bp[:0], frames.DataHeader{FromDS: true, Addr1: da, Addr2: a.cfg.Addr, Addr3: sa, Seq: a.nextSeq()}, eth)
	if err != nil {
		a.c.malformed.Add(1)
		return fmt.Errorf("ap %s: %w", a.cfg.SSID, err)
	}
	if a.rsn != nil && a.rsn.ext != nil {
		var ok bool
		if frm, ok = a.extProtect(frm, dst, isEAPOLEthernet(eth)); !ok {
			return ErrNotAuthorized
		}
	} else if a.rsn != nil {
		k, ok := a.txKey(dst)
		if !ok {
			return ErrNotAuthorized
		}
		if frm, err = k.Encrypt(frm); err != nil {
			return fmt.Errorf("ap %s: %w", a.cfg.SSID, err)
		}
	}
	res := r.Transmit(frm, medium.TxOptions{NoAck: dst == nil, MaxAttempts: dataAttempts})
	if dst == nil {
		a.c.fromStackGroup.Add(1)
		return nil
	}
	a.c.fromStack.Add(1)
	a.account(dst, len(frm), res)
	return nil
}

// Stations returns the associated stations ordered by AID.
func (a *AP) Stations() []StationInfo {
	t := a.tbl.Load()
	out := make([]StationInfo, 0, len(t.list))
	for _, st := range t.list {
		out = append(out, a.info(st))
	}
	return out
}

// Station returns one associated station.
func (a *AP) Station(addr frames.MAC) (StationInfo, bool) {
	st := a.tbl.Load().byAddr[addr]
	if st == nil {
		return StationInfo{}, false
	}
	return a.info(st), true
}

func (a *AP) info(st *station) StationInfo {
	now := time.Now()
	return StationInfo{
		Addr: st.addr, AID: st.aid, SignalDBm: st.signal.Load(),
		Connected: now.Sub(st.since), Inactive: max(0, now.Sub(time.Unix(0, st.lastSeen.Load()))),
		RxPackets: st.rxPackets.Load(), RxBytes: st.rxBytes.Load(),
		TxPackets: st.txPackets.Load(), TxBytes: st.txBytes.Load(),
		TxFailed: st.txFailed.Load(), TxRetries: st.txRetries.Load(),
		RSNIE: st.rsnIE,
	}
}

// Counters returns the AP's counters by name.
func (a *AP) Counters() map[string]uint64 {
	c := &a.c
	m := map[string]uint64{
		"beacons": c.beacons.Load(), "probe_responses": c.probeResp.Load(),
		"auth_ok": c.authOK.Load(), "auth_rejected": c.authRejected.Load(),
		"assoc_ok": c.assocOK.Load(), "assoc_rejected": c.assocRejected.Load(),
		"deauth_sent": c.deauthSent.Load(), "deauth_received": c.deauthRecv.Load(),
		"disassoc_received": c.disassocRecv.Load(), "inactivity_deauth": c.inactivityDeauth.Load(),
		"class3_from_unassociated": c.class3.Load(),
		"rx_data":                  c.rxData.Load(), "rx_data_bytes": c.rxDataBytes.Load(),
		"relayed_unicast": c.relayedUnicast.Load(), "relayed_group": c.relayedGroup.Load(),
		"uplink_frames": c.up.Load(), "uplink_errors": c.upErrors.Load(),
		"from_stack_unicast": c.fromStack.Load(), "from_stack_group": c.fromStackGroup.Load(),
		"tx_failed": c.txFailed.Load(), "unknown_destination": c.unknownDest.Load(),
		"malformed": c.malformed.Load(), "mgmt_queue_full": c.mgmtQueueFull.Load(),
		"not_for_us": c.notForUs.Load(),
		"eapol_rx":   c.eapolRx.Load(), "eapol_tx": c.eapolTx.Load(), "eapol_unexpected": c.eapolUnexpected.Load(),
		"handshakes_completed": c.handshakes.Load(), "handshake_timeouts": c.handshakeTimeouts.Load(),
		"mic_failures": c.micFailures.Load(), "unauthorized_dropped": c.unauthorized.Load(),
		"ccmp_no_key": c.ccmpNoKey.Load(), "ccmp_replays": c.ccmpReplays.Load(), "ccmp_mic_errors": c.ccmpMICErrors.Load(),
		"group_rekeys": c.groupRekeys.Load(), "group_key_timeouts": c.groupKeyTimeouts.Load(),
	}
	a.wdsCounters(m)
	return m
}

// MACStatus implements medium.StatusReporter for `vmctl radios`.
func (a *AP) MACStatus() medium.MACStatus {
	a.mu.Lock()
	state := "stopped"
	if a.started && !a.closed {
		state = "beaconing"
	}
	a.mu.Unlock()
	t := a.tbl.Load()
	st := medium.MACStatus{Role: "ap", State: state, SSID: a.cfg.SSID, BSSID: a.cfg.Addr.String(), Cipher: a.Cipher(), Counters: a.Counters()}
	for _, s := range t.list {
		st.Stations = append(st.Stations, s.addr.String())
	}
	return st
}

// Cipher names the network's data protection for `vmctl radios`: "CCMP"
// (WPA2-PSK) or "none" (open).
func (a *AP) Cipher() string {
	if a.rsn != nil {
		return "CCMP"
	}
	return "none"
}
