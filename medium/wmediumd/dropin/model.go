// SPDX-License-Identifier: MIT

package dropin

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// Result is the outcome of an update, with the fork's wire values.
type Result uint8

const (
	Success        Result = 0 // WUPDATE_SUCCESS
	NotFound       Result = 1 // no station has that address (or index)
	Duplicate      Result = 2 // a station already has that address
	WrongMode      Result = 3 // the update does not apply to the config's model
	invalidRequest Result = 3 // out-of-range values are refused like a wrong mode
)

func (r Result) String() string {
	switch r {
	case Success:
		return "success"
	case NotFound:
		return "station not found"
	case Duplicate:
		return "station already exists"
	case WrongMode:
		return "not applicable to the model (or a value out of range)"
	}
	return "unknown result"
}

// Model is a wmediumd configuration serving as the medium's PairModel. Its
// methods are safe for concurrent use; after an update the caller tells
// the medium (Medium.PairModelChanged), which Server does.
type Model struct {
	mu  sync.Mutex
	cfg *wmediumd.Config
	per *wmediumd.PERTable // -x, nil: no SNR-dependent loss
	// dynamic: the fork's dynamic mode (-d): stations come over the
	// socket, their pairs dead until SPECPROB (or ERRPROB) sets them.
	dynamic bool
	// spec holds the pairs' SPECPROB tables (n×n, nil entries: none).
	spec []*[SpecProbEntries]float64
	// clock drives the interference windows (tests set it).
	clock func() time.Duration
	// js is what the per-frame judge reads, republished on every change
	// that concerns it.
	js atomic.Pointer[judgeState]
}

// judgeState is the per-frame judge's immutable view of the model (the
// interference accounts inside it are atomics).
type judgeState struct {
	judging bool
	per     *wmediumd.PERTable
	fading  float64
	noise   float64
	n       int
	spec    []*[SpecProbEntries]float64
	intf    *interference
}

// publishLocked republishes the judge's view after a change.
func (m *Model) publishLocked() {
	c := m.cfg
	st := &judgeState{per: m.per, fading: float64(c.FadingCoefficient), noise: c.Noise, n: c.N()}
	if m.spec != nil {
		st.spec = append([]*[SpecProbEntries]float64(nil), m.spec...)
	}
	if c.Interference {
		if old := m.js.Load(); old != nil && old.intf != nil && len(old.intf.durUs) == c.N() {
			st.intf = old.intf
		} else {
			st.intf = newInterference(c.N(), m.clock)
		}
	}
	st.judging = st.per != nil || st.fading > 0 || st.intf != nil || m.dynamic
	m.js.Store(st)
}

// SetPERTable makes the SNR and path_loss models lossy by a -x table: each
// attempt is lost with the table's probability at the frame's SNR for the
// rate of that attempt (the chain stage's).
func (m *Model) SetPERTable(t *wmediumd.PERTable) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.per = t
	m.publishLocked()
}

// NewModel serves cfg; the Model owns it from now on.
func NewModel(cfg *wmediumd.Config) *Model {
	m := &Model{cfg: cfg}
	m.publishLocked()
	return m
}

// NewDynamicModel serves the fork's dynamic mode (-d) on cfg, a prob
// config (usually without stations): stations come with ADD over the
// socket; every pair of a new station loses every frame until
// SPECPROB_UPDATE (a loss per size class and rate) or ERRPROB_UPDATE sets
// it.
func NewDynamicModel(cfg *wmediumd.Config) *Model {
	if cfg.LossProb == nil {
		cfg.LossProb = make([]float64, cfg.N()*cfg.N())
	}
	m := &Model{cfg: cfg, dynamic: true, spec: make([]*[SpecProbEntries]float64, cfg.N()*cfg.N())}
	m.publishLocked()
	return m
}

// SetClock replaces the monotonic clock of the interference windows
// (tests); call it before serving.
func (m *Model) SetClock(now func() time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.clock = now
	m.js.Store(&judgeState{}) // no interference accounts to carry over
	m.publishLocked()
}

// Judging reports whether frames need per-frame decisions
// (medium.FrameJudge): a -x table, fading, interference or the dynamic
// mode. Without them the medium never asks.
func (m *Model) Judging() bool { return m.js.Load().judging }

var _ medium.FrameJudge = (*Model)(nil)

// station returns the station index of a radio: its own address, else the
// lowest index among its extra addresses.
func (m *Model) station(e medium.PairEnd) (int, bool) {
	if i, ok := m.cfg.Index(wmediumd.MAC(e.Addr)); ok {
		return i, true
	}
	best := -1
	for _, a := range e.Extra {
		if i, ok := m.cfg.Index(wmediumd.MAC(a)); ok && (best < 0 || i < best) {
			best = i
		}
	}
	return best, best >= 0
}

