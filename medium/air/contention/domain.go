// SPDX-License-Identifier: MIT

package contention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/medium/air"
)

// DefaultCCADBm is the CCA preamble-detection threshold of an OFDM 20 MHz
// receiver (IEEE 802.11-2020 17.3.10.6: −82 dBm): a station defers to any
// PPDU it receives at or above it, and decodes its duration field.
const DefaultCCADBm = -82.0

// DefaultCCATime is how long a station needs to notice a transmission
// start (aCCATime, < 4 µs for OFDM): a countdown ending that close after
// another station's start still transmits, and collides.
const DefaultCCATime = 4 * time.Microsecond

// DefaultQueueLimit is the per-station queue of frames waiting for the air
// (mac80211_hwsim holds 200 frames pending per radio).
const DefaultQueueLimit = 256

// Job is one frame handed to the air: a unicast frame (Dst ≥ 0) walks its
// retry chain, a group frame (Dst < 0) is sent once at stage 0 and judged
// per receiver.
type Job struct {
	Src, Dst int
	Len      int
	Chain    air.Chain
	AC       air.AC
	// NoAck: no ACK expected (no-ack policy); implied for group frames.
	NoAck bool
	// Tag is the caller's (e.g. the hwsim cookie); the domain ignores it.
	Tag uint64
}

// Handler receives the domain's results. Both are called on the domain's
// goroutine, at the simulated time of the event; they must not block and
// may call Domain.Enqueue.
type Handler interface {
	// Deliver: the data of j reached station rx at the end of its data
	// PPDU, sent in mode md, with signal signalDBm. A unicast frame is
	// delivered at most once even if its ACKs are lost.
	Deliver(j *Job, rx int, md air.Mode, signalDBm float64, at time.Duration)
	// Done: j's exchange is over (TX status time); o says how.
	Done(j *Job, o *air.Outcome, at time.Duration)
}

// Config describes a contention domain.
type Config struct {
	Model  *air.Model
	Timing air.Timing
	// SignalDBm[i][j] is the signal of station i at station j.
	SignalDBm [][]float64
	// CCADBm; 0 means DefaultCCADBm.
	CCADBm float64
	// CCATime; 0 means DefaultCCATime.
	CCATime time.Duration
	// QueueLimit per station; 0 means DefaultQueueLimit.
	QueueLimit int
	Seed       uint64
	// FreqMHz is the domain's channel, for metrics.
	FreqMHz uint32
	// Loss[i][j] is an explicit loss of station i's data at station j on
	// top of the SINR (a test knob: vmctl link --loss); nil means none.
	// Only data PPDUs are lost this way, RTS, CTS and ACK are not.
	Loss [][]LinkLoss
	// NoPER: a reception nothing overlapped is always decoded (errors
	// flat: rate and length play no role); overlapping PPDUs are still
	// judged by their SINR.
	NoPER bool
}

// LinkLoss is an explicit loss probability on one ordered pair, drawn
// per attempt.
type LinkLoss struct {
	P float64
}

type frameKind uint8

const (
	frameRTS frameKind = iota
	frameCTS
	frameData
	frameAck
	frameCTSSelf
)

// ppdu is one transmission on the air.
type ppdu struct {
	src, dst int
	kind     frameKind
	mode     air.Mode
	length   int
	start    time.Duration
	end      time.Duration
	// navUntil is where its duration field extends the NAV of stations
	// that decode it.
	navUntil time.Duration
	// overlap lists the stations that transmitted while it was on air.
	overlap []int32
	active  bool
}

type stState uint8

const (
	stIdle stState = iota
	stContend
	stExchange
)

type station struct {
	q          []Job
	head, n    int
	state      stState
	backoff    int
	cw         int
	params     air.EDCAParams
	aifs       time.Duration
	busy       int
	nav        time.Duration
	idleSince  time.Duration
	counting   bool
	countStart time.Duration
	cdEnd      time.Duration // when the running countdown ends
	navWait    bool          // an NAV expiry is pending for it
	gen        uint32
	stage      int
	attempt    int
	out        air.Outcome
	dropped    uint64
}

