// SPDX-License-Identifier: MIT

// Package medium is vmedium's shared air: the registry of radios of every
// kind, the link model (signal, loss, positions, denylist) and the dispatch
// fast path that decides, for each transmitted frame, who hears it.
//
// Configuration lives behind a mutex and is compiled on every change into an
// immutable snapshot published with an atomic pointer (copy on write). The
// per-frame path loads the snapshot, reads the per-pair link table by slot
// index and allocates nothing; it takes no global lock.
package medium

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/contention"
)

// Options configure a Medium. Zero values take the documented defaults.
type Options struct {
	Seed           uint64   // loss RNG seed; same seed + same frames = same losses
	DefaultSignal  *float64 // dBm for pairs without explicit signal or positions
	SensitivityDBm *float64 // frames below this are not heard
	NoiseDBm       *float64
}

// TxOptions describe one transmission.
type TxOptions struct {
	// NoAck: the frame expects no ACK (group-addressed, or no-ack policy).
	// It is sent once and never reported as acked.
	NoAck bool
	// MaxAttempts is how many times a unicast frame may be sent before it is
	// given up (1 + retries). 0 means 1.
	MaxAttempts int
	// FreqMHz is the frame's channel; 0 means the transmitter's frequency.
	FreqMHz uint32
	// RateIdx is the legacy rate index reported to receivers.
	RateIdx uint8
	// Chain is the rate chain the transmitter used (hwsim: decoded from
	// TX_INFO; Go MACs: their rate control). Nil means one legacy stage at
	// RateIdx with MaxAttempts attempts. Only the air model reads it
	// (errors per, airtime account/timed); Transmit does not keep it.
	Chain *air.Chain
	// Done, with airtime timed, makes Transmit return at once (Pending)
	// and report the outcome to Done when the exchange ends on the air,
	// on the channel's scheduler goroutine. Without Done a timed Transmit
	// blocks until then. Ignored otherwise.
	Done func(TxResult)
}

// TxResult is the truthful outcome of a transmission, for backends that
// report TX status (hwsim, kmod).
type TxResult struct {
	Acked     bool  // addr1's radio received the frame on some attempt
	Attempts  int   // attempts used (≥1)
	AckSignal int32 // signal of the ACK at the transmitter (reverse link), if acked
	Delivered int   // receivers that got the frame

	// Air is set when the air model produced the fields below (errors
	// per, or airtime account/timed).
	Air bool
	// Pending: the outcome goes to TxOptions.Done later (airtime timed).
	Pending bool
	// StageAttempts are the attempts used per stage of the rate chain.
	StageAttempts [air.MaxStages]uint8
	// Stage is the chain stage whose attempt delivered the frame, −1 if none.
	Stage int8
	// RxRateIdx is the legacy rate index (the band's table) of the
	// delivering stage, as reported to the receiver.
	RxRateIdx uint8
}

// Medium is the shared air. The zero value is not usable; call New.
type Medium struct {
	opts      Options
	defSignal float64
	sens      float64
	noise     int32

	mu       sync.Mutex // guards the configuration below and snapshot rebuilds
	radios   []*Radio   // by slot; nil = free
	byName   map[string]*Radio
	addrRefs map[frames.MAC]addrOwner // extra addresses (not radios' own)
	links    map[[2]string]LinkConfig
	pos      map[string]Position
	txPower  map[string]float64
	deny     *denylist.List
	air      AirConfig  // normalized and valid
	airModel *air.Model // built from air when it is active
	motion   map[string]*motion
	acct     airAccount
	timed    *timedAir // running schedulers of airtime timed
	// clock drives the timed schedulers; nil is the wall clock (tests set
	// a contention.SimClock before SetAir).
	clock contention.Clock
	// pairModel, if set, decides the links (linkmodel.go).
	pairModel PairModel

	snap      atomic.Pointer[snapshot]
	observers atomic.Pointer[[]Observer]
	obsMu     sync.Mutex

	// OnChange, if set, is called (outside the lock) after every
	// configuration change, e.g. to persist state.
	onChange atomic.Pointer[func()]
}

type addrOwner struct {
	r    *Radio
	refs int
}

// snapshot is the immutable compiled configuration read per frame.
type snapshot struct {
	radios []*Radio              // by slot; nil holes
	byAddr map[frames.MAC]*Radio // own and extra addresses
	n      int                   // len(radios); links is n×n
	links  []link                // links[tx*n+rx]
	dbm    []float64             // unrounded signals, as links (the air model's)
	// air is the compiled air model; nil with errors flat and airtime
	// off, so the plain dispatch path costs one pointer test.
	air *airSnap
}

