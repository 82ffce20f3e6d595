// SPDX-License-Identifier: MIT

package medium

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/air/ratectl"
)

// Kind names a kind of radio backend.
type Kind string

const (
	KindTap   Kind = "tap"   // userspace radio: TAP device + Go sta/ap MAC
	KindHwsim Kind = "hwsim" // kernel mac80211_hwsim radio
	KindKmod  Kind = "kmod"  // the project's own cfg80211 module
	KindLocal Kind = "local" // in-process radio (tests, tools)
	KindGuest Kind = "guest" // a radio of a VM guest, relayed by its agent (medium/guest)
	KindVMNIC Kind = "vmnic" // a VM's plain NIC (QEMU -netdev stream) on a Go station (medium/vmnic)
)

// RxInfo is what a receiver learns about one delivered frame.
type RxInfo struct {
	SignalDBm int32
	NoiseDBm  int32
	FreqMHz   uint32
	RateIdx   uint8 // legacy rate index in the band's table (2.4 GHz: 0..11)
}

// Port is a radio's receive side: the medium hands it each frame the radio
// hears. frame is valid only during the call and shared with other
// receivers: never modify it, copy what you keep. Deliver
// may be called concurrently from several transmitters and must not block
// for long. An error means the radio could not take the frame (it is counted
// as a dispatch error and the frame counts as not received, so no ACK).
type Port interface {
	Deliver(frame []byte, rx RxInfo) error
}

// PortFunc adapts a function to Port.
type PortFunc func(frame []byte, rx RxInfo) error

// Deliver calls f.
func (f PortFunc) Deliver(frame []byte, rx RxInfo) error { return f(frame, rx) }

// Uplink is the host side of a userspace MAC (sta, ap): Ethernet frames
// going up the radio's stack, e.g. into its TAP device or, for kmod radios,
// into the kernel interface.
type Uplink interface {
	WriteEthernet(eth []byte) error
}

// UplinkFunc adapts a function to Uplink.
type UplinkFunc func(eth []byte) error

// WriteEthernet calls f.
func (f UplinkFunc) WriteEthernet(eth []byte) error { return f(eth) }

// MACStatus is what a radio's MAC (sta, ap, kernel) reports about itself for
// `vmctl radios`. Ports that have one implement StatusReporter.
type MACStatus struct {
	Role      string   `json:"role,omitempty"`  // "ap", "sta", "monitor", …
	State     string   `json:"state,omitempty"` // e.g. "associated", "scanning"
	SSID      string   `json:"ssid,omitempty"`
	BSSID     string   `json:"bssid,omitempty"`
	SignalDBm *int32   `json:"signal_dbm,omitempty"`
	AID       uint16   `json:"aid,omitempty"`
	Cipher    string   `json:"cipher,omitempty"`   // data protection: "CCMP" (WPA2), "none" (open)
	Stations  []string `json:"stations,omitempty"` // an AP's associated stations
	// FreqMHz is the channel the MAC operates on, when the radio itself
	// hears every frequency (hwsim: the backend filters per frame).
	FreqMHz  uint32            `json:"freq_mhz,omitempty"`
	Counters map[string]uint64 `json:"counters,omitempty"`
}

// StatusReporter is implemented by ports that can describe their MAC state.
type StatusReporter interface {
	MACStatus() MACStatus
}

// RadioConfig describes a radio to add to the medium.
type RadioConfig struct {
	Name       string
	Kind       Kind
	Addr       frames.MAC
	FreqMHz    uint32    // 0: hears every frequency (the backend filters, e.g. hwsim)
	Position   *Position // nil: no position (default signal unless links are set)
	TxPowerDBm *float64  // nil: DefaultTxPowerDBm
	// RTSThreshold: unicast frames longer than this many bytes go behind
	// RTS/CTS when the MAC gives no rate chain (see SetRTSThreshold);
	// nil: never.
	RTSThreshold *int
}

// DropReason says why a frame did not reach a receiver.
type DropReason int

