// SPDX-License-Identifier: MIT

package medium

import (
	"slices"
	"sync"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/contention"
	"github.com/vmedium/vmedium/medium/air/ratectl"
)

// timedAir is airtime timed: one contention domain per channel in use,
// each run live by a contention.Runner (one goroutine and timer), created
// on the channel's first frame. Frames are delivered at the end of their
// data PPDU and their TX status reported at the end of the exchange.
//
// Members of a channel's domain are the radios on that channel plus the
// radios that hear every channel (hwsim: the backend filters). The set is
// compiled from one snapshot; a configuration change that moves a signal
// by more than signalSlack or changes the radios replaces it (frames
// still waiting for the air are submitted again to the new set), one that
// does not keeps it running.
type timedAir struct {
	m      *Medium
	clock  contention.Clock
	radios []*Radio    // by slot, as compiled
	sig    [][]float64 // [tx slot][rx slot] dBm
	// loss is the explicit per-link loss, [tx slot][rx slot] (nil when
	// no link has any).
	loss  [][]contention.LinkLoss
	model *air.Model
	noPER bool // errors flat

	mu      sync.Mutex
	stopped bool
	domains map[uint32]*timedDomain
}

// timedDomain is one channel's scheduler and the frames it carries.
type timedDomain struct {
	ta      *timedAir
	freq    uint32
	members []*Radio // domain index → radio
	index   []int    // slot → domain index, −1 when not a member
	d       *contention.Domain
	r       *contention.Runner

	mu   sync.Mutex
	next uint64
	pend map[uint64]*pendingTx
	// inflight counts each member's frames submitted and not done, so a
	// full queue is refused here (and reported) rather than dropped
	// silently inside the domain.
	inflight []int
}

// pendingTx is a frame on its way through a domain.
type pendingTx struct {
	tx, sa *Radio
	frame  []byte
	info   RxInfo
	obs    []Observer
	chain  air.Chain
	noAck  bool
	res    TxResult
	done   func(TxResult)
	rc     *ratectl.Controller // the rate control that chose the chain, if any
	dst    *Radio              // addr1's radio; nil for group frames
	ac     air.AC
	// lost: the link's end-to-end loss (one draw per frame) took the
	// frame: it contends for the air but is never received, and its
	// whole chain is reported spent.
	lost bool
}

// pendingPool recycles pendingTx records with their frame buffers: a
// timed frame costs no allocation of its own once the pool is warm.
var pendingPool = sync.Pool{New: func() any { return new(pendingTx) }}

// release returns p to the pool once its Done has been called; nothing
// may use it afterwards (ports copy or send what Deliver gives them).
func (p *pendingTx) release() {
	buf := p.frame[:0]
	*p = pendingTx{frame: buf}
	pendingPool.Put(p)
}

// timedLocked returns the schedulers for snapshot s: the running ones when
// the radios and signals are unchanged, else a new set (the old one is
// stopped, its queued frames reported failed).
func (m *Medium) timedLocked(s *snapshot, a *airSnap) *timedAir {
	sig := make([][]float64, s.n)
	for i := range sig {
		sig[i] = make([]float64, s.n)
		for j := range sig[i] {
			if i != j {
				sig[i][j] = s.signal(i, j)
			}
		}
	}
	loss := lossMatrix(s)
	if old := m.timed; old != nil && old.model == a.model && old.noPER == !a.per && sameRadios(old.radios, s.radios) &&
		sameSignals(old.sig, sig) && slices.EqualFunc(old.loss, loss, slices.Equal) {
		return old
	}
	var queued []*pendingTx
	if m.timed != nil {
		queued = m.timed.drain()
	}
	clock := m.clock
	if clock == nil {
		clock = contention.NewWallClock()
	}
	m.timed = &timedAir{m: m, clock: clock, radios: s.radios, sig: sig, loss: loss, model: a.model, noPER: !a.per,
		domains: map[uint32]*timedDomain{}}
	// Frames still waiting for the air go on under the new signals.
	m.timed.resubmit(queued)
	return m.timed
}

