// SPDX-License-Identifier: MIT

package medium

import (
	"hash/fnv"
	"math"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/ratectl"
)

// airSnap is the air model compiled into one snapshot: the error model,
// and per ordered pair the link's class (clear, grey, dead) per curve, so
// a clear or dead link costs no random draw.
type airSnap struct {
	model   *air.Model
	per     bool
	account bool // airtime account or timed: charge airtime per radio and channel
	fade    bool // frames fade: every reception is judged, none is clear or dead
	links   []air.Link
	// timed is the schedulers' set when airtime is timed (nil otherwise).
	timed *timedAir
	// judge is the PairModel when it decides frames itself (FrameJudge);
	// with the air model off the snapshot's airSnap holds only it (model
	// nil), so the plain path still costs one pointer test.
	judge FrameJudge
}

func (a *airSnap) link(s *snapshot, tx, rx int) *air.Link { return &a.links[tx*s.n+rx] }

// compileAirLocked builds the snapshot's air model; nil when the model is
// off (errors flat, airtime off).
func (m *Medium) compileAirLocked(s *snapshot) *airSnap {
	judge := m.judgeLocked()
	if !m.air.active() || m.airModel == nil {
		if judge != nil {
			return &airSnap{judge: judge}
		}
		return nil
	}
	a := &airSnap{model: m.airModel, per: m.air.Errors == ErrorsPER, account: m.air.Airtime != AirtimeOff,
		fade:  m.air.Fading.Enabled(),
		links: make([]air.Link, s.n*s.n), judge: judge}
	// A mobility tick recompiles every 100 ms: pairs whose signal did not
	// move keep their compiled link.
	prev := m.snap.Load()
	reuse := prev != nil && prev.air != nil && prev.air.model == a.model && prev.n == s.n
	for _, tx := range s.radios {
		if tx == nil {
			continue
		}
		for _, rx := range s.radios {
			if rx == nil || rx == tx {
				continue
			}
			i := tx.slot*s.n + rx.slot
			if reuse && prev.radios[tx.slot] == tx && prev.radios[rx.slot] == rx && prev.dbm[i] == s.dbm[i] {
				a.links[i] = prev.air.links[i]
				continue
			}
			a.links[i] = a.model.CompileLink(s.dbm[i])
		}
	}
	if m.air.Airtime == AirtimeTimed {
		a.timed = m.timedLocked(s, a)
	}
	return a
}

// AirActive reports whether the air model is on (errors per or airtime
// account/timed) or a FrameJudge decides frames: backends then decode the
// rate chain for TxOptions.Chain, which the plain path never reads.
func (m *Medium) AirActive() bool { return m.snap.Load().air != nil }

// AirTimed reports whether airtime is timed: Transmit then reports to
// TxOptions.Done later.
func (m *Medium) AirTimed() bool {
	a := m.snap.Load().air
	return a != nil && a.timed != nil
}

// freqLocked is the frequency a pair's path loss is computed at: the
// transmitter's channel, else the receiver's (0: the model's default).
func (m *Medium) freqLocked(src, dst string) uint32 {
	if r, ok := m.byName[src]; ok && r.freq.Load() != 0 {
		return r.freq.Load()
	}
	if r, ok := m.byName[dst]; ok {
		return r.freq.Load()
	}
	return 0
}

// pairKey identifies the unordered pair of radio names for per-pair
// shadowing (the same in both directions, stable across runs).
func pairKey(a, b string) uint64 {
	return air.PairKey(nameHash(a), nameHash(b))
}

func nameHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// SetAir replaces the air model. cfg is normalized (empty fields take
// their defaults) and validated first; on error nothing changes. Positions'
// links are recomputed with the new propagation at once.
func (m *Medium) SetAir(cfg AirConfig) error {
	cfg = cfg.Normalize()
	if err := cfg.Validate(); err != nil {
		return err
	}
	model, err := buildModel(&cfg)
	if err != nil {
		return paramError(err)
	}
	m.mu.Lock()
	m.air = cfg
	m.airModel = model
	m.acct.reset()
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return nil
}

func buildModel(cfg *AirConfig) (*air.Model, error) {
	if !cfg.active() {
		return nil, nil
	}
	return air.NewModel(air.ModelConfig{NoiseFloorDBm: cfg.NoiseFloorDBm, Fading: cfg.Fading})
}

// Air returns the current air model configuration.
func (m *Medium) Air() AirConfig {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.air
	if c.NoiseFloorDBm != nil {
		v := *c.NoiseFloorDBm
		c.NoiseFloorDBm = &v
	}
	return c
}

