// SPDX-License-Identifier: MIT

package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

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

// Identity names a lab config by its content: the same radios, rules and
// settings give the same identity, whatever the file's comments or layout.
// The runtime state records it, so that a saved state is restored only
// under the config it was made with.
func Identity(cfg *Config) string {
	b, err := json.Marshal(cfg)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}