// lossMatrix is the snapshot's explicit loss per ordered pair of slots;
// nil when no link has any (the common case: no draw at all).
func lossMatrix(s *snapshot) [][]contention.LinkLoss {
	var out [][]contention.LinkLoss
	for i := 0; i < s.n; i++ {
		for j := 0; j < s.n; j++ {
			l := s.link(i, j)
			// A link losing whole frames (the wmediumd prob model) is
			// drawn once per frame at Transmit (pendingTx.lost).
			if i == j || l.loss <= 0 || l.frameLoss {
				continue
			}
			if out == nil {
				out = make([][]contention.LinkLoss, s.n)
				for k := range out {
					out[k] = make([]contention.LinkLoss, s.n)
				}
			}
			out[i][j] = contention.LinkLoss{P: l.loss}
		}
	}
	return out
}

func sameRadios(a, b []*Radio) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// signalSlack is how far a pair's signal may drift from the one the
// running schedulers were built with before they are rebuilt: a radio
// moving at walking speed drifts a few hundredths of a dB per mobility
// tick, and every rebuild fails the frames queued at that moment.
const signalSlack = 0.5

// sameSignals: within signalSlack dB everywhere.
func sameSignals(a, b [][]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		for j := range a[i] {
			if d := a[i][j] - b[i][j]; d > signalSlack || d < -signalSlack {
				return false
			}
		}
	}
	return true
}

// stop ends every domain's goroutine and fails the frames they held.
func (ta *timedAir) stop() {
	for _, p := range ta.drain() {
		ta.m.failPending(p)
	}
}

// drain ends every domain's goroutine and returns the frames they held,
// in submission order per channel.
func (ta *timedAir) drain() []*pendingTx {
	ta.mu.Lock()
	ta.stopped = true
	ds := ta.domains
	ta.domains = nil
	ta.mu.Unlock()
	var out []*pendingTx
	for _, td := range ds {
		td.r.Stop()
		td.mu.Lock()
		pend := td.pend
		td.pend = nil
		td.mu.Unlock()
		tags := make([]uint64, 0, len(pend))
		for tag := range pend {
			tags = append(tags, tag)
		}
		slices.Sort(tags)
		for _, tag := range tags {
			out = append(out, pend[tag])
		}
	}
	return out
}

// failPending reports a frame the air never finished: failed, unless its
// data already reached its receiver (then it counts as acknowledged).
func (m *Medium) failPending(p *pendingTx) {
	p.res.Pending = false
	o := air.Outcome{Attempts: [air.MaxStages]uint8{1}, DeliveredStage: -1}
	if p.res.Delivered > 0 && !p.noAck {
		o.Acked, o.Delivered, o.DeliveredStage = true, true, 0
	}
	m.finishAir(&p.res, &o, p.tx, p.noAck)
	if p.done != nil {
		p.done(p.res)
	}
	p.release()
}

// resubmit hands frames drained from replaced schedulers to ta: those
// whose data reached nobody yet start over on the new air; the others,
// and those whose radios are gone, are reported as they stand.
func (ta *timedAir) resubmit(ps []*pendingTx) {
	for _, p := range ps {
		if p.res.Delivered > 0 || !ta.requeue(p) {
			ta.m.failPending(p)
		}
	}
}

// requeue submits p to its channel's new scheduler; false when it cannot.
func (ta *timedAir) requeue(p *pendingTx) bool {
	if p.tx.slot >= len(ta.radios) || ta.radios[p.tx.slot] != p.tx {
		return false
	}
	td := ta.domain(p.info.FreqMHz)
	if td == nil || td.index[p.tx.slot] < 0 {
		return false
	}
	dst := -1
	if p.dst != nil {
		if p.dst.slot >= len(ta.radios) || ta.radios[p.dst.slot] != p.dst || td.index[p.dst.slot] < 0 {
			return false
		}
		dst = td.index[p.dst.slot]
	}
	src := td.index[p.tx.slot]
	td.mu.Lock()
	if td.pend == nil || td.inflight[src] >= contention.DefaultQueueLimit {
		td.mu.Unlock()
		return false
	}
	td.next++
	tag := td.next
	td.pend[tag] = p
	td.inflight[src]++
	td.mu.Unlock()
	td.r.Submit(contention.Job{Src: src, Dst: dst, Len: len(p.frame) + 4, Chain: p.chain, AC: p.ac, NoAck: p.noAck, Tag: tag})
	return true
}

