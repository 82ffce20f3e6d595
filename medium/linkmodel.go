// SPDX-License-Identifier: MIT

package medium

import (
	"math"
	"sort"

	"github.com/vmedium/vmedium/frames"
)

// SourceModel marks a signal that came from the medium's PairModel (for
// example a wmediumd configuration's matrix).
const SourceModel LinkSource = "model"

// PairEnd is one radio of an ordered pair as a PairModel sees it: its name,
// its own address and the extra addresses it answers to (further
// interfaces, scan addresses), so an outside model that names stations by
// interface address can find the radio that owns them.
type PairEnd struct {
	Name  string
	Addr  frames.MAC
	Extra []frames.MAC // sorted
}

// PairLink is what a PairModel decides for one ordered pair.
type PairLink struct {
	SignalDBm float64 // received signal, also reported to the receiver
	// Loss is the probability that a frame is lost. With FrameLoss it is
	// the loss of the whole frame after its retry chain: one draw per
	// frame (wmediumd's prob model); otherwise each attempt draws anew.
	Loss      float64
	FrameLoss bool
	// Unheard: nothing passes (no usable SNR, isolated media, a radio the
	// model does not know).
	Unheard bool
	// Judged: a FrameJudge model decides this pair's frames one by one;
	// From and To are its own indices for the pair, handed back per frame.
	Judged   bool
	From, To uint16
}

// PairModel decides the links between radios from an outside model. The
// medium asks it for every ordered pair whenever it compiles its snapshot
// (radios or addresses come and go, rules change, PairModelChanged).
// Explicit per-pair settings (SetLink) and deny pairs still apply on top.
// Pair is called with the medium's configuration lock held: it must not
// call back into the Medium.
type PairModel interface {
	// Pair returns the link tx→rx; ok false leaves the pair to the
	// medium's own rules.
	Pair(tx, rx PairEnd) (l PairLink, ok bool)
}

// SetPairModel installs pm (nil removes it) and recompiles the links.
func (m *Medium) SetPairModel(pm PairModel) {
	m.mu.Lock()
	m.pairModel = pm
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
}

// PairModelChanged recompiles the links after the PairModel's own state
// changed (a position or SNR update from outside).
func (m *Medium) PairModelChanged() {
	m.mu.Lock()
	m.rebuildLocked()
	m.mu.Unlock()
}

// pairEndLocked describes radio r for the PairModel.
func (m *Medium) pairEndLocked(r *Radio) PairEnd {
	e := PairEnd{Name: r.name, Addr: r.addr}
	for a, o := range m.addrRefs {
		if o.r == r {
			e.Extra = append(e.Extra, a)
		}
	}
	sort.Slice(e.Extra, func(i, j int) bool { return string(e.Extra[i][:]) < string(e.Extra[j][:]) })
	return e
}

// applyPairModelLocked lays the PairModel's decision for src→dst over l,
// except for what cfg sets explicitly, and returns the unrounded signal
// (dbm, the air model's, unless the model set it).
func (m *Medium) applyPairModelLocked(l *link, dbm float64, src, dst string, cfg LinkConfig) float64 {
	if m.pairModel == nil {
		return dbm
	}
	tx, rx := m.byName[src], m.byName[dst]
	if tx == nil || rx == nil {
		return dbm
	}
	pl, ok := m.pairModel.Pair(m.pairEndLocked(tx), m.pairEndLocked(rx))
	if !ok {
		return dbm
	}
	if cfg.SignalDBm == nil {
		dbm = pl.SignalDBm
		l.signal = int32(math.Round(pl.SignalDBm))
		l.source = SourceModel
		l.weak = pl.Unheard || float64(l.signal) < m.sens
	}
	if cfg.Loss == nil {
		l.loss = pl.Loss
		l.frameLoss = pl.FrameLoss
	}
	l.judged, l.jfrom, l.jto = pl.Judged, pl.From, pl.To
	return dbm
}
