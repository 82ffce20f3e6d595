// SPDX-License-Identifier: MIT

package wmediumd

import (
	"fmt"
	"strings"

	"github.com/vmedium/vmedium/medium/wmediumd/libconfig"
)

// pathLoss reads model.type "path_loss": positions, directions, tx_powers,
// isnodeaps and model_name with its parameters.
func (l *loader) pathLoss(model *libconfig.Setting) error {
	n := l.n()
	pl := &PathLoss{Stations: make([]Station, n), Noise: l.cfg.Noise}
	for i := range pl.Stations {
		pl.Stations[i].TxPower = DefaultSNR // wmediumd's station default
		pl.Stations[i].Height = 1
	}

	perStation := func(name, what string, required bool) (*libconfig.Setting, error) {
		s := model.Member(name)
		if s == nil {
			if required {
				return nil, l.missing("model."+name, fmt.Sprintf("path_loss needs %s, one per station (%d)", what, n))
			}
			return nil, nil
		}
		if s.Type.Scalar() || s.Len() != n {
			return nil, at(s, fmt.Sprintf("has %s; ifaces.ids has %d stations: give %s, one per station", describe(s), n, what))
		}
		return s, nil
	}
	positions, err := perStation("positions", "positions (x, y) or (x, y, z) in metres", true)
	if err != nil {
		return err
	}
	directions, err := perStation("directions", "directions (dx, dy) in metres per 3 s", false)
	if err != nil {
		return err
	}
	txPowers, err := perStation("tx_powers", "tx powers in dBm (floats)", true)
	if err != nil {
		return err
	}
	isAP := model.Member("isnodeaps")
	if isAP != nil && (isAP.Type.Scalar() || isAP.Len() != n) {
		l.warn(isAP, "has %s but ifaces.ids has %d stations; missing entries read 0 (not an AP), as in wmediumd", describe(isAP), n)
	}

	if pl.Propagation, err = l.propagation(model); err != nil {
		return err
	}

	for i := range n {
		st := &pl.Stations[i]
		p := positions.Children[i]
		if p.Len() != 2 && p.Len() != 3 {
			return at(p, fmt.Sprintf("a position is (x, y) or (x, y, z) in metres (floats), found %s", describe(p)))
		}
		st.X, st.Y = l.floatVal(p.Children[0]), l.floatVal(p.Children[1])
		if p.Len() == 3 {
			st.Z = l.floatVal(p.Children[2])
		}
		if directions != nil {
			d := directions.Children[i]
			if d.Len() != 2 {
				return at(d, fmt.Sprintf("a direction is (dx, dy) in metres per 3 s (floats), found %s", describe(d)))
			}
			st.DirX, st.DirY = l.floatVal(d.Children[0]), l.floatVal(d.Children[1])
		}
		st.TxPower = l.floatVal(txPowers.Children[i])
		if isAP != nil && i < isAP.Len() {
			e := isAP.Children[i]
			v := l.intVal(e)
			if v != 0 && v != 1 {
				l.warn(e, "%d: isnodeaps entries are 1 (an AP) or 0; wmediumd treats %d as 0, and so does vmedium", v, v)
			}
			st.IsAP = v == 1
		}
	}
	pl.Moving = directions != nil
	pl.APPower = isAP != nil
	l.cfg.PathLoss = pl
	return nil
}

// propagation reads model_name and the parameters of the named model.
func (l *loader) propagation(model *libconfig.Setting) (Propagation, error) {
	accepted := "accepted: " + strings.Join(PropagationNames, ", ")
	s := model.Member("model_name")
	if s == nil {
		return nil, l.missing("model.model_name", "path_loss needs model_name; "+accepted)
	}
	name, ok := s.GetString()
	if !ok {
		return nil, at(s, fmt.Sprintf("must be a string, found a %s; %s", s.Type, accepted))
	}
	why := fmt.Sprintf("model_name %q", name)
	systemLoss := func() (float64, error) {
		v, err := l.lookupInt(model, "sL", false, 1, why)
		if err == nil && v < 1 {
			sl := model.Member("sL")
			return 0, at(sl, fmt.Sprintf("system loss %d: sL is a linear loss factor, accepted: an integer >= 1 (1 = no loss)", v))
		}
		return float64(v), err
	}
	switch name {
	case "log_distance":
		exp, err := l.lookupFloat(model, "path_loss_exp", true, 0, why)
		if err != nil {
			return nil, err
		}
		xg, err := l.lookupFloat(model, "xg", true, 0, why)
		if err != nil {
			return nil, err
		}
		return LogDistance{Exponent: exp, Xg: xg}, nil
	case "free_space":
		sl, err := systemLoss()
		if err != nil {
			return nil, err
		}
		return FreeSpace{SystemLoss: sl}, nil
	case "log_normal_shadowing":
		sl, err := systemLoss()
		if err != nil {
			return nil, err
		}
		exp, err := l.lookupFloat(model, "path_loss_exp", true, 0, why)
		if err != nil {
			return nil, err
		}
		return LogNormalShadowing{Exponent: exp, SystemLoss: sl}, nil
	case "two_ray_ground":
		sl, err := systemLoss()
		if err != nil {
			return nil, err
		}
		return TwoRayGround{SystemLoss: sl}, nil
	case "itu":
		floors, err := l.lookupInt(model, "nFLOORS", true, 0, why)
		if err != nil {
			return nil, err
		}
		lfName := "LF" // upstream's spelling; the fork writes lF
		if model.Member(lfName) == nil && model.Member("lF") != nil {
			lfName = "lF"
		}
		lf, err := l.lookupInt(model, lfName, true, 0, why)
		if err != nil {
			return nil, err
		}
		pl, err := l.lookupInt(model, "pL", false, 0, why)
		if err != nil {
			return nil, err
		}
		return ITU{Floors: floors, FloorLossDB: lf, PowerLoss: pl}, nil
	case "nakagami":
		m, err := l.lookupFloat(model, "m", false, 1, why)
		if err != nil {
			return nil, err
		}
		exp, err := l.lookupFloat(model, "path_loss_exp", false, 2, why)
		if err != nil {
			return nil, err
		}
		xg, err := l.lookupFloat(model, "xg", false, 0, why)
		if err != nil {
			return nil, err
		}
		return Nakagami{M: m, Exponent: exp, Xg: xg}, nil
	}
	return nil, at(s, fmt.Sprintf("unknown path loss model %q; %s", name, accepted))
}