// domain returns the running domain of freq, starting it on first use;
// nil when the set is stopped.
func (ta *timedAir) domain(freq uint32) *timedDomain {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	if ta.stopped {
		return nil
	}
	if td := ta.domains[freq]; td != nil {
		return td
	}
	td := &timedDomain{ta: ta, freq: freq, index: make([]int, len(ta.radios)), pend: map[uint64]*pendingTx{}}
	for slot, r := range ta.radios {
		td.index[slot] = -1
		if r == nil {
			continue
		}
		if f := r.freq.Load(); f == 0 || f == freq || freq == 0 {
			td.index[slot] = len(td.members)
			td.members = append(td.members, r)
		}
	}
	td.inflight = make([]int, len(td.members))
	sig := make([][]float64, len(td.members))
	for i, a := range td.members {
		sig[i] = make([]float64, len(td.members))
		for j, b := range td.members {
			if i != j {
				sig[i][j] = ta.sig[a.slot][b.slot]
			}
		}
	}
	var loss [][]contention.LinkLoss
	if ta.loss != nil {
		loss = make([][]contention.LinkLoss, len(td.members))
		for i, a := range td.members {
			loss[i] = make([]contention.LinkLoss, len(td.members))
			for j, b := range td.members {
				loss[i][j] = ta.loss[a.slot][b.slot]
			}
		}
	}
	// Carrier sense reaches as far as reception does: a station that can
	// receive a frame (signal at or above the medium's sensitivity) has
	// detected its preamble and defers to it. With the plain −82 dBm
	// threshold a station and its AP between −90 and −82 dBm would
	// exchange frames while deaf to each other's transmissions, and every
	// such link would collapse under its own ACKs.
	d, err := contention.New(contention.Config{Model: ta.model, Timing: air.DefaultTiming(freq), SignalDBm: sig,
		CCADBm: min(contention.DefaultCCADBm, ta.m.sens), Seed: ta.m.opts.Seed ^ uint64(freq), FreqMHz: freq,
		Loss: loss, NoPER: ta.noPER}, td)
	if err != nil {
		return nil
	}
	td.d = d
	opts := contention.DefaultRunnerOptions()
	opts.SpinOnDemand = true // only for MACs blocked in Transmit
	td.r = contention.NewRunner(d, ta.clock, opts)
	if _, sim := ta.clock.(*contention.SimClock); sim {
		td.r = contention.NewRunner(d, ta.clock, contention.RunnerOptions{})
	}
	td.r.Start()
	ta.domains[freq] = td
	return td
}

// acOf is the access category of a frame: QoS data by its TID (802.1D
// user priority), management frames voice, the rest best effort.
func acOf(f frames.Frame) air.AC {
	switch {
	case f.IsQoS():
		switch f.TID() & 7 {
		case 1, 2:
			return air.ACBackground
		case 4, 5:
			return air.ACVideo
		case 6, 7:
			return air.ACVoice
		}
		return air.ACBestEffort
	case f.Type() == frames.TypeMgmt:
		return air.ACVoice
	}
	return air.ACBestEffort
}

