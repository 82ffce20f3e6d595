// SPDX-License-Identifier: MIT

package kmod

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/sta"
)

// DefaultStationSync is how often station information (signal, counters,
// an AP's station list) is pushed into the module's cache, so that
// get_station answers from the cache without asking userspace.
const DefaultStationSync = 100 * time.Millisecond

// Options tunes a Backend. Zero values are defaults.
type Options struct {
	Logger      *slog.Logger
	StationSync time.Duration
	// STA / AP tune the MACs the backend creates (Addr, SSID, Channel and
	// OnEvent are set by the backend).
	STA sta.Config
	AP  ap.Config
}

// The kernel's view of a managed interface's connection, as far as the
// backend has told it.
const (
	kIdle = iota
	kConnecting
	kConnected
)

// errNoMAC: a frame reached a kmod radio with no MAC running (interface in
// AP mode without a started AP): not received, so no ACK.
var errNoMAC = errors.New("kmod: no MAC running on this interface")

// mac is what the backend needs from sta.STA and ap.AP.
type mac interface {
	Deliver(frame []byte, rx medium.RxInfo) error
	SendEthernet(eth []byte) error
	MACStatus() medium.MACStatus
}

type macRef struct{ m mac }

// Backend joins vmedium.ko's interfaces to a medium: each becomes a radio
// of Kind medium.KindKmod whose MAC is a userspace sta (managed mode) or ap
// (AP mode), the module's cfg80211 "firmware".
type Backend struct {
	m   *medium.Medium
	c   *Client
	log *slog.Logger
	opt Options

	radios []*radio // by module radio index
	early  []Event
	live   atomic.Bool
	// stopping: MACs are being shut down; their events (e.g. the
	// stations hearing the AP's farewell deauthentication) must not
	// reach the kernel, which keeps its connections for the next medium.
	stopping atomic.Bool

	badEvents, txNoMAC, txErrors, cmdErrors, keyErrors atomic.Uint64

	ctx context.Context // Run's; MACs live in it

	// radiosMu guards the radios slice against Close (removeRadios) while
	// Run's event handling and station sync read it.
	radiosMu sync.RWMutex
}

// list returns the radios, by module index (nil once removed).
func (b *Backend) list() []*radio {
	b.radiosMu.RLock()
	defer b.radiosMu.RUnlock()
	return b.radios
}

type radio struct {
	b    *Backend
	idx  uint32
	name string
	addr frames.MAC
	mr   *medium.Radio
	cur  atomic.Pointer[macRef] // data path: the running MAC
	// keys: the running MAC's key table, filled by cfg80211's key
	// operations (hostapd, wpa_supplicant); see security.go.
	keys atomic.Pointer[rsn.KeyTable]
	// heard: the IEs (and capability) of BSSs the station's scans heard,
	// by BSSID, for the connect result.
	heardMu sync.Mutex
	heard   map[frames.MAC]heardBSS

	mu       sync.Mutex // guards the fields below
	info     RadioInfo
	sta      *sta.STA
	ap       *ap.AP
	kstate   int
	apSent   map[frames.MAC]StationInfo // stations announced to the module
	apSince  map[frames.MAC]time.Time   // when each announced association began
	linkSent StationInfo
}

// New registers with the module (ErrBusy if another medium is registered),
// dumps its radios and adds one medium radio per interface, named after the
// interface (vw0, …). Call Run to start the MACs and serve events.
func New(m *medium.Medium, c *Client, opt Options) (*Backend, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.StationSync <= 0 {
		opt.StationSync = DefaultStationSync
	}
	b := &Backend{m: m, c: c, log: opt.Logger.With("backend", "kmod"), opt: opt}
	early, err := c.Register()
	if err != nil {
		return nil, err
	}
	b.early = early
	infos, err := c.Radios()
	if err != nil {
		return nil, err
	}
	for i, info := range infos {
		if info.Index != uint32(i) {
			b.removeRadios()
			return nil, fmt.Errorf("kmod: radio dump out of order: entry %d has index %d", i, info.Index)
		}
		r := &radio{b: b, idx: info.Index, name: info.Ifname, addr: info.Addr, info: info}
		mr, err := m.AddRadio(medium.RadioConfig{Name: info.Ifname, Kind: medium.KindKmod, Addr: info.Addr}, r)
		if err != nil {
			b.removeRadios()
			return nil, fmt.Errorf("kmod: add radio %s: %w", info.Ifname, err)
		}
		r.mr = mr
		b.radios = append(b.radios, r)
	}
	b.live.Store(true)
	return b, nil
}