// Domain is one contention domain: stations on one channel that hear or
// disturb each other. It is a discrete-event simulation driven by Step;
// it is not safe for concurrent use (Runner adds a goroutine and a clock).
type Domain struct {
	cfg     Config
	h       Handler
	now     time.Duration
	st      []station
	sig     [][]float64 // dBm
	mw      [][]float64 // linear mW
	hears   [][]bool    // sig ≥ CCA
	noiseMW [4]float64
	ppdus   []ppdu
	free    []int32
	active  []int32
	q       eventQueue
	rng     *rand.Rand
	cnt     Counters
	busyAt  time.Duration
	// One countdown event stands for every station's countdown: the
	// earliest end, rescanned when a countdown starts or stops. With N
	// stations hearing each PPDU that saves N heap pushes per PPDU.
	cdDirty     bool
	cdScheduled bool
	cdAt        time.Duration
	cdGen       uint32
	due         []int
}

// Counters are the domain's metrics, readable from any goroutine.
type Counters struct {
	// BusyNs: time with at least one PPDU on the air.
	BusyNs atomic.Int64
	// NowNs: the domain's current simulated time.
	NowNs atomic.Int64
	// AirtimeNs per station: time its own PPDUs were on the air.
	AirtimeNs []atomic.Int64
	// Collisions: receptions lost while another PPDU overlapped.
	Collisions atomic.Uint64
	// Attempts per rate: [format][index], VHT index (NSS−1)·10+MCS.
	Attempts [4][40]atomic.Uint64
	// Dropped: frames refused because a station's queue was full.
	Dropped atomic.Uint64
	// Frames delivered and exchanges done.
	Delivered, Done atomic.Uint64
}

// rateSlot is the Attempts index of a mode.
func rateSlot(m air.Mode) (int, int) {
	i := int(m.Index)
	if m.Format == air.FormatVHT {
		i = (int(m.NSS)-1)*10 + int(m.Index)
	}
	if i >= 40 {
		i = 39
	}
	return int(m.Format), i
}