func (s *snapshot) link(tx, rx int) *link { return &s.links[tx*s.n+rx] }

// signal is the unrounded signal of tx at rx in dBm (the air model's).
func (s *snapshot) signal(tx, rx int) float64 { return s.dbm[tx*s.n+rx] }

// New returns an empty medium.
func New(opts Options) *Medium {
	m := &Medium{
		opts:      opts,
		defSignal: DefaultSignalDBm,
		sens:      DefaultSensitivityDBm,
		noise:     DefaultNoiseDBm,
		byName:    make(map[string]*Radio),
		addrRefs:  make(map[frames.MAC]addrOwner),
		links:     make(map[[2]string]LinkConfig),
		pos:       make(map[string]Position),
		txPower:   make(map[string]float64),
		deny:      denylist.New(),
		air:       DefaultAirConfig(),
		motion:    make(map[string]*motion),
	}
	m.acct.reset()
	if opts.DefaultSignal != nil {
		m.defSignal = *opts.DefaultSignal
	}
	if opts.SensitivityDBm != nil {
		m.sens = *opts.SensitivityDBm
	}
	if opts.NoiseDBm != nil {
		m.noise = int32(math.Round(*opts.NoiseDBm))
	}
	m.snap.Store(&snapshot{byAddr: map[frames.MAC]*Radio{}})
	empty := []Observer{}
	m.observers.Store(&empty)
	return m
}

// OnChange registers f to run after every configuration change (links,
// positions, denylist, radios). Only one function is kept.
func (m *Medium) OnChange(f func()) { m.onChange.Store(&f) }

func (m *Medium) changed() {
	if f := m.onChange.Load(); f != nil && *f != nil {
		(*f)()
	}
}

// AddRadio registers a radio. Names and addresses must be unique.
func (m *Medium) AddRadio(cfg RadioConfig, port Port) (*Radio, error) {
	if cfg.Name == "" {
		return nil, &InvalidValueError{What: "radio name", Value: `""`, Accepted: "a non-empty name such as vw0"}
	}
	if port == nil {
		return nil, fmt.Errorf("add radio %s: nil port", cfg.Name)
	}
	m.mu.Lock()
	if _, ok := m.byName[cfg.Name]; ok {
		m.mu.Unlock()
		return nil, fmt.Errorf("add radio %s: name: %w", cfg.Name, ErrDuplicateRadio)
	}
	if s := m.snap.Load(); s.byAddr[cfg.Addr] != nil {
		m.mu.Unlock()
		return nil, fmt.Errorf("add radio %s: address %s: %w", cfg.Name, cfg.Addr, ErrDuplicateRadio)
	}
	slot := -1
	for i, r := range m.radios {
		if r == nil {
			slot = i
			break
		}
	}
	if slot < 0 {
		slot = len(m.radios)
		m.radios = append(m.radios, nil)
	}
	h := fnv.New64a()
	h.Write([]byte(cfg.Name))
	seed := h.Sum64()
	r := &Radio{
		m: m, slot: slot, name: cfg.Name, kind: cfg.Kind, addr: cfg.Addr, port: port,
		rng:  rand.New(rand.NewPCG(m.opts.Seed, seed)),
		airc: &airCounters{},
	}
	r.freq.Store(cfg.FreqMHz)
	r.rts.Store(rtsOff)
	if cfg.RTSThreshold != nil {
		if err := r.SetRTSThreshold(*cfg.RTSThreshold); err != nil {
			m.mu.Unlock()
			return nil, fmt.Errorf("add radio %s: %w", cfg.Name, err)
		}
	}
	m.radios[slot] = r
	m.byName[cfg.Name] = r
	if cfg.Position != nil {
		m.pos[cfg.Name] = *cfg.Position
	}
	if cfg.TxPowerDBm != nil {
		m.txPower[cfg.Name] = *cfg.TxPowerDBm
	}
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return r, nil
}

// RemoveRadio unregisters a radio. Its link, position and deny settings stay
// in the configuration, so a radio that comes back under the same name gets
// them again.
func (m *Medium) RemoveRadio(r *Radio) {
	m.mu.Lock()
	if m.byName[r.name] != r {
		m.mu.Unlock()
		return
	}
	r.removed.Store(true)
	delete(m.byName, r.name)
	m.radios[r.slot] = nil
	for a, o := range m.addrRefs {
		if o.r == r {
			delete(m.addrRefs, a)
		}
	}
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
}

