// SPDX-License-Identifier: MIT

package medium

import (
	"math/rand/v2"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/air"
)

// FrameJudge is a PairModel that decides some frames itself, one frame at
// a time: what a static per-pair link cannot express (a fading term drawn
// per frame, interference from other transmitters, a loss probability per
// rate of the retry chain). The medium asks it for the pairs whose
// PairLink is Judged, and only while Judging reports true: otherwise the
// medium compiles no judge and its dispatch is exactly the plain one.
//
// With the air model off (errors flat, airtime off) or with errors flat
// and airtime accounted, the judge decides every judged pair's frames;
// with errors per or airtime timed the air model decides (its own PER,
// fading and SINR).
//
// Unicast and Group run on the dispatch path, concurrently for different
// transmitters, with the transmitter's generator locked: they must not
// block, must not call back into the Medium and must not allocate.
type FrameJudge interface {
	PairModel
	// Judging reports whether any pair needs per-frame decisions.
	Judging() bool
	// Unicast walks one unicast frame's retry chain on a judged pair:
	// the attempts used per stage, whether (and at which stage) the data
	// got through and was acknowledged, and the signal the receiver
	// reports in dBm.
	Unicast(f JudgedFrame) (o air.Outcome, signalDBm int32)
	// Group decides one receiver of a group-addressed frame sent once at
	// the chain's first stage: whether it receives it, and at what signal.
	Group(f JudgedFrame) (signalDBm int32, ok bool)
}

// JudgedFrame is one frame on a judged pair, as the judge sees it. It is
// passed by value so that nothing escapes to the heap per frame.
type JudgedFrame struct {
	// From, To are the pair's indices as the judge's PairLink gave them.
	From, To uint16
	// SignalDBm is the pair's compiled signal (an explicit `vmctl link`
	// signal wins over the model's); Loss and FrameLoss its compiled loss.
	SignalDBm float64
	Loss      float64
	FrameLoss bool
	// Unheard: the pair is out of range (the model gave it no usable
	// signal). The frame cannot be received; the judge still sees it, as
	// wmediumd's interference bookkeeping does.
	Unheard bool
	Chain   air.Chain
	Len     int // frame length without FCS
	FreqMHz uint32
	// Data: a data frame (best-effort contention), else management or
	// control (voice).
	Data  bool
	NoAck bool
	// Rand is the transmitter's generator (seeded by --seed); its lock
	// is held for the call.
	Rand *rand.Rand
}

// judgeLocked returns the PairModel as a FrameJudge when it judges frames.
func (m *Medium) judgeLocked() FrameJudge {
	j, ok := m.pairModel.(FrameJudge)
	if !ok || !j.Judging() {
		return nil
	}
	return j
}

// judged builds the judge's view of one frame tx→rx.
func judged(l *link, s *snapshot, tx, rx *Radio, c *air.Chain, length int, freq uint32, data, noAck bool) JudgedFrame {
	return JudgedFrame{From: l.jfrom, To: l.jto, SignalDBm: s.signal(tx.slot, rx.slot), Loss: l.loss, FrameLoss: l.frameLoss,
		Unheard: l.weak, Chain: *c, Len: length, FreqMHz: freq, Data: data, NoAck: noAck, Rand: tx.rng}
}