// New builds a domain of len(cfg.SignalDBm) stations.
func New(cfg Config, h Handler) (*Domain, error) {
	n := len(cfg.SignalDBm)
	if cfg.Model == nil {
		return nil, fmt.Errorf("contention: no error model")
	}
	for i, row := range cfg.SignalDBm {
		if len(row) != n {
			return nil, fmt.Errorf("contention: signal row %d has %d entries, want %d", i, len(row), n)
		}
	}
	if cfg.Loss != nil {
		if len(cfg.Loss) != n {
			return nil, fmt.Errorf("contention: %d loss rows, want %d", len(cfg.Loss), n)
		}
		for i, row := range cfg.Loss {
			if len(row) != n {
				return nil, fmt.Errorf("contention: loss row %d has %d entries, want %d", i, len(row), n)
			}
		}
	}
	if cfg.Timing.Slot <= 0 || cfg.Timing.SIFS <= 0 {
		return nil, fmt.Errorf("contention: timing without slot/SIFS: %+v", cfg.Timing)
	}
	if cfg.CCADBm == 0 {
		cfg.CCADBm = DefaultCCADBm
	}
	if cfg.CCATime == 0 {
		cfg.CCATime = DefaultCCATime
	}
	if cfg.QueueLimit <= 0 {
		cfg.QueueLimit = DefaultQueueLimit
	}
	d := &Domain{cfg: cfg, h: h, st: make([]station, n), sig: cfg.SignalDBm,
		rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
	d.mw = make([][]float64, n)
	d.hears = make([][]bool, n)
	for i := range n {
		d.mw[i] = make([]float64, n)
		d.hears[i] = make([]bool, n)
		for j := range n {
			d.mw[i][j] = math.Pow(10, cfg.SignalDBm[i][j]/10)
			d.hears[i][j] = i != j && cfg.SignalDBm[i][j] >= cfg.CCADBm
		}
		d.st[i].q = make([]Job, cfg.QueueLimit)
	}
	for wi, w := range [4]air.Width{air.Width20, air.Width40, air.Width80, air.Width160} {
		d.noiseMW[wi] = math.Pow(10, cfg.Model.Noise().DBm(w)/10)
	}
	// Each station has at most a few PPDUs in flight (its own and the
	// responses it waits for): size the pool once.
	d.ppdus = make([]ppdu, 3*n+4)
	for i := range d.ppdus {
		d.ppdus[i].overlap = make([]int32, 0, n)
		d.free = append(d.free, int32(i))
	}
	d.active = make([]int32, 0, len(d.ppdus))
	d.q.h = make([]event, 0, 8*n+8)
	d.cnt.AirtimeNs = make([]atomic.Int64, n)
	return d, nil
}

// Counters returns the domain's metrics.
func (d *Domain) Counters() *Counters { return &d.cnt }

// FreqMHz is the domain's channel, as configured (for metrics labels).
func (d *Domain) FreqMHz() uint32 { return d.cfg.FreqMHz }

// Now is the domain's simulated time.
func (d *Domain) Now() time.Duration { return d.now }

// Next returns the time of the next event.
func (d *Domain) Next() (time.Duration, bool) { return d.q.peek() }

// Enqueue queues j at station j.Src at time now (≥ the domain's time).
// It reports false, counting a drop, when the queue is full or the
// stations are out of range.
func (d *Domain) Enqueue(j Job, now time.Duration) bool {
	if !d.valid(&j) {
		d.cnt.Dropped.Add(1)
		return false
	}
	if now > d.now {
		d.now = now
	}
	s := &d.st[j.Src]
	if s.n == len(s.q) {
		s.dropped++
		d.cnt.Dropped.Add(1)
		return false
	}
	s.q[(s.head+s.n)%len(s.q)] = j
	s.n++
	if s.state == stIdle {
		d.startJob(j.Src)
	}
	d.flushCountdown()
	return true
}

// valid rejects jobs the engine cannot run: unknown stations, a frame to
// itself, an empty chain, a stage without attempts or with a mode that is
// not valid.
func (d *Domain) valid(j *Job) bool {
	if j.Src < 0 || j.Src >= len(d.st) || j.Dst >= len(d.st) || j.Dst == j.Src || j.Len < 0 {
		return false
	}
	if j.Chain.N < 1 || j.Chain.N > air.MaxStages {
		return false
	}
	for i := 0; i < j.Chain.N; i++ {
		st := &j.Chain.Stages[i]
		if st.Count == 0 || st.Mode.Validate() != nil {
			return false
		}
	}
	return true
}

// BusyRatio is the share of the domain's simulated time the channel had
// at least one PPDU on the air.
func (c *Counters) BusyRatio() float64 {
	now := c.NowNs.Load()
	if now <= 0 {
		return 0
	}
	return float64(c.BusyNs.Load()) / float64(now)
}

// RunUntil processes every event up to and including time t, then sets
// the domain's time to t.
func (d *Domain) RunUntil(t time.Duration) {
	for {
		at, ok := d.q.peek()
		if !ok || at > t {
			break
		}
		d.Step()
	}
	if t > d.now {
		d.now = t
		d.cnt.NowNs.Store(int64(t))
	}
}

// Step processes the next event, if any.
func (d *Domain) Step() {
	if len(d.q.h) == 0 {
		return
	}
	e := d.q.pop()
	if e.at > d.now {
		d.now = e.at
		d.cnt.NowNs.Store(int64(e.at))
	}
	i := int(e.st)
	switch e.kind {
	case evCountdown:
		if e.gen != d.cdGen {
			break
		}
		d.cdScheduled = false
		// Every station whose countdown ends now transmits now: those
		// that end together collide (none can hear the others start).
		d.due = d.due[:0]
		for x := range d.st {
			if s := &d.st[x]; s.counting && s.cdEnd <= d.now {
				d.due = append(d.due, x)
			}
		}
		for _, x := range d.due {
			s := &d.st[x]
			s.counting = false
			s.backoff = 0
			d.startAttempt(x)
		}
		d.cdDirty = true
	case evPPDUEnd:
		d.ppduEnd(e.ppdu)
	case evPPDUStart:
		d.responseStart(i, e.frame, e.ppdu)
	case evNAVEnd:
		for x := range d.st {
			s := &d.st[x]
			if s.navWait && d.now >= s.nav {
				s.navWait = false
				if s.busy == 0 {
					d.becameIdle(x)
				}
			}
		}
	case evFail:
		if e.gen == d.st[i].gen {
			d.attemptFailed(i)
		}
	}
	d.flushCountdown()
}

// flushCountdown keeps one countdown event at the earliest countdown end.
func (d *Domain) flushCountdown() {
	if !d.cdDirty {
		return
	}
	d.cdDirty = false
	var at time.Duration
	found := false
	for x := range d.st {
		if s := &d.st[x]; s.counting && (!found || s.cdEnd < at) {
			at, found = s.cdEnd, true
		}
	}
	if !found {
		d.cdGen++
		d.cdScheduled = false
		return
	}
	if d.cdScheduled && d.cdAt == at {
		return
	}
	d.cdGen++
	d.cdAt, d.cdScheduled = at, true
	d.schedule(event{at: at, kind: evCountdown, gen: d.cdGen})
}

func (d *Domain) schedule(e event) { d.q.push(e) }

// sensesIdle: no audible PPDU and NAV expired.
func (d *Domain) sensesIdle(i int) bool { s := &d.st[i]; return s.busy == 0 && d.now >= s.nav }

// startJob begins contention for the head of station i's queue.
func (d *Domain) startJob(i int) {
	s := &d.st[i]
	if s.n == 0 {
		s.state = stIdle
		return
	}
	j := &s.q[s.head]
	s.params = j.AC.Params(d.cfg.Timing)
	s.aifs = d.cfg.Timing.AIFS(j.AC)
	s.cw = s.params.CWMin
	s.stage, s.attempt = 0, 0
	s.out = air.Outcome{DeliveredStage: -1}
	d.contend(i)
}

// contend draws a backoff in [0, CW] and starts counting when idle.
func (d *Domain) contend(i int) {
	s := &d.st[i]
	s.state = stContend
	s.backoff = d.rng.IntN(s.cw + 1)
	if s.counting {
		s.counting = false
		d.cdDirty = true
	}
	if d.sensesIdle(i) {
		d.count(i)
	}
}

// count schedules the end of station i's countdown: AIFS after the medium
// went idle (or now, if later), then the remaining slots.
func (d *Domain) count(i int) {
	s := &d.st[i]
	start := s.idleSince + s.aifs
	if start < d.now {
		start = d.now
	}
	s.countStart = start
	s.counting = true
	s.cdEnd = start + time.Duration(s.backoff)*d.cfg.Timing.Slot
	d.cdDirty = true
}

// becameBusy freezes station i's countdown, keeping the slots not yet
// counted, unless it ends too soon for the station to have noticed.
func (d *Domain) becameBusy(i int) {
	s := &d.st[i]
	if !s.counting {
		return
	}
	if s.cdEnd <= d.now+d.cfg.CCATime {
		return // it transmits anyway: a collision in the making
	}
	if d.now > s.countStart {
		s.backoff -= int((d.now - s.countStart) / d.cfg.Timing.Slot)
		if s.backoff < 0 {
			s.backoff = 0
		}
	}
	s.counting = false
	d.cdDirty = true
}

// becameIdle restarts station i's countdown after the medium cleared.
func (d *Domain) becameIdle(i int) {
	s := &d.st[i]
	s.idleSince = d.now
	if s.state == stContend && !s.counting {
		d.count(i)
	}
}

// stageMode returns station i's current stage.
func (d *Domain) stage(i int) (*Job, *air.Stage) {
	s := &d.st[i]
	j := &s.q[s.head]
	return j, &j.Chain.Stages[s.stage]
}

// startAttempt sends the first PPDU of an attempt.
func (d *Domain) startAttempt(i int) {
	s := &d.st[i]
	s.state = stExchange
	j, st := d.stage(i)
	s.out.Attempts[s.stage]++
	f, k := rateSlot(st.Mode)
	d.cnt.Attempts[f][k].Add(1)
	group := j.Dst < 0
	switch {
	case st.Protection == air.ProtectRTSCTS && !group:
		d.startPPDU(i, j.Dst, frameRTS, d.ctl(st.Mode), air.RtsLen)
	case st.Protection == air.ProtectCTSToSelf:
		d.startPPDU(i, i, frameCTSSelf, d.ctl(st.Mode), air.CtsLen)
	default:
		d.startPPDU(i, j.Dst, frameData, st.Mode, j.Len)
	}
}

func (d *Domain) ctl(m air.Mode) air.Mode { return d.cfg.Model.BasicRates().ControlRate(m) }

func (d *Domain) dur(m air.Mode, length int) time.Duration {
	return m.Duration(length, d.cfg.Timing.Band)
}

// navFor is the NAV a frame of kind sets, counted from its end: the rest
// of the exchange (IEEE 802.11-2020 9.2.5).
func (d *Domain) navFor(kind frameKind, i int) time.Duration {
	j, st := d.stage(i)
	sifs := d.cfg.Timing.SIFS
	ctl := d.ctl(st.Mode)
	ack := time.Duration(0)
	if j.Dst >= 0 && !j.NoAck {
		ack = sifs + d.dur(ctl, air.AckLen)
	}
	data := d.dur(st.Mode, j.Len)
	switch kind {
	case frameRTS:
		return sifs + d.dur(ctl, air.CtsLen) + sifs + data + ack
	case frameCTS, frameCTSSelf:
		return sifs + data + ack
	case frameData:
		return ack
	}
	return 0
}

// startPPDU puts a PPDU of station src on the air now. owner is the
// station whose exchange it belongs to.
func (d *Domain) startPPDU(src, dst int, kind frameKind, m air.Mode, length int) {
	owner := src
	if kind == frameCTS || kind == frameAck {
		owner = dst
	}
	if len(d.free) == 0 {
		// Not reached with one PPDU per station at a time; grow rather
		// than fail if it ever is.
		d.ppdus = append(d.ppdus, ppdu{overlap: make([]int32, 0, len(d.st))})
		d.free = append(d.free, int32(len(d.ppdus)-1))
	}
	pi := d.free[len(d.free)-1]
	d.free = d.free[:len(d.free)-1]
	p := &d.ppdus[pi]
	dur := d.dur(m, length)
	*p = ppdu{src: src, dst: dst, kind: kind, mode: m, length: length, start: d.now, end: d.now + dur,
		overlap: p.overlap[:0], active: true}
	p.navUntil = p.end + d.navFor(kind, owner)
	for _, qi := range d.active {
		q := &d.ppdus[qi]
		q.overlap = addOnce(q.overlap, int32(src))
		p.overlap = addOnce(p.overlap, int32(q.src))
	}
	if len(d.active) == 0 {
		d.busyAt = d.now
	}
	d.active = append(d.active, pi)
	d.cnt.AirtimeNs[src].Add(int64(dur))
	// A station sending (even a response) is busy itself: its own
	// countdown must not run out under its own PPDU.
	if ss := &d.st[src]; true {
		ss.busy++
		if ss.busy == 1 && d.now >= ss.nav {
			d.becameBusy(src)
		}
	}
	for x := range d.st {
		if d.hears[src][x] {
			s := &d.st[x]
			s.busy++
			if s.busy == 1 && d.now >= s.nav {
				d.becameBusy(x)
			}
		}
	}
	d.schedule(event{at: p.end, kind: evPPDUEnd, ppdu: pi, st: int32(src)})
}

// addOnce appends x unless present: a station that sends several PPDUs
// during another one counts once as its interferer.
func addOnce(l []int32, x int32) []int32 {
	for _, v := range l {
		if v == x {
			return l
		}
	}
	return append(l, x)
}

// receives decides whether station rx decodes PPDU p: not if it
// transmitted meanwhile (half duplex), else one draw at the SINR with
// every overlapping transmission's power added in mW.
func (d *Domain) receives(p *ppdu, rx int) bool {
	interf := 0.0
	for _, o := range p.overlap {
		if int(o) == rx {
			return false
		}
		interf += d.mw[o][rx]
	}
	w := p.mode.Width
	if p.kind != frameData {
		w = air.Width20
	}
	if interf == 0 && d.cfg.NoPER {
		return true
	}
	noise := d.noiseMW[widthIndex(w)]
	sinr := d.sig[p.src][rx] - 10*math.Log10(noise+interf) + d.cfg.Model.FadeDB(d.rng)
	k := d.cfg.Model.Table().LogSuccess(p.mode.Curve(), sinr)
	ok := k == 0 || (k != math.Inf(-1) && d.rng.Float64() < math.Exp(k*float64(p.length)))
	if !ok && interf > 0 {
		d.cnt.Collisions.Add(1)
	}
	return ok
}

func widthIndex(w air.Width) int {
	switch w {
	case air.Width40:
		return 1
	case air.Width80:
		return 2
	case air.Width160:
		return 3
	}
	return 0
}

// ppduEnd takes PPDU pi off the air and runs the protocol step it ends.
func (d *Domain) ppduEnd(pi int32) {
	p := &d.ppdus[pi]
	p.active = false
	for k, qi := range d.active {
		if qi == pi {
			d.active[k] = d.active[len(d.active)-1]
			d.active = d.active[:len(d.active)-1]
			break
		}
	}
	if len(d.active) == 0 {
		d.cnt.BusyNs.Add(int64(d.now - d.busyAt))
	}
	// Third parties that hear it take its duration into their NAV, then
	// stop counting it as energy on the air. They all expire together:
	// one event checks them.
	navSet := false
	for x := range d.st {
		if !d.hears[p.src][x] {
			continue
		}
		s := &d.st[x]
		if x != p.dst && p.navUntil > s.nav {
			s.nav = p.navUntil
			s.navWait = true
			navSet = true
		}
		s.busy--
		if s.busy == 0 && d.now >= s.nav {
			d.becameIdle(x)
		}
	}
	if navSet {
		d.schedule(event{at: p.navUntil, kind: evNAVEnd, st: -1})
	}
	if ss := &d.st[p.src]; true {
		ss.busy--
		if ss.busy == 0 && d.now >= ss.nav {
			d.becameIdle(p.src)
		}
	}
	d.protocol(p)
	d.free = append(d.free, pi)
}

// protocol reacts to the end of PPDU p.
func (d *Domain) protocol(p *ppdu) {
	t := &d.cfg.Timing
	switch p.kind {
	case frameRTS:
		if d.receives(p, p.dst) {
			d.schedule(event{at: d.now + t.SIFS, kind: evPPDUStart, frame: frameCTS, st: int32(p.dst), ppdu: int32(p.src)})
			return
		}
		d.failAfter(p.src, t.SIFS+t.Slot+t.RxStartDelay)
	case frameCTS:
		if d.receives(p, p.dst) {
			d.schedule(event{at: d.now + t.SIFS, kind: evPPDUStart, frame: frameData, st: int32(p.dst), ppdu: int32(p.dst)})
			return
		}
		d.failAfter(p.dst, 0)
	case frameCTSSelf:
		d.schedule(event{at: d.now + t.SIFS, kind: evPPDUStart, frame: frameData, st: int32(p.src), ppdu: int32(p.src)})
	case frameData:
		d.dataEnd(p)
	case frameAck:
		if d.receives(p, p.dst) {
			s := &d.st[p.dst]
			s.out.Acked = true
			d.finish(p.dst)
			return
		}
		d.failAfter(p.dst, 0)
	}
}

// dataEnd judges the data PPDU at its receiver(s) and delivers.
func (d *Domain) dataEnd(p *ppdu) {
	i := p.src
	s := &d.st[i]
	j, _ := d.stage(i)
	if j.Dst < 0 {
		for rx := range d.st {
			if rx != i && d.receives(p, rx) && !d.lost(i, rx) {
				d.cnt.Delivered.Add(1)
				d.h.Deliver(j, rx, p.mode, d.sig[i][rx], d.now)
			}
		}
		if s.out.DeliveredStage < 0 {
			s.out.Delivered, s.out.DeliveredStage = true, int8(s.stage)
		}
		d.finish(i)
		return
	}
	ok := d.receives(p, j.Dst) && !d.lost(i, j.Dst)
	if ok && !s.out.Delivered {
		s.out.Delivered, s.out.DeliveredStage = true, int8(s.stage)
		d.cnt.Delivered.Add(1)
		d.h.Deliver(j, j.Dst, p.mode, d.sig[i][j.Dst], d.now)
	}
	t := &d.cfg.Timing
	switch {
	case j.NoAck:
		d.finish(i)
	case ok:
		d.schedule(event{at: d.now + t.SIFS, kind: evPPDUStart, frame: frameAck, st: int32(j.Dst), ppdu: int32(i)})
	default:
		d.failAfter(i, t.SIFS+t.Slot+t.RxStartDelay)
	}
}

// lost draws the explicit loss of a data PPDU from station i at rx.
func (d *Domain) lost(i, rx int) bool {
	if d.cfg.Loss == nil {
		return false
	}
	p := d.cfg.Loss[i][rx].P
	return p > 0 && (p >= 1 || d.rng.Float64() < p)
}

// responseStart starts a scheduled PPDU: a CTS or ACK from station i to
// station peer, or the data after a CTS.
func (d *Domain) responseStart(i int, f frameKind, peer int32) {
	switch f {
	case frameCTS, frameAck:
		_, st := d.stage(int(peer))
		d.startPPDU(i, int(peer), f, d.ctl(st.Mode), air.AckLen)
	case frameData:
		j, st := d.stage(i)
		d.startPPDU(i, j.Dst, frameData, st.Mode, j.Len)
	}
}

// failAfter ends station i's attempt as failed after a timeout.
func (d *Domain) failAfter(i int, after time.Duration) {
	if after == 0 {
		d.attemptFailed(i)
		return
	}
	s := &d.st[i]
	s.gen++
	d.schedule(event{at: d.now + after, kind: evFail, st: int32(i), gen: s.gen})
}

// attemptFailed moves to the next attempt (CW doubled) or gives up.
func (d *Domain) attemptFailed(i int) {
	s := &d.st[i]
	j := &s.q[s.head]
	s.attempt++
	if s.attempt >= int(j.Chain.Stages[s.stage].Count) {
		s.stage++
		s.attempt = 0
	}
	if s.stage >= j.Chain.N || j.Dst < 0 || j.NoAck {
		if s.stage >= j.Chain.N {
			s.stage = j.Chain.N - 1
		}
		d.finish(i)
		return
	}
	s.cw = min(2*s.cw+1, s.params.CWMax)
	s.idleSince = max(s.idleSince, d.now)
	d.contend(i)
}

// finish reports station i's exchange and moves to its next frame with
// the contention window reset.
func (d *Domain) finish(i int) {
	s := &d.st[i]
	j := &s.q[s.head]
	d.cnt.Done.Add(1)
	d.h.Done(j, &s.out, d.now)
	s.head = (s.head + 1) % len(s.q)
	s.n--
	s.idleSince = max(s.idleSince, d.now)
	s.gen++
	d.startJob(i)
}

// Queued returns how many frames wait at station i (including the one on
// the air).
func (d *Domain) Queued(i int) int { return d.st[i].n }