func (m *Medium) addrRef(r *Radio, a frames.MAC, delta int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.removed.Load() || a == r.addr {
		return // a radio always answers to its own address
	}
	o, ok := m.addrRefs[a]
	if ok && o.r != r {
		if delta < 0 {
			return
		}
		o = addrOwner{} // address moved to another radio
	}
	o.r = r
	o.refs += delta
	if o.refs <= 0 {
		delete(m.addrRefs, a)
	} else {
		m.addrRefs[a] = o
	}
	m.rebuildLocked()
}

// Radio returns the radio with that name.
func (m *Medium) Radio(name string) (*Radio, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byName[name]
	return r, ok
}

// RadioByAddr returns the radio owning address a (own or extra).
func (m *Medium) RadioByAddr(a frames.MAC) (*Radio, bool) {
	r := m.snap.Load().byAddr[a]
	return r, r != nil
}

// Names returns the sorted names of the registered radios.
func (m *Medium) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.namesLocked()
}

func (m *Medium) namesLocked() []string {
	out := make([]string, 0, len(m.byName))
	for n := range m.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (m *Medium) lookupLocked(name string) (*Radio, error) {
	r, ok := m.byName[name]
	if !ok {
		return nil, &UnknownRadioError{Name: name, Known: m.namesLocked()}
	}
	return r, nil
}

// rebuildLocked compiles the configuration into a new snapshot.
func (m *Medium) rebuildLocked() {
	n := len(m.radios)
	s := &snapshot{
		radios: append([]*Radio(nil), m.radios...),
		byAddr: make(map[frames.MAC]*Radio, len(m.byName)+len(m.addrRefs)),
		n:      n,
		links:  make([]link, n*n),
		dbm:    make([]float64, n*n),
	}
	for a, o := range m.addrRefs {
		s.byAddr[a] = o.r
	}
	for _, r := range m.radios {
		if r != nil {
			s.byAddr[r.addr] = r // own address wins over an extra one
		}
	}
	for _, tx := range m.radios {
		if tx == nil {
			continue
		}
		for _, rx := range m.radios {
			if rx == nil || rx == tx {
				continue
			}
			l, dbm := m.effectiveLocked(tx.name, rx.name)
			*s.link(tx.slot, rx.slot) = l
			s.dbm[tx.slot*n+rx.slot] = dbm
		}
	}
	s.air = m.compileAirLocked(s)
	m.snap.Store(s)
}

// effectiveLocked is the compiled link src→dst and its unrounded signal.
func (m *Medium) effectiveLocked(src, dst string) (link, float64) {
	l := link{signal: int32(math.Round(m.defSignal)), source: SourceDefault}
	dbm := m.defSignal
	cfg := m.links[[2]string{src, dst}]
	switch {
	case cfg.SignalDBm != nil:
		dbm = *cfg.SignalDBm
		l.signal = int32(math.Round(*cfg.SignalDBm))
		l.source = SourceExplicit
	default:
		ps, ok1 := m.pos[src]
		pd, ok2 := m.pos[dst]
		if ok1 && ok2 {
			p := DefaultTxPowerDBm
			if v, ok := m.txPower[src]; ok {
				p = v
			}
			dbm = m.air.Propagation.SignalDBm(p, ps.Distance(pd), m.freqLocked(src, dst), pairKey(src, dst))
			l.signal = int32(math.Round(dbm))
			l.source = SourcePosition
		}
	}
	if cfg.Loss != nil {
		l.loss = *cfg.Loss
	}
	l.weak = float64(l.signal) < m.sens
	l.denied = m.deny.Contains(src, dst)
	dbm = m.applyPairModelLocked(&l, dbm, src, dst, cfg)
	return l, dbm
}

// Observer sees the medium's traffic, e.g. for capture. Both methods run on
// the dispatch path: they must be quick, must not block and must copy frame
// if they keep it.
type Observer interface {
	// Transmitted is called once per transmission that parsed.
	Transmitted(tx *Radio, frame []byte, freq uint32)
	// Received is called for every delivery to a receiver.
	Received(tx, rx *Radio, frame []byte, info RxInfo)
}

// AddObserver registers o; RemoveObserver unregisters it.
func (m *Medium) AddObserver(o Observer) {
	m.obsMu.Lock()
	defer m.obsMu.Unlock()
	cur := *m.observers.Load()
	next := append(append([]Observer(nil), cur...), o)
	m.observers.Store(&next)
}

// RemoveObserver unregisters o.
func (m *Medium) RemoveObserver(o Observer) {
	m.obsMu.Lock()
	defer m.obsMu.Unlock()
	cur := *m.observers.Load()
	next := make([]Observer, 0, len(cur))
	for _, x := range cur {
		if x != o {
			next = append(next, x)
		}
	}
	m.observers.Store(&next)
}