// transmitJudged is Transmit with a FrameJudge and the air model off: the
// judged pairs' frames are decided by the judge, the others as on the
// plain path (one loss draw per attempt, or one per frame for an
// end-to-end loss). The result carries the attempts per stage (Air), so
// hwsim reports the chain as it was used.
func (m *Medium) transmitJudged(s *snapshot, a *airSnap, tx *Radio, f frames.Frame, frame []byte, opt TxOptions) TxResult {
	var c air.Chain
	obs, sa, info, noAck, _ := m.airPrelude(s, tx, f, frame, &opt, &c)
	freq := info.FreqMHz
	a1 := f.Addr1()
	band := air.BandOf(freq)
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
			if m.deliverJudgedGroup(s, a, tx, rx, sa, frame, f.IsData(), &c, info, obs) {
				res.Delivered++
			}
		}
		o.Attempts[0] = 1
		res.StageAttempts[0] = 1
		res.Stage, res.RxRateIdx = 0, info.RateIdx
		m.charge(a, tx, freq, &c, &o, len(frame), false)
		return res
	}

	rx := s.byAddr[a1]
	var l *link
	if rx != nil && rx != tx {
		l = s.link(tx.slot, rx.slot)
	}
	switch {
	case l != nil && l.judged && l.weak && m.reachableButWeak(s, tx, rx, sa, freq):
		// Out of range: nothing is received, but the judge sees the
		// transmission (interference bookkeeping) and spends the chain.
		tx.rngMu.Lock()
		o, _ = a.judge.Unicast(judged(l, s, tx, rx, &c, len(frame), freq, f.IsData(), noAck))
		tx.rngMu.Unlock()
		o.Delivered, o.Acked, o.DeliveredStage = false, false, -1
		rx.c.drops[DropOutOfRange].Add(1)
	case l == nil || !m.reachable(s, tx, rx, sa, freq):
		if l == nil {
			tx.c.drops[DropNoSuchRadio].Add(1)
		}
		for i := 0; i < c.N; i++ {
			o.Attempts[i] = c.Stages[i].Count
			if noAck {
				o.Attempts[i] = 1
				break
			}
		}
	default:
		signal := l.signal
		tx.rngMu.Lock()
		if l.judged {
			o, signal = a.judge.Unicast(judged(l, s, tx, rx, &c, len(frame), freq, f.IsData(), noAck))
		} else {
			walkFlat(&o, &c, l.loss, l.frameLoss, noAck, tx)
		}
		tx.rngMu.Unlock()
		if o.Delivered {
			info.RateIdx = air.RxRateIndex(c.Stages[o.DeliveredStage].Mode, band)
			info.SignalDBm = signal
			if !m.handOver(tx, rx, frame, info, obs) {
				o.Delivered, o.Acked = false, false
			}
			res.RxRateIdx = info.RateIdx
			res.Delivered = 1
		} else {
			rx.c.drops[DropLoss].Add(1)
		}
		if o.Acked {
			res.AckSignal = s.link(rx.slot, tx.slot).signal
		}
	}
	m.finishAir(&res, &o, tx, noAck)
	m.charge(a, tx, freq, &c, &o, len(frame), !noAck)
	return res
}

// reachableButWeak reports whether rx would receive from tx but for the
// range: same channel, not denied.
func (m *Medium) reachableButWeak(s *snapshot, tx, rx, sa *Radio, freq uint32) bool {
	if f := rx.freq.Load(); f != 0 && freq != 0 && f != freq {
		return false
	}
	l := s.link(tx.slot, rx.slot)
	return !l.denied && (sa == nil || !s.link(sa.slot, rx.slot).denied)
}

// deliverJudgedGroup is one receiver of a group frame with a FrameJudge:
// the deterministic checks, then the judge (judged pairs) or the link's
// loss draw.
func (m *Medium) deliverJudgedGroup(s *snapshot, a *airSnap, tx, rx, sa *Radio, frame []byte, data bool,
	c *air.Chain, info RxInfo, obs []Observer) bool {
	if !m.reachable(s, tx, rx, sa, info.FreqMHz) {
		return false
	}
	l := s.link(tx.slot, rx.slot)
	info.SignalDBm = l.signal
	switch {
	case l.judged:
		tx.rngMu.Lock()
		sig, ok := a.judge.Group(judged(l, s, tx, rx, c, len(frame), info.FreqMHz, data, true))
		tx.rngMu.Unlock()
		if !ok {
			rx.c.drops[DropLoss].Add(1)
			return false
		}
		info.SignalDBm = sig
	case l.loss > 0:
		tx.rngMu.Lock()
		lost := l.loss >= 1 || tx.rng.Float64() < l.loss
		tx.rngMu.Unlock()
		if lost {
			rx.c.drops[DropLoss].Add(1)
			return false
		}
	}
	return m.handOver(tx, rx, frame, info, obs)
}