const (
	DropDenied      DropReason = iota // denylist
	DropLoss                          // link loss draw
	DropOutOfRange                    // signal below sensitivity
	DropOtherFreq                     // receiver on another frequency
	DropMalformed                     // frame failed to parse
	DropNoSuchRadio                   // unicast addr1 owned by no radio
	DropOther                         // the receiver's port refused it
	DropPER                           // air model: the frame's PER at the link's SNR
	DropQueueFull                     // airtime timed: the transmitter's queue for the air is full
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{"denied", "loss", "out_of_range", "other_frequency", "malformed", "no_such_radio", "other", "per", "queue_full"}

// String returns the metric label of r.
func (r DropReason) String() string {
	if r < 0 || r >= numDropReasons {
		return "unknown"
	}
	return dropReasonNames[r]
}

// DropReasons lists every reason, in order.
func DropReasons() []DropReason {
	out := make([]DropReason, numDropReasons)
	for i := range out {
		out[i] = DropReason(i)
	}
	return out
}

// Stats are a radio's counters. Drops are counted on the receiver when the
// frame had one (denied, loss, range, frequency) and on the transmitter
// otherwise (malformed, no such radio).
type Stats struct {
	TxFrames    uint64            `json:"tx_frames"`
	TxBytes     uint64            `json:"tx_bytes"`
	TxAcked     uint64            `json:"tx_acked"`
	TxFailed    uint64            `json:"tx_failed"`  // unicast frames never acked
	TxRetries   uint64            `json:"tx_retries"` // attempts beyond the first
	RxFrames    uint64            `json:"rx_frames"`
	RxBytes     uint64            `json:"rx_bytes"`
	Drops       map[string]uint64 `json:"drops"`
	DispatchErr uint64            `json:"dispatch_errors"`
}

type counters struct {
	txFrames, txBytes, txAcked, txFailed, txRetries atomic.Uint64
	rxFrames, rxBytes, dispatchErr                  atomic.Uint64
	drops                                           [numDropReasons]atomic.Uint64
}

// airCounters are a radio's air model counters: airtime of its exchanges
// (ns) and attempts per rate ([format][index], see rateSlot). Allocated
// apart from the Radio so the plain path's fields stay close together.
type airCounters struct {
	airtimeNs    atomic.Uint64
	rateAttempts [4][numRateSlots]atomic.Uint64
}

// Radio is one radio on the medium. Its slot is fixed for its lifetime and
// indexes the medium's link table.
type Radio struct {
	m    *Medium
	slot int
	name string
	kind Kind
	addr frames.MAC
	port Port
	freq atomic.Uint32
	c    counters

	// rng draws this transmitter's losses. Per radio (not global) so that
	// transmitters never contend, and a run is reproducible per radio for a
	// given --seed and frame sequence.
	rngMu sync.Mutex
	rng   *rand.Rand
	// rc are the rate controls of frames to each receiver slot, for a
	// MAC that gives no rate chain (guarded by rngMu).
	rc []*ratectl.Controller
	// rts is the RTS threshold in bytes, rtsOff when off (rts.go).
	rts atomic.Int32

	airc *airCounters

	removed atomic.Bool
	// inCallback counts the timed schedulers' deliveries running into
	// this radio's port (see transmitTimed).
	inCallback atomic.Int32

	// status, when set, describes the radio's MAC instead of its port
	// (a hwsim radio's MAC is mac80211 driven by hostapd/wpa_supplicant,
	// which the lab asks).
	status atomic.Pointer[func() MACStatus]
}

// SetStatusSource makes fn the source of the radio's MAC status (`vmctl
// radios`), for radios whose port cannot report it itself; nil removes it.
func (r *Radio) SetStatusSource(fn func() MACStatus) {
	if fn == nil {
		r.status.Store(nil)
		return
	}
	r.status.Store(&fn)
}

// MACStatus returns the radio's MAC status, from its status source or its
// port, and whether either could give one.
func (r *Radio) MACStatus() (MACStatus, bool) {
	if fn := r.status.Load(); fn != nil {
		return (*fn)(), true
	}
	if sr, ok := r.port.(StatusReporter); ok {
		return sr.MACStatus(), true
	}
	return MACStatus{}, false
}

// Name returns the radio's name (vw0, …).
func (r *Radio) Name() string { return r.name }

// Kind returns the radio's backend kind.
func (r *Radio) Kind() Kind { return r.kind }

// Addr returns the radio's own hardware address.
func (r *Radio) Addr() frames.MAC { return r.addr }

// Port returns the port frames are delivered to.
func (r *Radio) Port() Port { return r.port }

// Freq returns the radio's current frequency in MHz (0 = all).
func (r *Radio) Freq() uint32 { return r.freq.Load() }

// SetFreq changes the radio's frequency; it takes effect for the next frame.
func (r *Radio) SetFreq(mhz uint32) { r.freq.Store(mhz) }

// Stats returns a copy of the radio's counters.
func (r *Radio) Stats() Stats {
	s := Stats{
		TxFrames: r.c.txFrames.Load(), TxBytes: r.c.txBytes.Load(),
		TxAcked: r.c.txAcked.Load(), TxFailed: r.c.txFailed.Load(), TxRetries: r.c.txRetries.Load(),
		RxFrames: r.c.rxFrames.Load(), RxBytes: r.c.rxBytes.Load(),
		DispatchErr: r.c.dispatchErr.Load(),
		Drops:       make(map[string]uint64, numDropReasons),
	}
	for i := range r.c.drops {
		s.Drops[DropReason(i).String()] = r.c.drops[i].Load()
	}
	return s
}

// Drops returns the count for one reason.
func (r *Radio) Drops(reason DropReason) uint64 { return r.c.drops[reason].Load() }

// Transmit sends frame from r on the medium. See Medium.Transmit.
func (r *Radio) Transmit(frame []byte, opt TxOptions) TxResult {
	return r.m.Transmit(r, frame, opt)
}

// AddAddr adds an extra address r answers to (reference counted: the kernel
// adds a station's own address twice around a scan and removes it once).
func (r *Radio) AddAddr(a frames.MAC) { r.m.addrRef(r, a, +1) }

// DelAddr drops one reference to an extra address.
func (r *Radio) DelAddr(a frames.MAC) { r.m.addrRef(r, a, -1) }