func (b *Backend) removeRadios() {
	b.radiosMu.Lock()
	rs := b.radios
	b.radios = nil
	b.radiosMu.Unlock()
	for _, r := range rs {
		b.m.RemoveRadio(r.mr)
	}
}

// Radios returns the backend's medium radios, by module index.
func (b *Backend) Radios() []*medium.Radio {
	rs := b.list()
	out := make([]*medium.Radio, len(rs))
	for i, r := range rs {
		out[i] = r.mr
	}
	return out
}

// Live reports whether the backend is registered with the module.
func (b *Backend) Live() bool { return b.live.Load() }

// Summary is the one-line status for `vmctl status`, e.g. "kmod: live, 3 radios".
func (b *Backend) Summary() string {
	state := "live"
	if !b.Live() {
		state = "down"
	}
	return fmt.Sprintf("kmod: %s, %d radios", state, len(b.list()))
}

// Counters returns the backend's error counters.
func (b *Backend) Counters() map[string]uint64 {
	return map[string]uint64{
		"bad_events":     b.badEvents.Load(),
		"tx_no_mac":      b.txNoMAC.Load(),
		"tx_errors":      b.txErrors.Load(),
		"cmd_errors":     b.cmdErrors.Load(),
		"key_errors":     b.keyErrors.Load(),
		"inject_errors":  b.c.InjectErrors(),
		"event_overruns": b.c.Overruns(),
	}
}

// Run resumes what the module remembers (started APs, connections), then
// serves the module's events until ctx ends or the module goes away. It
// stops every MAC before returning.
func (b *Backend) Run(ctx context.Context) error {
	b.ctx = ctx
	defer b.live.Store(false)
	defer b.stopMACs()
	for _, r := range b.list() {
		r.resume()
	}
	for _, e := range b.early {
		b.handle(e)
	}
	b.early = nil
	syncDone := make(chan struct{})
	syncCtx, stopSync := context.WithCancel(ctx)
	go func() {
		defer close(syncDone)
		b.syncLoop(syncCtx)
	}()
	err := b.c.Run(ctx, b.handle, &b.badEvents)
	stopSync()
	<-syncDone
	return err
}

// Close removes the radios from the medium and closes the client, which
// unregisters from the module (every carrier drops).
func (b *Backend) Close() error {
	b.stopMACs()
	b.removeRadios()
	b.live.Store(false)
	return b.c.Close()
}

func (b *Backend) stopMACs() {
	b.stopping.Store(true)
	var closers []func() error
	for _, r := range b.list() {
		r.mu.Lock()
		s, a := r.sta, r.ap
		r.sta, r.ap = nil, nil
		r.cur.Store(nil)
		r.mu.Unlock()
		if s != nil {
			closers = append([]func() error{s.Close}, closers...) // stations first
		}
		if a != nil {
			closers = append(closers, a.Close)
		}
	}
	for _, c := range closers {
		c()
	}
}

// cmdErr counts and logs a failed command to the module.
func (b *Backend) cmdErr(r *radio, what string, err error) {
	if err != nil {
		b.cmdErrors.Add(1)
		b.log.Warn("command to module failed", "radio", r.name, "cmd", what, "err", err)
	}
}

func (b *Backend) handle(e Event) {
	rs := b.list()
	if int(e.Index) >= len(rs) {
		b.badEvents.Add(1)
		return
	}
	r := rs[e.Index]
	switch e.Cmd {
	case CmdTx:
		ref := r.cur.Load()
		if ref == nil {
			b.txNoMAC.Add(1)
			return
		}
		if err := ref.m.SendEthernet(e.Frame); err != nil {
			b.txErrors.Add(1)
		}
	case CmdScan:
		go r.scan(string(e.SSID))
	case CmdConnect:
		r.connect(e)
	case CmdDisconnect:
		r.disconnect()
	case CmdStartAP:
		r.startAP(e)
	case CmdStopAP:
		r.stopAP()
	case CmdChangeBeacon:
		// Beacon IEs are built by the Go AP; nothing to change.
	case CmdGetRadio:
		r.changed(e.Radio)
	case CmdAddKey, CmdDelKey, CmdSetDefaultKey:
		r.keyOp(e)
	case CmdAuthorize:
		r.authorize(e.StaAddr, e.Authorized)
	case CmdKickStation:
		r.kick(e.StaAddr, e.Reason)
	default:
		b.badEvents.Add(1)
	}
}