// transmitTimed hands a frame to its channel's scheduler. Deterministic
// failures (no such radio, denied, out of range, other channel) are
// reported at once, as without timing. Otherwise, with opt.Done, the
// result is Pending and goes to Done when the exchange ends; without Done
// Transmit waits for that end (at most maxTimedWait) and returns the
// outcome — except when the radio transmits from inside a delivery (a MAC
// relaying in its Deliver), which would wait on its own channel's
// goroutine: that frame is Pending and only counted.
func (m *Medium) transmitTimed(s *snapshot, a *airSnap, tx *Radio, f frames.Frame, frame []byte, opt *TxOptions,
	c *air.Chain, info RxInfo, sa *Radio, obs []Observer) TxResult {
	a1 := f.Addr1()
	group := a1.IsGroup()
	noAck := group || opt.NoAck || f.IsCtrl()
	res := TxResult{Attempts: 1, Air: true, Stage: -1}
	dst := -1
	var o air.Outcome
	if !group {
		rx := s.byAddr[a1]
		if rx == nil || rx == tx || !m.reachable(s, tx, rx, sa, info.FreqMHz) {
			if rx == nil || rx == tx {
				tx.c.drops[DropNoSuchRadio].Add(1)
			}
			o.DeliveredStage = -1
			for i := 0; i < c.N; i++ {
				o.Attempts[i] = c.Stages[i].Count
				if noAck {
					o.Attempts[i] = 1
					break
				}
			}
			m.finishAir(&res, &o, tx, noAck)
			return res
		}
		dst = rx.slot
	}
	td := a.timed.domain(info.FreqMHz)
	if td == nil || td.index[tx.slot] < 0 || (dst >= 0 && td.index[dst] < 0) {
		o.Attempts[0], o.DeliveredStage = 1, -1
		m.finishAir(&res, &o, tx, noAck)
		return res
	}
	var rc *ratectl.Controller
	var dstRadio *Radio
	if dst >= 0 {
		dstRadio = s.radios[dst]
		if opt.Chain == nil && !noAck {
			var own air.Chain
			if rc = m.pickRate(a, tx, s.radios[dst], info.FreqMHz, &own); rc != nil {
				c = &own
			}
			tx.protect(c, len(frame)+4)
		}
		dst = td.index[dst]
	}
	p := pendingPool.Get().(*pendingTx)
	*p = pendingTx{tx: tx, sa: sa, frame: append(p.frame[:0], frame...), info: info, obs: obs, chain: *c,
		noAck: noAck, done: opt.Done, res: res, rc: rc, dst: dstRadio, ac: acOf(f)}
	if dstRadio != nil {
		if l := s.link(tx.slot, dstRadio.slot); l.frameLoss && l.loss > 0 {
			tx.rngMu.Lock()
			p.lost = l.loss >= 1 || tx.rng.Float64() < l.loss
			tx.rngMu.Unlock()
		}
	}
	// Set before p is published in td.pend: the scheduler goroutine may
	// find it there (a requeue) at once.
	var wait chan TxResult
	if p.done == nil && tx.inCallback.Load() == 0 {
		// No callback: block until the air is done with the frame, so a
		// MAC sending as fast as it can is paced by the air. Not when
		// the radio transmits from inside a delivery of this scheduler
		// (an AP relaying): that would wait on its own goroutine.
		wait = make(chan TxResult, 1)
		p.done = func(r TxResult) { wait <- r }
	}
	src := td.index[tx.slot]
	td.mu.Lock()
	if td.pend == nil || td.inflight[src] >= contention.DefaultQueueLimit { // stopped meanwhile, or queue full
		td.mu.Unlock()
		tx.c.drops[DropQueueFull].Add(1)
		o.Attempts[0], o.DeliveredStage = 1, -1
		m.finishAir(&res, &o, tx, noAck)
		p.release()
		return res
	}
	td.next++
	tag := td.next
	td.pend[tag] = p
	td.inflight[src]++
	td.mu.Unlock()
	if wait != nil {
		td.r.AddWaiter(1)
		defer td.r.AddWaiter(-1)
	}
	td.r.Submit(contention.Job{Src: src, Dst: dst, Len: len(frame) + 4, Chain: *c, AC: p.ac,
		NoAck: noAck, Tag: tag})
	if wait != nil {
		t := time.NewTimer(maxTimedWait)
		defer t.Stop()
		select {
		case r := <-wait:
			return r
		case <-t.C:
			// The scheduler is far behind (or stopped): give up waiting,
			// the outcome still shows in the counters.
		}
	}
	res.Pending = true
	return res
}

// maxTimedWait bounds how long a Transmit without Done waits for its
// exchange under airtime timed.
const maxTimedWait = time.Second

func (td *timedDomain) lookup(tag uint64, remove bool) *pendingTx {
	td.mu.Lock()
	defer td.mu.Unlock()
	p := td.pend[tag]
	if remove {
		delete(td.pend, tag)
	}
	return p
}

// Deliver implements contention.Handler: the data PPDU of a frame ended
// and station rx decoded it.
func (td *timedDomain) Deliver(j *contention.Job, rx int, md air.Mode, signalDBm float64, at time.Duration) {
	p := td.lookup(j.Tag, false)
	if p == nil || rx < 0 || rx >= len(td.members) {
		return
	}
	r := td.members[rx]
	m := td.ta.m
	s := m.snap.Load()
	if r.slot >= s.n || s.radios[r.slot] != r || p.tx.slot >= s.n || s.radios[p.tx.slot] != p.tx {
		return // removed meanwhile
	}
	if j.Dst < 0 && !m.reachable(s, p.tx, r, p.sa, p.info.FreqMHz) {
		return
	}
	if p.lost && j.Dst >= 0 {
		return
	}
	info := p.info
	info.SignalDBm = s.link(p.tx.slot, r.slot).signal
	info.RateIdx = air.RxRateIndex(md, air.BandOf(info.FreqMHz))
	r.inCallback.Add(1)
	ok := m.handOver(p.tx, r, p.frame, info, p.obs)
	r.inCallback.Add(-1)
	if ok {
		p.res.Delivered++
		p.res.RxRateIdx = info.RateIdx
	}
}

