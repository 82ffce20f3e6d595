// SPDX-License-Identifier: MIT

package main

import (
	"fmt"
	"log/slog"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/wmediumd"
	"github.com/vmedium/vmedium/medium/wmediumd/dropin"
)

// applyWmediumdConfig puts a wmediumd configuration on the medium of
// `vmedium run --attach --wmediumd-config FILE`: the same pair model as
// the drop-in (stations by address, SNR/prob/path_loss matrices), under
// the lab's control API, state and metrics.
func applyWmediumdConfig(path string, m *medium.Medium, log *slog.Logger) error {
	if path == "" {
		return nil
	}
	cfg, err := wmediumd.Load(path)
	if err != nil {
		return fmt.Errorf("--wmediumd-config: %w", err)
	}
	for _, w := range cfg.Warnings {
		log.Warn("wmediumd config", "warning", w.String())
	}
	m.SetPairModel(dropin.NewModel(cfg))
	log.Info("wmediumd config", "file", path, "stations", cfg.N(), "model", cfg.Model.String())
	return nil
}