// Deliver implements medium.Port for the interface's radio.
func (r *radio) Deliver(frame []byte, rx medium.RxInfo) error {
	if ref := r.cur.Load(); ref != nil {
		return ref.m.Deliver(frame, rx)
	}
	return errNoMAC
}

// MACStatus implements medium.StatusReporter.
func (r *radio) MACStatus() medium.MACStatus {
	if ref := r.cur.Load(); ref != nil {
		return ref.m.MACStatus()
	}
	return medium.MACStatus{Role: "ap", State: "stopped"}
}

// WriteEthernet is the MACs' uplink: inject into the interface.
func (r *radio) WriteEthernet(eth []byte) error { return r.b.c.Inject(r.idx, eth) }

// resume restores the MAC the module's state asks for: the AP it still
// runs, the connection it still believes in (carrier comes back when the
// station has re-associated), or an idle station.
func (r *radio) resume() {
	r.mu.Lock()
	info := r.info
	r.mu.Unlock()
	switch {
	case info.Iftype == IftypeAP && len(info.SSID) > 0:
		r.startAP(Event{SSID: info.SSID, FreqMHz: info.FreqMHz, BeaconInt: info.BeaconInt, DTIM: info.DTIM})
		r.b.cmdErr(r, "CARRIER", r.b.c.SetCarrier(r.idx, true))
	case info.Iftype == IftypeStation:
		s := r.ensureSTA()
		if s != nil && len(info.SSID) > 0 {
			r.mu.Lock()
			r.kstate = kConnected
			r.mu.Unlock()
			s.Connect(string(info.SSID))
		}
	}
}

// ensureSTA starts the interface's station MAC if none runs.
func (r *radio) ensureSTA() *sta.STA {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sta != nil {
		return r.sta
	}
	if r.ap != nil {
		return nil
	}
	cfg := r.b.opt.STA
	cfg.Addr, cfg.SSID, cfg.Channel = r.addr, "", 0
	if cfg.Passphrase == "" {
		cfg.Keys = r.newKeys() // wpa_supplicant's keys (security.go)
	}
	var s *sta.STA
	cfg.OnEvent = func(e sta.Event) { r.staEvent(s, e) }
	s, err := sta.New(cfg, r)
	if err != nil {
		r.b.log.Error("new station", "radio", r.name, "err", err)
		return nil
	}
	s.Attach(r.mr)
	if err := s.Start(r.b.ctx); err != nil {
		r.b.log.Error("start station", "radio", r.name, "err", err)
		return nil
	}
	r.sta = s
	r.kstate = kIdle
	r.cur.Store(&macRef{s})
	return s
}

func (r *radio) closeSTA() {
	r.mu.Lock()
	s := r.sta
	r.sta = nil
	r.kstate = kIdle
	if s != nil {
		r.cur.Store(nil)
	}
	r.mu.Unlock()
	if s != nil {
		s.Close()
	}
}