// noiseModel is the model `vmctl links` uses for SNR and rates: the
// running one, or one built from the configuration when the model is off.
func (m *Medium) noiseModelLocked() *air.Model {
	if m.airModel != nil {
		return m.airModel
	}
	md, err := air.NewModel(air.ModelConfig{NoiseFloorDBm: m.air.NoiseFloorDBm})
	if err != nil {
		return nil
	}
	return md
}

// numChanSlots bounds the channels accounted: 2.4 GHz channels 1–14 and
// 5 GHz channel numbers up to 196 index by channel number; anything else
// shares slot 0.
const numChanSlots = 256

// airAccount sums airtime per channel for the busy ratio (airtime account;
// the timed schedulers keep their own).
type airAccount struct {
	start  atomic.Int64 // unix ns the accounting started
	chanNs [numChanSlots]atomic.Int64
	freq   [numChanSlots]atomic.Uint32
}

func (a *airAccount) reset() {
	a.start.Store(time.Now().UnixNano())
	for i := range a.chanNs {
		a.chanNs[i].Store(0)
	}
}

// chanSlot maps a centre frequency to its accounting slot.
func chanSlot(freq uint32) int {
	var ch int
	switch {
	case freq == 2484:
		ch = 14
	case freq >= 2412 && freq <= 2472:
		ch = int(freq-2407) / 5
	case freq >= 5000 && freq < 5000+5*numChanSlots:
		ch = int(freq-5000) / 5
	}
	if ch <= 0 || ch >= numChanSlots {
		return 0
	}
	return ch
}

func (a *airAccount) add(freq uint32, d time.Duration) {
	i := chanSlot(freq)
	if a.freq[i].Load() != freq {
		a.freq[i].Store(freq)
	}
	a.chanNs[i].Add(int64(d))
}

// rateSlot is the index of a mode in a radio's attempts-per-rate counters:
// [format][index], VHT as (NSS−1)·10+MCS.
func rateSlot(md air.Mode) (int, int) {
	i := int(md.Index)
	if md.Format == air.FormatVHT {
		i = (int(md.NSS)-1)*10 + int(md.Index)
	}
	if i >= numRateSlots {
		i = numRateSlots - 1
	}
	return int(md.Format) & 3, i
}

const numRateSlots = 40

// defaultChain is the chain of a transmitter that gave none: its legacy
// RateIdx in the band's table, MaxAttempts times (once without ACK).
func defaultChain(c *air.Chain, opt *TxOptions, freq uint32, noAck bool) {
	r := int(opt.RateIdx)
	if air.BandOf(freq) != air.Band2GHz {
		r += int(air.Rate6)
	}
	if r > int(air.Rate54) {
		r = int(air.Rate54)
	}
	n := opt.MaxAttempts
	if n < 1 || noAck {
		n = 1
	}
	if n > 255 {
		n = 255
	}
	c.N = 1
	c.Stages[0] = air.Stage{Mode: air.Legacy(air.LegacyRate(r)), Count: uint8(n)}
}

// airPrelude opens the air and judged paths for a frame tx sends: the
// observers hear of it, a relayed frame's original source is found, the
// receivers' RxInfo is started and c holds the rate chain: opt's, or the
// default one (dflt: the medium's rate control may then pick the rates). Transmit writes the same opening out itself: as a call it is
// not inlined and cost the plain path 41 → 48 ns per 3-radio broadcast
// (-cpu 1, measured side by side). On the air and judged paths, which it
// serves both, the call costs 5–8 ns of 110–200 (BenchmarkDispatchPER,
// -cpu 1, before and after): one opening instead of two copies.
func (m *Medium) airPrelude(s *snapshot, tx *Radio, f frames.Frame, frame []byte, opt *TxOptions, c *air.Chain) (obs []Observer, sa *Radio, info RxInfo, noAck, dflt bool) {
	freq := opt.FreqMHz
	if freq == 0 {
		freq = tx.freq.Load()
	}
	obs = *m.observers.Load()
	for _, o := range obs {
		o.Transmitted(tx, frame, freq)
	}
	if f.IsData() {
		if x := f.SA(); x != f.TA() {
			if sa = s.byAddr[x]; sa == tx {
				sa = nil
			}
		}
	}
	info = RxInfo{NoiseDBm: m.noise, FreqMHz: freq, RateIdx: opt.RateIdx}
	noAck = opt.NoAck || f.IsCtrl() || f.Addr1().IsGroup()
	if opt.Chain != nil && opt.Chain.N >= 1 && opt.Chain.N <= air.MaxStages {
		*c = *opt.Chain
	} else {
		defaultChain(c, opt, freq, noAck)
		dflt = true
	}
	return obs, sa, info, noAck, dflt
}

