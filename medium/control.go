// SPDX-License-Identifier: MIT

package medium

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/medium/air"
)

// RadioInfo describes a radio for status output.
type RadioInfo struct {
	Name     string     `json:"name"`
	Kind     Kind       `json:"kind"`
	Addr     string     `json:"addr"`
	Extra    []string   `json:"extra_addrs,omitempty"`
	FreqMHz  uint32     `json:"freq_mhz"`
	Position *Position  `json:"position,omitempty"`
	MAC      *MACStatus `json:"mac,omitempty"`
	Stats    Stats      `json:"stats"`
}

// Radios describes every registered radio, sorted by name.
func (m *Medium) Radios() []RadioInfo {
	m.mu.Lock()
	var rs []*Radio
	for _, n := range m.namesLocked() {
		rs = append(rs, m.byName[n])
	}
	extra := map[*Radio][]string{}
	for a, o := range m.addrRefs {
		extra[o.r] = append(extra[o.r], a.String())
	}
	pos := map[string]Position{}
	for k, v := range m.pos {
		pos[k] = v
	}
	m.mu.Unlock()
	out := make([]RadioInfo, 0, len(rs))
	for _, r := range rs {
		ri := RadioInfo{Name: r.name, Kind: r.kind, Addr: r.addr.String(), FreqMHz: r.Freq(), Stats: r.Stats()}
		ri.Extra = extra[r]
		sort.Strings(ri.Extra)
		if p, ok := pos[r.name]; ok {
			ri.Position = &p
		}
		if st, ok := r.MACStatus(); ok {
			ri.MAC = &st
		}
		out = append(out, ri)
	}
	return out
}

// KindCounts returns how many radios of each kind are registered.
func (m *Medium) KindCounts() map[Kind]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[Kind]int{}
	for _, r := range m.byName {
		out[r.kind]++
	}
	return out
}

// LinkInfo is the effective state of one ordered pair.
type LinkInfo struct {
	Src       string     `json:"src"`
	Dst       string     `json:"dst"`
	SignalDBm int32      `json:"signal_dbm"`
	Source    LinkSource `json:"signal_source"`
	Loss      float64    `json:"loss"`
	Denied    bool       `json:"denied"`
	InRange   bool       `json:"in_range"`
	// SNRDB is the link's SNR at 20 MHz against the air model's noise floor.
	SNRDB float64 `json:"snr_db"`
	// MaxRate is the fastest rate (legacy or HT MCS, 20 MHz, one stream)
	// a 1500-byte frame gets over the link with PER below 10 %; "" when
	// none does.
	MaxRate     string `json:"max_rate,omitempty"`
	MaxRateKbps uint32 `json:"max_rate_kbps,omitempty"`
}

// Links returns the effective matrix between registered radios, ordered by
// source then destination name.
func (m *Medium) Links() []LinkInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := m.namesLocked()
	out := make([]LinkInfo, 0, len(names)*len(names))
	md := m.noiseModelLocked()
	for _, s := range names {
		for _, d := range names {
			if s == d {
				continue
			}
			l, dbm := m.effectiveLocked(s, d)
			li := LinkInfo{Src: s, Dst: d, SignalDBm: l.signal, Source: l.source, Loss: l.loss, Denied: l.denied, InRange: !l.weak}
			if md != nil {
				li.SNRDB, li.MaxRate, li.MaxRateKbps = linkRate(md, dbm, m.freqLocked(s, d))
			}
			out = append(out, li)
		}
	}
	return out
}

// ValidateLoss checks a loss probability.
func ValidateLoss(p float64) error {
	if math.IsNaN(p) || p < 0 || p > 1 {
		return &InvalidValueError{What: "loss", Value: strconv.FormatFloat(p, 'g', -1, 64), Accepted: "a probability from 0 to 1"}
	}
	return nil
}

// ValidateSignal checks a signal level in dBm.
func ValidateSignal(dbm float64) error {
	if math.IsNaN(dbm) || dbm < -150 || dbm > 30 {
		return &InvalidValueError{What: "signal", Value: strconv.FormatFloat(dbm, 'g', -1, 64), Accepted: "a level in dBm from -150 to 30"}
	}
	return nil
}

// SetLink sets the explicit signal and/or loss of the ordered pair src→dst.
// Nil arguments leave that property unchanged. Both names must be radios.
func (m *Medium) SetLink(src, dst string, signalDBm, loss *float64) error {
	if signalDBm != nil {
		if err := ValidateSignal(*signalDBm); err != nil {
			return err
		}
	}
	if loss != nil {
		if err := ValidateLoss(*loss); err != nil {
			return err
		}
	}
	m.mu.Lock()
	if err := m.pairLocked(src, dst); err != nil {
		m.mu.Unlock()
		return err
	}
	k := [2]string{src, dst}
	c := m.links[k]
	if signalDBm != nil {
		v := *signalDBm
		c.SignalDBm = &v
	}
	if loss != nil {
		v := *loss
		c.Loss = &v
	}
	m.links[k] = c
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return nil
}