// Done implements contention.Handler: the frame's exchange is over.
func (td *timedDomain) Done(j *contention.Job, o *air.Outcome, at time.Duration) {
	p := td.lookup(j.Tag, true)
	if p == nil {
		return
	}
	td.mu.Lock()
	td.inflight[j.Src]--
	td.mu.Unlock()
	m := td.ta.m
	res := p.res
	res.Pending = false
	oc := *o
	if p.lost && j.Dst >= 0 {
		// End-to-end loss: the whole chain was spent in vain.
		oc = air.Outcome{DeliveredStage: -1}
		for i := 0; i < p.chain.N; i++ {
			oc.Attempts[i] = p.chain.Stages[i].Count
			if p.noAck {
				oc.Attempts[i] = 1
				break
			}
		}
		td.members[j.Dst].c.drops[DropLoss].Add(1)
	} else if res.Delivered == 0 && j.Dst >= 0 {
		oc.Acked = false
		d := td.members[j.Dst]
		if ta := td.ta; ta.loss != nil && ta.loss[p.tx.slot][d.slot].P > 0 {
			d.c.drops[DropLoss].Add(1) // the explicit loss took part
		} else {
			d.c.drops[DropPER].Add(1)
		}
	}
	if oc.Acked {
		s := m.snap.Load()
		if d := td.members[j.Dst]; d.slot < s.n && p.tx.slot < s.n {
			res.AckSignal = s.link(d.slot, p.tx.slot).signal
		}
	}
	reportRate(p.tx, p.rc, &p.chain, &oc)
	m.finishAir(&res, &oc, p.tx, p.noAck)
	a := &airSnap{model: td.ta.model, account: true}
	m.charge(a, p.tx, td.freq, &p.chain, &oc, j.Len, !p.noAck)
	if p.done != nil {
		p.done(res)
	}
	p.release()
}

// Close stops the medium's background work: the airtime schedulers and
// the mobility loop started by RunMobility end (RunMobility returns when
// its context ends; Close only stops the schedulers).
func (m *Medium) Close() {
	m.mu.Lock()
	t := m.timed
	m.timed = nil
	m.mu.Unlock()
	if t != nil {
		t.stop()
	}
}

// TimedStats are the schedulers' counters for one channel.
type TimedStats struct {
	FreqMHz    uint32
	BusyRatio  float64
	Collisions uint64
	Dropped    uint64
	// Lateness: how far behind its schedule the channel's goroutine ran.
	LateCount uint64
	LateSum   time.Duration
	LateMax   time.Duration
	LateP99   time.Duration
	// LateBuckets[i] counts events late by [2^(i−1), 2^i) µs (the last
	// bucket: everything later).
	LateBuckets [16]uint64
}

// Timed returns the running schedulers' counters, one per channel.
func (m *Medium) Timed() []TimedStats {
	m.mu.Lock()
	t := m.timed
	m.mu.Unlock()
	if t == nil {
		return nil
	}
	t.mu.Lock()
	ds := make([]*timedDomain, 0, len(t.domains))
	for _, d := range t.domains {
		ds = append(ds, d)
	}
	t.mu.Unlock()
	out := make([]TimedStats, 0, len(ds))
	for _, d := range ds {
		c := d.d.Counters()
		l := d.r.Lateness()
		st := TimedStats{FreqMHz: d.freq, BusyRatio: c.BusyRatio(), Collisions: c.Collisions.Load(),
			Dropped: c.Dropped.Load(), LateCount: l.Count.Load(), LateSum: time.Duration(l.SumNs.Load()),
			LateMax: time.Duration(l.MaxNs.Load()), LateP99: l.Quantile(0.99)}
		for i := range l.Buckets {
			st.LateBuckets[i] = l.Buckets[i].Load()
		}
		out = append(out, st)
	}
	return out
}