// Pair decides tx→rx: unlisted radios and different media hear nothing;
// SNR ≤ 0 is never delivered; the prob model's loss is one draw per frame.
// With a -x table, fading, interference or the dynamic mode the pair is
// Judged: the judge (judge.go) decides each of its frames.
func (m *Model) Pair(tx, rx medium.PairEnd) (medium.PairLink, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cfg
	i, ok1 := m.station(tx)
	j, ok2 := m.station(rx)
	if !ok1 || !ok2 || i == j {
		return medium.PairLink{SignalDBm: c.Noise, Unheard: true}, true
	}
	l := c.Link(i, j)
	pl := medium.PairLink{SignalDBm: l.SNR + c.Noise, Unheard: l.SNR <= 0 || !l.SameMedium}
	if l.HasLossProb {
		pl.Loss, pl.FrameLoss = l.LossProb, true
	}
	if m.js.Load().judging && l.SameMedium {
		pl.Judged, pl.From, pl.To = true, uint16(i), uint16(j)
	}
	return pl, true
}

// Stations returns a copy of the station list and the model type.
func (m *Model) Stations() ([]wmediumd.MAC, wmediumd.LinkModel) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]wmediumd.MAC(nil), m.cfg.IDs...), m.cfg.Model
}

// Signal returns the signal of the pair of stations i→j in dBm.
func (m *Model) Signal(i, j int) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i < 0 || j < 0 || i >= m.cfg.N() || j >= m.cfg.N() {
		return 0, false
	}
	return m.cfg.Signal(i, j), true
}

func (m *Model) index(a frames.MAC) (int, bool) { return m.cfg.Index(wmediumd.MAC(a)) }

// SetSNR sets the SNR of from→to (the fork's SNR_UPDATE; one direction).
func (m *Model) SetSNR(from, to frames.MAC, snr int32) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok1 := m.index(from)
	j, ok2 := m.index(to)
	if !ok1 || !ok2 {
		return NotFound
	}
	m.cfg.SNR[i*m.cfg.N()+j] = float64(snr)
	return Success
}

// SetLossProb sets the frame loss probability of from→to (ERRPROB_UPDATE);
// only the prob model has a loss matrix.
func (m *Model) SetLossProb(from, to frames.MAC, p float64) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.LossProb == nil {
		return WrongMode
	}
	if !(p >= 0 && p <= 1) {
		return invalidRequest
	}
	i, ok1 := m.index(from)
	j, ok2 := m.index(to)
	if !ok1 || !ok2 {
		return NotFound
	}
	m.cfg.LossProb[i*m.cfg.N()+j] = p
	if m.spec != nil && m.spec[i*m.cfg.N()+j] != nil {
		m.spec[i*m.cfg.N()+j] = nil // the last update wins
		m.publishLocked()
	}
	return Success
}

// SetSpecProb gives from→to a loss per frame size class and rate
// (SPECPROB_UPDATE): probs[size·12 + rate]. Only the dynamic mode keeps
// such tables.
func (m *Model) SetSpecProb(from, to frames.MAC, probs *[SpecProbEntries]float64) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.spec == nil {
		return WrongMode
	}
	for _, p := range probs {
		if !(p >= 0 && p <= 1) {
			return invalidRequest
		}
	}
	i, ok1 := m.index(from)
	j, ok2 := m.index(to)
	if !ok1 || !ok2 {
		return NotFound
	}
	t := *probs
	m.spec[i*m.cfg.N()+j] = &t
	m.publishLocked()
	return Success
}

// updateStation changes one station of the path_loss model and recomputes
// the SNR matrix.
func (m *Model) updateStation(a frames.MAC, f func(*wmediumd.Station)) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cfg.PathLoss == nil {
		return WrongMode
	}
	i, ok := m.index(a)
	if !ok {
		return NotFound
	}
	f(&m.cfg.PathLoss.Stations[i])
	m.cfg.PathLoss.Recompute(m.cfg.SNR, wmediumd.DefaultFreqHz)
	return Success
}

// SetPosition moves a station (POS_UPDATE), metres.
func (m *Model) SetPosition(a frames.MAC, x, y, z float64) Result {
	if !finite(x) || !finite(y) || !finite(z) {
		return invalidRequest
	}
	return m.updateStation(a, func(s *wmediumd.Station) { s.X, s.Y, s.Z = x, y, z })
}

// SetTxPower sets a station's transmit power in dBm (TXPOWER_UPDATE).
func (m *Model) SetTxPower(a frames.MAC, dbm int32) Result {
	return m.updateStation(a, func(s *wmediumd.Station) { s.TxPower = float64(dbm) })
}

// SetGain sets a station's antenna gain in dBi (GAIN_UPDATE).
func (m *Model) SetGain(a frames.MAC, dbi int32) Result {
	return m.updateStation(a, func(s *wmediumd.Station) { s.Gain = float64(dbi) })
}