// transmitAir is Transmit with the air model on: the rate chain decides
// per attempt (errors per) and the exchange's airtime is charged
// (airtime account) or scheduled (airtime timed). Transmit branches here
// right after loading the snapshot, so the plain path keeps nothing alive
// for it (opt by value: an address of Transmit's parameter would cost the
// plain path too).
func (m *Medium) transmitAir(s *snapshot, tx *Radio, f frames.Frame, frame []byte, opt TxOptions) TxResult {
	a := s.air
	if a.model == nil {
		return m.transmitJudged(s, a, tx, f, frame, opt)
	}
	var chain air.Chain
	obs, sa, info, noAck, dflt := m.airPrelude(s, tx, f, frame, &opt, &chain)
	c := &chain
	a1 := f.Addr1()
	if a.timed != nil {
		return m.transmitTimed(s, a, tx, f, frame, &opt, c, info, sa, obs)
	}
	band := air.BandOf(info.FreqMHz)
	length := len(frame) + 4 // the FCS is on the air too
	res := TxResult{Attempts: 1, Air: true, Stage: -1}
	var o air.Outcome
	o.DeliveredStage = -1

	if a1.IsGroup() {
		md := c.Stages[0].Mode
		info.RateIdx = air.RxRateIndex(md, band)
		for _, rx := range s.radios {
			if rx == nil || rx == tx {
				continue
			}
			if a.judge != nil && !a.per {
				if m.deliverJudgedGroup(s, a, tx, rx, sa, frame, f.IsData(), c, info, obs) {
					res.Delivered++
				}
				continue
			}
			if m.deliverAir(s, a, tx, rx, sa, frame, info, md, length, obs) {
				res.Delivered++
			}
		}
		o.Attempts[0] = 1
		res.StageAttempts[0] = 1
		res.Stage, res.RxRateIdx = 0, info.RateIdx
		m.charge(a, tx, info.FreqMHz, c, &o, length, false)
		return res
	}

	rx := s.byAddr[a1]
	if rx == nil || rx == tx || !m.reachable(s, tx, rx, sa, info.FreqMHz) {
		// Nobody can receive it: every attempt of the chain is spent.
		if rx == nil || rx == tx {
			tx.c.drops[DropNoSuchRadio].Add(1)
		}
		for i := 0; i < c.N; i++ {
			o.Attempts[i] = c.Stages[i].Count
			if noAck {
				o.Attempts[i] = 1
				break
			}
		}
		m.finishAir(&res, &o, tx, noAck)
		m.charge(a, tx, info.FreqMHz, c, &o, length, !noAck)
		return res
	}
	l := s.link(tx.slot, rx.slot)
	var rc *ratectl.Controller
	if dflt && !noAck {
		rc = m.pickRate(a, tx, rx, info.FreqMHz, c)
		tx.protect(c, length)
	}
	signal := l.signal
	switch {
	case !a.per && a.judge != nil && l.judged:
		// errors flat: the judge decides the pair's frames.
		tx.rngMu.Lock()
		o, signal = a.judge.Unicast(judged(l, s, tx, rx, c, len(frame), info.FreqMHz, f.IsData(), noAck))
		tx.rngMu.Unlock()
	case a.per && l.loss == 0 && !a.fade && a.clearFirst(s, tx, rx, &c.Stages[0]):
		// Clear both ways at the first rate: one attempt, no draw.
		o.Attempts[0], o.Delivered, o.DeliveredStage, o.Acked = 1, true, 0, !noAck
	default:
		m.walk(s, a, tx, rx, l, c, &o, length, noAck)
	}
	reportRate(tx, rc, c, &o)
	if o.Delivered {
		md := c.Stages[o.DeliveredStage].Mode
		info.RateIdx = air.RxRateIndex(md, band)
		info.SignalDBm = signal
		if !m.handOver(tx, rx, frame, info, obs) {
			o.Delivered, o.Acked = false, false
		}
		res.RxRateIdx = info.RateIdx
	} else if a.per {
		rx.c.drops[DropPER].Add(1)
	} else {
		rx.c.drops[DropLoss].Add(1)
	}
	if o.Delivered {
		res.Delivered = 1
	}
	if o.Acked {
		res.AckSignal = s.link(rx.slot, tx.slot).signal
	}
	m.finishAir(&res, &o, tx, noAck)
	m.charge(a, tx, info.FreqMHz, c, &o, length, !noAck)
	return res
}

