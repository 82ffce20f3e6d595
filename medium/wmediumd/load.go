// SPDX-License-Identifier: MIT

package wmediumd

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vmedium/vmedium/medium/wmediumd/libconfig"
)

// Load reads, parses and validates the wmediumd config file at path.
// Syntax errors are *libconfig.Error, model errors *Error; both name the
// file, line and key.
func Load(path string) (*Config, error) {
	root, err := libconfig.ParseFile(path)
	if err != nil {
		return nil, fmt.Errorf("wmediumd config: %w", err)
	}
	return FromSettings(path, root)
}

// Parse is Load for a config already in memory; file names it in messages
// and is the base of relative @include paths.
func Parse(file string, data []byte) (*Config, error) {
	root, err := libconfig.Parse(file, data)
	if err != nil {
		return nil, fmt.Errorf("wmediumd config: %w", err)
	}
	return FromSettings(file, root)
}

// FromSettings builds the model from a parsed config, reading each key the
// way wmediumd (upstream, the mininet-wifi fork and AOSP) reads it.
func FromSettings(file string, root *libconfig.Setting) (*Config, error) {
	l := &loader{file: file, root: root, cfg: &Config{File: file, Noise: NoiseLevel}}
	if err := l.load(); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

type loader struct {
	file string
	root *libconfig.Setting
	cfg  *Config
}

func (l *loader) warn(s *libconfig.Setting, format string, args ...any) {
	l.cfg.Warnings = append(l.cfg.Warnings, Warning{File: s.File, Line: s.Line, Key: s.Path(), Msg: fmt.Sprintf(format, args...)})
}

// missing is the error for a required key that is absent; it points at the
// enclosing group when there is one.
func (l *loader) missing(key, msg string) *Error {
	e := &Error{File: l.file, Key: key, Msg: "missing: " + msg}
	if i := strings.LastIndexByte(key, '.'); i > 0 {
		if g := l.root.Lookup(key[:i]); g != nil {
			e.File, e.Line = g.File, g.Line
		}
	}
	return e
}

func (l *loader) n() int { return len(l.cfg.IDs) }

func (l *loader) load() error {
	if err := l.ids(); err != nil {
		return err
	}
	n := l.n()
	l.cfg.Medium = make([]int, n)
	l.cfg.SNR = make([]float64, n*n)
	for i := range l.cfg.SNR {
		l.cfg.SNR[i] = DefaultSNR
	}
	l.scalars()

	model := l.root.Lookup("model")
	links := l.root.Lookup("ifaces.links")
	var snrLinks, probLinks *libconfig.Setting
	switch {
	case links != nil:
		snrLinks = links
		if t := model.Member("type"); t != nil {
			l.warn(t, "ignored: ifaces.links is given, and wmediumd then reads no model.type, model.links or path loss keys; the SNR matrix comes from ifaces.links")
		}
	case model.Member("type") != nil:
		typ, err := l.modelType(model.Member("type"))
		if err != nil {
			return err
		}
		l.cfg.Model = typ
		switch typ {
		case ModelSNR:
			snrLinks = model.Member("links")
		case ModelProb:
			probLinks = model.Member("links")
			if err := l.prob(model); err != nil {
				return err
			}
		case ModelPathLoss:
			if err := l.pathLoss(model); err != nil {
				return err
			}
		}
	case model.Member("links") != nil:
		l.warn(model.Member("links"), "ignored: model.type is missing, so wmediumd reads no model.links and every pair has SNR %d; add type = \"snr\" or type = \"prob\"", DefaultSNR)
	}
	if err := l.mediums(); err != nil {
		return err
	}
	if s := l.root.Lookup("ifaces.error_probs"); s != nil {
		l.warn(s, "ignored: this matrix form of an older wmediumd is not read; write model: { type = \"prob\"; links = ((i, j, p), ...); }")
	}
	given := make([]bool, n*n)
	if snrLinks != nil {
		if err := l.links(snrLinks, given, false); err != nil {
			return err
		}
	}
	if probLinks != nil {
		if err := l.links(probLinks, given, true); err != nil {
			return err
		}
	}
	// A link given in one direction only holds in both; given in both
	// directions it may be asymmetric.
	for i := range n {
		for j := range n {
			if i != j && given[i*n+j] && !given[j*n+i] {
				l.cfg.SNR[j*n+i] = l.cfg.SNR[i*n+j]
				if l.cfg.LossProb != nil {
					l.cfg.LossProb[j*n+i] = l.cfg.LossProb[i*n+j]
				}
			}
		}
	}
	if l.cfg.PathLoss != nil {
		l.cfg.PathLoss.Recompute(l.cfg.SNR, DefaultFreqHz)
	}
	return nil
}

func (l *loader) ids() error {
	ids := l.root.Lookup("ifaces.ids")
	example := `ifaces: { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };`
	if ids == nil {
		return l.missing("ifaces.ids", "list the stations' MAC addresses, e.g. "+example)
	}
	if ids.Type.Scalar() {
		return at(ids, fmt.Sprintf("must be an array of MAC address strings, found a %s; e.g. %s", ids.Type, example))
	}
	if ids.Len() == 0 {
		return at(ids, "lists no station; give at least one MAC address, e.g. "+example)
	}
	if ids.Len() > MaxStations {
		return at(ids, fmt.Sprintf("lists %d stations; at most %d are accepted (the link matrices grow with the square)", ids.Len(), MaxStations))
	}
	seen := map[MAC]int{}
	for i, e := range ids.Children {
		str, ok := e.GetString()
		if !ok {
			return at(e, fmt.Sprintf("must be a MAC address string like \"02:00:00:00:01:00\", found a %s", e.Type))
		}
		m, err := ParseMAC(str)
		if err != nil {
			return at(e, err.Error())
		}
		if j, dup := seen[m]; dup {
			l.warn(e, "%s is also station %d; frames from it are matched to station %d, as in wmediumd", m, j, j)
		} else {
			seen[m] = i
		}
		l.cfg.IDs = append(l.cfg.IDs, m)
	}
	return nil
}

// scalars reads the keys every model shares.
func (l *loader) scalars() {
	if s := l.root.Lookup("ifaces.enable_interference"); s != nil {
		l.cfg.Interference = l.boolVal(s)
	}
	if s := l.root.Lookup("model.noise_threshold"); s != nil {
		v := l.intVal(s)
		if v < 0 {
			l.cfg.Noise = float64(v)
		} else {
			l.warn(s, "ignored: the noise threshold must be negative (dBm); wmediumd then uses %d, and so does vmedium", NoiseLevel)
		}
	}
	if s := l.root.Lookup("model.fading_coefficient"); s != nil {
		v := l.intVal(s)
		if v > 0 {
			l.cfg.FadingCoefficient = int(v)
		} else if v < 0 {
			l.warn(s, "ignored: a negative fading coefficient means no fading in wmediumd; write 0 or a positive integer (dB per standard deviation)")
		}
	}
}

// modelType reads model.type the way wmediumd compares it: by prefix.
func (l *loader) modelType(s *libconfig.Setting) (LinkModel, error) {
	accepted := `accepted: "snr", "prob", "path_loss"`
	str, ok := s.GetString()
	if !ok {
		return 0, at(s, fmt.Sprintf("must be a string, found a %s; %s", s.Type, accepted))
	}
	for _, m := range []LinkModel{ModelSNR, ModelProb, ModelPathLoss} {
		name := m.String()
		if str == name {
			return m, nil
		}
		if strings.HasPrefix(str, name) {
			l.warn(s, "%q is read as %q (wmediumd compares only the first %d characters); write %q", str, name, len(name), name)
			return m, nil
		}
	}
	return 0, at(s, fmt.Sprintf("unknown model type %q; %s", str, accepted))
}

func (l *loader) prob(model *libconfig.Setting) error {
	n := l.n()
	def := 0.0
	if s := model.Member("default_prob"); s != nil {
		def = l.floatVal(s)
		if def < 0 || def > 1 || math.IsNaN(def) {
			return at(s, fmt.Sprintf("%v is not a probability; accepted: a float from 0.0 (no loss) to 1.0 (nothing passes)", s))
		}
	}
	l.cfg.LossProb = make([]float64, n*n)
	for i := range n {
		for j := range n {
			if i != j {
				l.cfg.LossProb[i*n+j] = def
			}
		}
	}
	return nil
}

// links reads (i, j, snr) or, for prob, (i, j, p) entries.
func (l *loader) links(links *libconfig.Setting, given []bool, prob bool) error {
	n := l.n()
	form := "(int, int, int): (from, to, SNR in dB)"
	if prob {
		form = "(int, int, float): (from, to, loss probability 0.0..1.0)"
	}
	if links.Type.Scalar() {
		return at(links, fmt.Sprintf("must be a list of links %s, found a %s", form, links.Type))
	}
	for _, e := range links.Children {
		if e.Len() != 3 {
			return at(e, fmt.Sprintf("a link has 3 values %s, found %s", form, describe(e)))
		}
		from, to := l.intVal(e.Children[0]), l.intVal(e.Children[1])
		for k, idx := range []int32{from, to} {
			if idx < 0 || int(idx) >= n {
				return at(e.Children[k], fmt.Sprintf("station index %d is out of range: ifaces.ids has %d stations (indices 0..%d)", idx, n, n-1))
			}
		}
		cell := int(from)*n + int(to)
		if from == to {
			l.warn(e, "a link from station %d to itself is ignored", from)
			continue
		}
		if prob {
			p := l.floatVal(e.Children[2])
			if p < 0 || p > 1 || math.IsNaN(p) {
				return &Error{File: e.Children[2].File, Line: e.Children[2].Line, Key: e.Children[2].Path(),
					Msg: fmt.Sprintf("%v is not a probability; accepted: a float from 0.0 (no loss) to 1.0 (nothing passes)", e.Children[2])}
			}
			l.cfg.LossProb[cell] = p
		} else {
			l.cfg.SNR[cell] = float64(l.intVal(e.Children[2]))
		}
		given[cell] = true
	}
	return nil
}

// mediums reads the fork's ifaces.medium_array: a list of groups of station
// indices, group i becoming medium i+1.
func (l *loader) mediums() error {
	arr := l.root.Lookup("ifaces.medium_array")
	if arr == nil {
		return nil
	}
	if arr.Type.Scalar() {
		return at(arr, fmt.Sprintf("must be a list of groups of station indices, e.g. ((0, 1), (2, 3)), found a %s", arr.Type))
	}
	n := l.n()
	assigned := make([]int, n)
	for gi, g := range arr.Children {
		if g.Type.Scalar() {
			l.warn(g, "ignored: each medium is a list of station indices, e.g. medium_array = ((0, 1), (2, 3)); wmediumd ignores a bare %s here", g.Type)
			continue
		}
		for _, e := range g.Children {
			idx := l.intVal(e)
			if idx < 0 || int(idx) >= n {
				return at(e, fmt.Sprintf("station index %d is out of range: ifaces.ids has %d stations (indices 0..%d)", idx, n, n-1))
			}
			if assigned[idx] != 0 {
				l.warn(e, "station %d is already in medium %d; the later medium %d wins, as in wmediumd", idx, assigned[idx], gi+1)
			}
			assigned[idx] = gi + 1
			l.cfg.Medium[idx] = gi + 1
		}
	}
	return nil
}

func describe(s *libconfig.Setting) string {
	if s.Type.Scalar() {
		return "a " + s.Type.String() + " " + s.String()
	}
	return strconv.Itoa(s.Len()) + " values"
}
