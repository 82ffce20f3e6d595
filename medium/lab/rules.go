// SPDX-License-Identifier: MIT

package lab

import (
	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/medium"
)

// ConfigState is the medium rules a config describes: its explicit links,
// its deny pairs and the radios' positions. Up puts them (or Options.Rules)
// on the medium before the first radio joins.
func ConfigState(cfg *Config) medium.State {
	st := medium.State{Positions: map[string]medium.Position{}}
	for _, l := range cfg.Links {
		st.Links = append(st.Links, medium.LinkState{Src: l.Src, Dst: l.Dst, SignalDBm: l.Signal, Loss: l.Loss})
	}
	for _, d := range cfg.Deny {
		st.Deny = append(st.Deny, denylist.Pair{Src: d.Src, Dst: d.Dst})
	}
	for _, r := range cfg.Radios {
		if r.Position != nil {
			st.Positions[r.Name] = *r.Position
		}
	}
	if cfg.Air != nil {
		if a, err := cfg.Air.Medium(); err == nil {
			st.Air = &a
		}
	}
	return st
}
