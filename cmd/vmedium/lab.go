// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
)

// This file is the only place cmd/vmedium builds radios: a lab (lab.Up) or
// an attachment (lab.Attach), both read from the table lab.Kinds, or none
// (--no-lab); guests' radios join through serveGuests (guests.go).

// runningLab is what run needs of a lab or an attachment.
type runningLab interface {
	// Summary is printed once the radios are up.
	Summary() string
	// Backends are the running kinds, one each (a mixed lab has several).
	Backends() []lab.Backend
	Close() error
}

// loadLabConfig reads --config (strict YAML) or returns the default lab.
func loadLabConfig(path string) (*lab.Config, error) {
	if path == "" {
		return lab.DefaultConfig(), nil
	}
	return lab.LoadConfig(path)
}

// labBuilder brings up the radios on m once the rules are in force and the
// control API answers; a variable so tests can build radios of their own.
var labBuilder = func(ctx context.Context, f *runFlags, cfg *lab.Config, kind medium.Kind, m *medium.Medium,
	log *slog.Logger, progress io.Writer) (runningLab, error) {
	if f.attach {
		return lab.Attach(ctx, string(kind), m, log)
	}
	if f.noLab {
		return noLab{}, nil
	}
	return lab.Up(ctx, cfg, lab.Options{
		Medium: m, Backend: string(kind), StateDir: f.stateDir, ReuseNetns: f.reuseNetns,
		KeepRules: true, Log: log, Progress: progress,
	})
}