// SetHeight sets a station's antenna height in metres (HEIGHT_UPDATE).
func (m *Model) SetHeight(a frames.MAC, h int32) Result {
	return m.updateStation(a, func(s *wmediumd.Station) { s.Height = float64(h) })
}

// SetGaussianRandom sets a station's shadowing sample in dB
// (GAUSSIAN_RANDOM_UPDATE), used by log_normal_shadowing.
func (m *Model) SetGaussianRandom(a frames.MAC, v float64) Result {
	if !finite(v) {
		return invalidRequest
	}
	return m.updateStation(a, func(s *wmediumd.Station) { s.Shadow = v })
}

// SetMedium puts a station in medium id (MEDIUM_UPDATE): stations hear each
// other only within one medium.
func (m *Model) SetMedium(a frames.MAC, id int32) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index(a)
	if !ok {
		return NotFound
	}
	m.cfg.Medium[i] = int(id)
	return Success
}

// Move advances the stations by their directions (model.directions) and
// recomputes the SNRs; it reports whether anything moves.
func (m *Model) Move() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	pl := m.cfg.PathLoss
	if pl == nil || !pl.Moving {
		return false
	}
	pl.Move()
	pl.Recompute(m.cfg.SNR, wmediumd.DefaultFreqHz)
	return true
}

// Add appends a station (ADD): its pairs get the default SNR and no loss,
// and, with path_loss, a station at the origin with wmediumd's default
// power. It returns the new index.
func (m *Model) Add(a frames.MAC) (int, Result) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.cfg
	if i, ok := m.index(a); ok {
		return i, Duplicate
	}
	if c.N() >= wmediumd.MaxStations {
		return 0, invalidRequest
	}
	n := c.N()
	keep := make([]int, n)
	for i := range keep {
		keep[i] = i
	}
	c.IDs = append(c.IDs, wmediumd.MAC(a))
	c.Medium = append(c.Medium, 0)
	if c.PathLoss != nil {
		c.PathLoss.Stations = append(c.PathLoss.Stations, wmediumd.Station{TxPower: wmediumd.DefaultSNR, Height: 1})
	}
	m.reshape(keep, n+1)
	if m.dynamic {
		// The fork's dynamic mode: a new station's pairs lose every
		// frame until an update sets them.
		for k := range n + 1 {
			c.LossProb[k*(n+1)+n], c.LossProb[n*(n+1)+k] = 1, 1
		}
	}
	if c.PathLoss != nil {
		c.PathLoss.Recompute(c.SNR, wmediumd.DefaultFreqHz)
	}
	m.publishLocked()
	return n, Success
}

// DelByMAC removes the station with that address (DEL_BY_MAC).
func (m *Model) DelByMAC(a frames.MAC) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index(a)
	if !ok {
		return NotFound
	}
	m.del(i)
	return Success
}

// DelByID removes station index id (DEL_BY_ID).
func (m *Model) DelByID(id int32) Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id < 0 || int(id) >= m.cfg.N() {
		return NotFound
	}
	m.del(int(id))
	return Success
}

func (m *Model) del(i int) {
	c := m.cfg
	n := c.N()
	keep := make([]int, 0, n-1)
	for k := range n {
		if k != i {
			keep = append(keep, k)
		}
	}
	c.IDs = append(c.IDs[:i:i], c.IDs[i+1:]...)
	c.Medium = append(c.Medium[:i:i], c.Medium[i+1:]...)
	if c.PathLoss != nil {
		c.PathLoss.Stations = append(c.PathLoss.Stations[:i:i], c.PathLoss.Stations[i+1:]...)
	}
	m.reshape(keep, n-1)
	m.publishLocked()
}

// reshape rebuilds the n×n matrices for size: entry (a, b) of the new
// matrix is old (keep[a], keep[b]) where both exist, defaults elsewhere.
func (m *Model) reshape(keep []int, size int) {
	c := m.cfg
	oldN := 0
	for oldN*oldN < len(c.SNR) {
		oldN++
	}
	snr := make([]float64, size*size)
	var loss []float64
	if c.LossProb != nil {
		loss = make([]float64, size*size)
	}
	var spec []*[SpecProbEntries]float64
	if m.spec != nil {
		spec = make([]*[SpecProbEntries]float64, size*size)
	}
	for a := range size {
		for b := range size {
			v, p := float64(wmediumd.DefaultSNR), 0.0
			if a < len(keep) && b < len(keep) {
				v = c.SNR[keep[a]*oldN+keep[b]]
				if loss != nil {
					p = c.LossProb[keep[a]*oldN+keep[b]]
				}
				if spec != nil {
					spec[a*size+b] = m.spec[keep[a]*oldN+keep[b]]
				}
			}
			snr[a*size+b] = v
			if loss != nil {
				loss[a*size+b] = p
			}
		}
	}
	c.SNR, c.LossProb = snr, loss
	if spec != nil {
		m.spec = spec
	}
}

func finite(f float64) bool { return f == f && f > -1e300 && f < 1e300 }