// staEvent maps the station's connection events onto cfg80211's connect
// result and disconnect notifications. Called from the station's goroutine.
func (r *radio) staEvent(s *sta.STA, e sta.Event) {
	b := r.b
	if b.stopping.Load() {
		return
	}
	r.mu.Lock()
	if r.sta != s {
		r.mu.Unlock()
		return
	}
	st := r.kstate
	switch e.Type {
	case sta.EventConnected:
		if st == kConnecting {
			r.kstate = kConnected
		}
		r.linkSent = StationInfo{}
		r.mu.Unlock()
		switch st {
		case kConnecting:
			bss := BSS{BSSID: e.BSSID, SSID: []byte(e.SSID), SignalDBm: e.SignalDBm, IEs: bssIEs(e.SSID)}
			r.heardIEs(&bss) // the RSN element the supplicant must see again in message 3
			if l, ok := s.Link(); ok {
				bss.FreqMHz = l.FreqMHz
			}
			b.cmdErr(r, "CONNECT_RESULT", b.c.ConnectResult(r.idx, 0, &bss))
		case kConnected: // resumed after a medium restart
			b.cmdErr(r, "CARRIER", b.c.SetCarrier(r.idx, true))
		}
	case sta.EventConnectFailed:
		if st != kConnecting {
			r.mu.Unlock()
			return // resuming: the station keeps trying
		}
		r.kstate = kIdle
		r.mu.Unlock()
		s.Disconnect()
		status := e.Status
		if status == 0 {
			status = frames.StatusUnspecified
		}
		b.cmdErr(r, "CONNECT_RESULT", b.c.ConnectResult(r.idx, status, nil))
	case sta.EventDisconnected:
		if st != kConnected {
			r.mu.Unlock()
			return // the kernel asked for it, or never knew
		}
		r.kstate = kIdle
		r.mu.Unlock()
		// FullMAC semantics: the link is gone; the supplicant (or the
		// user) decides whether to connect again.
		s.Disconnect()
		reason := e.Reason
		if reason == 0 {
			reason = frames.ReasonUnspecified
		}
		b.cmdErr(r, "DISCONNECTED", b.c.Disconnected(r.idx, reason))
	default:
		r.mu.Unlock()
	}
}

func bssIEs(ssid string) []byte {
	return frames.AppendRates(frames.AppendSSID(nil, ssid), frames.Rates24)
}

func (r *radio) scan(ssid string) {
	b := r.b
	s := r.ensureSTA()
	if s == nil {
		b.cmdErr(r, "SCAN_DONE", b.c.ScanDone(r.idx, true))
		return
	}
	res, err := s.Scan(b.ctx)
	for _, bss := range res {
		if ssid != "" && bss.SSID != ssid {
			continue
		}
		b.cmdErr(r, "SCAN_RESULT", b.c.ScanResult(r.idx, BSS{
			BSSID: bss.BSSID, SSID: []byte(bss.SSID), FreqMHz: bss.FreqMHz, SignalDBm: bss.SignalDBm,
			Capability: bss.Capability, BeaconInt: bss.BeaconIntervalTU, IEs: r.scanIEs(bss),
		}))
	}
	b.cmdErr(r, "SCAN_DONE", b.c.ScanDone(r.idx, err != nil))
}

func (r *radio) connect(e Event) {
	ssid := string(e.SSID)
	s := r.ensureSTA()
	if s != nil {
		s.SetAssocIEs(rsnElement(e.AssocIEs))
	}
	if s == nil {
		r.b.cmdErr(r, "CONNECT_RESULT", r.b.c.ConnectResult(r.idx, frames.StatusUnspecified, nil))
		return
	}
	r.mu.Lock()
	r.kstate = kConnecting
	r.mu.Unlock()
	if err := s.Connect(ssid); err != nil {
		r.mu.Lock()
		r.kstate = kIdle
		r.mu.Unlock()
		r.b.cmdErr(r, "CONNECT_RESULT", r.b.c.ConnectResult(r.idx, frames.StatusUnspecified, nil))
	}
}

func (r *radio) disconnect() {
	r.mu.Lock()
	s := r.sta
	r.kstate = kIdle
	r.mu.Unlock()
	if s != nil {
		s.Disconnect()
	}
}

func (r *radio) startAP(e Event) {
	b := r.b
	r.closeSTA()
	r.stopAP()
	cfg := b.opt.AP
	if e.Privacy && cfg.Passphrase == "" {
		// hostapd's network: its RSN element from the beacon tail, its
		// keys from add_key (security.go).
		cfg.Keys, cfg.RSNIE = r.newKeys(), rsnElement(e.IEs)
	}
	cfg.SSID = string(e.SSID)
	cfg.Channel = frames.FreqToChannel(e.FreqMHz)
	cfg.Addr = r.addr
	if e.BeaconInt > 0 {
		cfg.BeaconInterval = time.Duration(e.BeaconInt) * ap.TU
	}
	if e.DTIM > 0 && e.DTIM < 256 {
		cfg.DTIMPeriod = uint8(e.DTIM)
	}
	a, err := ap.New(cfg, r)
	if err != nil {
		b.log.Error("new AP", "radio", r.name, "err", err)
		return
	}
	a.Attach(r.mr)
	if err := a.Start(b.ctx); err != nil {
		b.log.Error("start AP", "radio", r.name, "err", err)
		return
	}
	r.mu.Lock()
	r.ap = a
	r.apSent = map[frames.MAC]StationInfo{}
	r.apSince = map[frames.MAC]time.Time{}
	r.cur.Store(&macRef{a})
	r.mu.Unlock()
}