// clearFirst reports whether the first stage's data and its ACK are both
// clear on the compiled links (so the outcome needs no draw).
func (a *airSnap) clearFirst(s *snapshot, tx, rx *Radio, st *air.Stage) bool {
	return st.Protection == air.ProtectNone &&
		a.link(s, tx.slot, rx.slot).Class(st.Mode) == air.Clear &&
		!s.link(rx.slot, tx.slot).weak &&
		a.link(s, rx.slot, tx.slot).Class(a.model.BasicRates().ControlRate(st.Mode)) == air.Clear
}

// walk runs the retry chain with the transmitter's generator.
func (m *Medium) walk(s *snapshot, a *airSnap, tx, rx *Radio, l *link, c *air.Chain, o *air.Outcome, length int, noAck bool) {
	tx.rngMu.Lock()
	switch {
	case a.per && l.loss == 0:
		a.model.Walk(o, c, s.signal(tx.slot, rx.slot), m.ackSignal(s, rx, tx), length, noAck, tx.rng)
	case a.per:
		walkLossy(o, a.model, c, s.signal(tx.slot, rx.slot), m.ackSignal(s, rx, tx), l.loss, l.frameLoss, length, noAck, tx)
	default:
		walkFlat(o, c, l.loss, l.frameLoss, noAck, tx)
	}
	tx.rngMu.Unlock()
}

// ackSignal is the signal of rx's ACK at tx: the reverse link, or nothing
// when tx cannot hear rx at all.
func (m *Medium) ackSignal(s *snapshot, rx, tx *Radio) float64 {
	l := s.link(rx.slot, tx.slot)
	if l.weak {
		return -200
	}
	return s.signal(rx.slot, tx.slot)
}

// finishAir fills res from o and counts the transmitter's outcome.
func (m *Medium) finishAir(res *TxResult, o *air.Outcome, tx *Radio, noAck bool) {
	res.StageAttempts = o.Attempts
	res.Stage = o.DeliveredStage
	res.Attempts = max(o.Total(), 1)
	res.Acked = o.Acked && !noAck
	if noAck {
		return
	}
	if res.Acked {
		tx.c.txAcked.Add(1)
	} else {
		tx.c.txFailed.Add(1)
	}
	tx.c.txRetries.Add(uint64(res.Attempts - 1))
}

// charge counts the attempts per rate and, with airtime accounted, the
// exchange's airtime per radio and channel.
func (m *Medium) charge(a *airSnap, tx *Radio, freq uint32, c *air.Chain, o *air.Outcome, length int, ack bool) {
	for i := 0; i < c.N; i++ {
		if n := o.Attempts[i]; n > 0 {
			f, r := rateSlot(c.Stages[i].Mode)
			tx.airc.rateAttempts[f][r].Add(uint64(n))
		}
	}
	if !a.account {
		return
	}
	d := air.DefaultTiming(freq).Airtime(a.model.BasicRates(), c, o, length, ack)
	tx.airc.airtimeNs.Add(uint64(d))
	m.acct.add(freq, d)
}

// reachable is the deterministic part of reception: same channel, not
// denied (transmitter or source), in range. It counts the drop on rx.
func (m *Medium) reachable(s *snapshot, tx, rx, sa *Radio, freq uint32) bool {
	if f := rx.freq.Load(); f != 0 && freq != 0 && f != freq {
		rx.c.drops[DropOtherFreq].Add(1)
		return false
	}
	l := s.link(tx.slot, rx.slot)
	if l.denied || (sa != nil && s.link(sa.slot, rx.slot).denied) {
		rx.c.drops[DropDenied].Add(1)
		return false
	}
	if l.weak {
		rx.c.drops[DropOutOfRange].Add(1)
		return false
	}
	return true
}