// ResetLink removes the explicit settings of src→dst (back to the model).
func (m *Medium) ResetLink(src, dst string) error {
	m.mu.Lock()
	if err := m.pairLocked(src, dst); err != nil {
		m.mu.Unlock()
		return err
	}
	delete(m.links, [2]string{src, dst})
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return nil
}

func (m *Medium) pairLocked(src, dst string) error {
	if _, err := m.lookupLocked(src); err != nil {
		return err
	}
	if _, err := m.lookupLocked(dst); err != nil {
		return err
	}
	if src == dst {
		return &InvalidValueError{What: "pair", Value: src + "→" + dst, Accepted: "two different radios"}
	}
	return nil
}

// SetPosition places a radio at p (metres).
func (m *Medium) SetPosition(name string, p Position) error {
	for _, v := range []float64{p.X, p.Y, p.Z} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &InvalidValueError{What: "position", Value: fmt.Sprintf("%g %g %g", p.X, p.Y, p.Z), Accepted: "finite coordinates in metres"}
		}
	}
	m.mu.Lock()
	if _, err := m.lookupLocked(name); err != nil {
		m.mu.Unlock()
		return err
	}
	m.pos[name] = p
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return nil
}

// Deny makes dst deaf to src. It reports whether the pair is new.
func (m *Medium) Deny(src, dst string) (bool, error) {
	m.mu.Lock()
	if err := m.pairLocked(src, dst); err != nil {
		m.mu.Unlock()
		return false, err
	}
	added := m.deny.Add(src, dst)
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return added, nil
}

// Allow removes the deny pair (src, dst). It reports whether it existed.
func (m *Medium) Allow(src, dst string) (bool, error) {
	m.mu.Lock()
	if !m.deny.Contains(src, dst) {
		// Removing a pair that does not exist is still an error if the
		// names are wrong, so typos are not silently accepted.
		if err := m.pairLocked(src, dst); err != nil {
			m.mu.Unlock()
			return false, err
		}
		m.mu.Unlock()
		return false, nil
	}
	m.deny.Remove(src, dst)
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return true, nil
}

// ClearDeny removes every deny pair and returns how many there were.
func (m *Medium) ClearDeny() int {
	m.mu.Lock()
	n := m.deny.Clear()
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return n
}

// DenyList returns the deny pairs in insertion order.
func (m *Medium) DenyList() []denylist.Pair { return m.deny.List() }

// State is the medium's runtime configuration, as persisted between runs.
type State struct {
	Links     []LinkState         `json:"links,omitempty"`
	Positions map[string]Position `json:"positions,omitempty"`
	Deny      []denylist.Pair     `json:"deny,omitempty"`
	// Air is the air model; nil (a state saved before it existed) leaves
	// the medium's model as it is.
	Air *AirConfig `json:"air,omitempty"`
}

// LinkState is one explicit link setting.
type LinkState struct {
	Src       string   `json:"src"`
	Dst       string   `json:"dst"`
	SignalDBm *float64 `json:"signal_dbm,omitempty"`
	Loss      *float64 `json:"loss,omitempty"`
}

// State returns the runtime configuration (including settings for radios
// that are not registered right now).
func (m *Medium) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := State{Positions: map[string]Position{}, Deny: m.deny.List()}
	if m.air != DefaultAirConfig() || m.air.NoiseFloorDBm != nil {
		a := m.air
		st.Air = &a
	}
	for k, v := range m.links {
		st.Links = append(st.Links, LinkState{Src: k[0], Dst: k[1], SignalDBm: v.SignalDBm, Loss: v.Loss})
	}
	sort.Slice(st.Links, func(i, j int) bool {
		if st.Links[i].Src != st.Links[j].Src {
			return st.Links[i].Src < st.Links[j].Src
		}
		return st.Links[i].Dst < st.Links[j].Dst
	})
	for k, v := range m.pos {
		st.Positions[k] = v
	}
	return st
}

// Restore replaces the runtime configuration with st. Names need not be
// registered yet (radios may appear later). Values are validated first;
// on error nothing changes.
func (m *Medium) Restore(st State) error {
	for _, l := range st.Links {
		if l.SignalDBm != nil {
			if err := ValidateSignal(*l.SignalDBm); err != nil {
				return err
			}
		}
		if l.Loss != nil {
			if err := ValidateLoss(*l.Loss); err != nil {
				return err
			}
		}
	}
	var airCfg AirConfig
	var model *air.Model
	if st.Air != nil {
		airCfg = st.Air.Normalize()
		if err := airCfg.Validate(); err != nil {
			return err
		}
		var err error
		if model, err = buildModel(&airCfg); err != nil {
			return paramError(err)
		}
	}
	m.mu.Lock()
	if st.Air != nil {
		m.air, m.airModel = airCfg, model
		m.acct.reset()
	}
	clear(m.links)
	for _, l := range st.Links {
		m.links[[2]string{l.Src, l.Dst}] = LinkConfig{SignalDBm: l.SignalDBm, Loss: l.Loss}
	}
	clear(m.pos)
	for k, v := range st.Positions {
		m.pos[k] = v
	}
	m.deny.Replace(st.Deny)
	m.rebuildLocked()
	m.mu.Unlock()
	m.changed()
	return nil
}