func (r *radio) stopAP() {
	r.mu.Lock()
	a := r.ap
	r.ap = nil
	r.apSent = nil
	r.apSince = nil
	if a != nil {
		r.cur.Store(nil)
	}
	r.mu.Unlock()
	if a != nil {
		a.Close()
	}
}

// changed follows a mode change: a managed interface gets a station MAC; an
// AP interface waits for START_AP.
func (r *radio) changed(info RadioInfo) {
	r.mu.Lock()
	r.info = info
	r.mu.Unlock()
	switch info.Iftype {
	case IftypeStation:
		r.stopAP()
		r.ensureSTA()
	case IftypeAP:
		r.closeSTA()
	}
}

// syncLoop pushes station information into the module's cache.
func (b *Backend) syncLoop(ctx context.Context) {
	t := time.NewTicker(b.opt.StationSync)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, r := range b.list() {
			r.sync()
		}
	}
}

func (r *radio) sync() {
	b := r.b
	r.mu.Lock()
	s, a, st := r.sta, r.ap, r.kstate
	r.mu.Unlock()
	if s != nil && st == kConnected {
		if l, ok := s.Link(); ok {
			si := StationInfo{
				Addr: l.BSSID, SignalDBm: l.SignalDBm, TxPackets: l.TxPackets, TxBytes: l.TxBytes,
				RxPackets: l.RxPackets, RxBytes: l.RxBytes, TxFailed: uint32(l.TxFailed),
			}
			r.mu.Lock()
			changed := si != r.linkSent
			r.linkSent = si
			r.mu.Unlock()
			if changed {
				b.cmdErr(r, "STATION", b.c.Station(r.idx, si))
			}
		}
	}
	if a == nil {
		return
	}
	now := map[frames.MAC]StationInfo{}
	assocIEs := map[frames.MAC][]byte{}
	since := map[frames.MAC]time.Time{}
	at := time.Now()
	for _, x := range a.Stations() {
		assocIEs[x.Addr] = x.RSNIE
		since[x.Addr] = at.Add(-x.Connected)
		now[x.Addr] = StationInfo{
			Addr: x.Addr, SignalDBm: x.SignalDBm, TxPackets: x.TxPackets, TxBytes: x.TxBytes,
			RxPackets: x.RxPackets, RxBytes: x.RxBytes, TxFailed: uint32(x.TxFailed),
		}
	}
	r.mu.Lock()
	if r.ap != a {
		r.mu.Unlock()
		return
	}
	sent := r.apSent
	var add, upd []StationInfo
	var del []frames.MAC
	for addr, si := range now {
		old, ok := sent[addr]
		if ok && since[addr].Sub(r.apSince[addr]) > reassocSlack {
			// Left and associated again between two syncs: hostapd
			// must see a new station (and start a new handshake).
			del = append(del, addr)
			ok = false
		}
		if !ok {
			r.apSince[addr] = since[addr]
		}
		switch {
		case !ok:
			add = append(add, si)
		case old != si:
			upd = append(upd, si)
		}
		sent[addr] = si
	}
	for addr := range sent {
		if _, ok := now[addr]; !ok {
			del = append(del, addr)
			delete(sent, addr)
			delete(r.apSince, addr)
		}
	}
	r.mu.Unlock()
	for _, addr := range del {
		b.cmdErr(r, "DEL_STATION", b.c.DelStation(r.idx, addr))
	}
	for _, si := range add {
		b.cmdErr(r, "NEW_STATION", b.c.NewStation(r.idx, si, assocIEs[si.Addr]))
	}
	for _, si := range upd {
		b.cmdErr(r, "STATION", b.c.Station(r.idx, si))
	}
}

// reassocSlack is how much later an association may seem to have begun
// (clock reads between two syncs) before it counts as a new one.
const reassocSlack = 50 * time.Millisecond