// deliverAir is one group-frame reception with the air model: the
// deterministic checks, the explicit loss, then (errors per) the PER of
// the frame's mode at the link's SNR — no draw when the link is clear or
// dead for that mode.
func (m *Medium) deliverAir(s *snapshot, a *airSnap, tx, rx, sa *Radio, frame []byte, info RxInfo,
	md air.Mode, length int, obs []Observer) bool {
	if !m.reachable(s, tx, rx, sa, info.FreqMHz) {
		return false
	}
	l := s.link(tx.slot, rx.slot)
	if l.loss > 0 {
		tx.rngMu.Lock()
		lost := l.loss >= 1 || tx.rng.Float64() < l.loss
		tx.rngMu.Unlock()
		if lost {
			rx.c.drops[DropLoss].Add(1)
			return false
		}
	}
	if a.per {
		ok := true
		switch al := a.link(s, tx.slot, rx.slot); {
		case !a.fade && al.Class(md) == air.Clear:
		case !a.fade && al.Class(md) == air.Dead:
			ok = false
		default:
			tx.rngMu.Lock()
			ok = a.model.Receive(md, s.signal(tx.slot, rx.slot), length, tx.rng)
			tx.rngMu.Unlock()
		}
		if !ok {
			rx.c.drops[DropPER].Add(1)
			return false
		}
	}
	info.SignalDBm = l.signal
	return m.handOver(tx, rx, frame, info, obs)
}

// handOver gives the frame to rx's port and counts the reception.
func (m *Medium) handOver(tx, rx *Radio, frame []byte, info RxInfo, obs []Observer) bool {
	if err := rx.port.Deliver(frame, info); err != nil {
		rx.c.dispatchErr.Add(1)
		rx.c.drops[DropOther].Add(1)
		return false
	}
	for _, o := range obs {
		o.Received(tx, rx, frame, info)
	}
	rx.c.rxFrames.Add(1)
	rx.c.rxBytes.Add(uint64(len(frame)))
	return true
}

// walkFlat runs the chain with today's flat loss: every attempt one loss
// draw (none when the link is lossless), whatever the rate. An end-to-end
// loss (frameLoss) is one draw for the whole frame: lost, every attempt
// of the chain is spent; not lost, the first attempt gets through.
func walkFlat(o *air.Outcome, c *air.Chain, loss float64, frameLoss, noAck bool, tx *Radio) {
	lost := false
	if frameLoss && loss > 0 {
		lost = loss >= 1 || tx.rng.Float64() < loss
		loss = 0
	}
	for i := 0; i < c.N; i++ {
		for j := 0; j < int(c.Stages[i].Count); j++ {
			o.Attempts[i]++
			if !lost && (loss <= 0 || (loss < 1 && tx.rng.Float64() >= loss)) {
				o.Delivered, o.DeliveredStage, o.Acked = true, int8(i), !noAck
				return
			}
			if noAck {
				return
			}
		}
	}
}

// walkLossy is the retry walk of errors per on a link that also has an
// explicit loss: each attempt's data must survive both the loss draw and
// the PER of its stage; the ACK its PER on the reverse link at the
// control rate. (No RTS/CTS or fading on this path: explicit loss is a
// test knob on top of the model.)
//
// An end-to-end loss (frameLoss) is one draw for the whole frame: lost,
// no attempt's data gets through (the chain is spent); not lost, the
// attempts face the PER alone.
func walkLossy(o *air.Outcome, md *air.Model, c *air.Chain, fwd, rev, loss float64, frameLoss bool, length int, noAck bool, tx *Radio) {
	basic := md.BasicRates()
	lost := false
	if frameLoss {
		lost = loss >= 1 || tx.rng.Float64() < loss
		loss = 0
	}
	for i := 0; i < c.N; i++ {
		st := &c.Stages[i]
		pData := (1 - loss) * (1 - md.PER(st.Mode, fwd, length))
		if lost {
			pData = 0
		}
		pAck := 1 - md.PER(basic.ControlRate(st.Mode), rev, air.AckLen)
		for j := 0; j < int(st.Count); j++ {
			o.Attempts[i]++
			if tx.rng.Float64() < pData {
				if !o.Delivered {
					o.Delivered, o.DeliveredStage = true, int8(i)
				}
				if noAck {
					return
				}
				if pAck >= 1 || tx.rng.Float64() < pAck {
					o.Acked = true
					return
				}
			} else if noAck {
				return
			}
		}
	}
}

// linkRate is what `vmctl links` shows of the air model for one pair.
func linkRate(md *air.Model, signalDBm float64, freq uint32) (snr float64, rate string, kbps uint32) {
	snr = md.SNR(air.Legacy(air.Rate6), signalDBm)
	band := air.BandOf(freq)
	cands := air.LegacyModes(band)
	cands = append(cands, air.HTModes(air.Width20, false, 1)...)
	best, ok := md.FastestRate(signalDBm, cands, 1500, 0.1)
	if !ok {
		return snr, "", 0
	}
	return math.Round(snr*10) / 10, best.String(), best.Kbps()
}
