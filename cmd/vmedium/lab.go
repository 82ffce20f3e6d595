package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
)

// This file is the only place cmd/vmedium touches package lab.

// runningLab is what run needs of a lab.
type runningLab interface {
	Summary() string
	Close() error
}

// loadLabConfig reads --config (strict YAML) or returns the default lab.
func loadLabConfig(path string) (*lab.Config, error) {
	if path == "" {
		return lab.DefaultConfig(), nil
	}
	return lab.LoadConfig(path)
}

// upLab brings up the lab's namespaces, radios and MACs on m.
func upLab(ctx context.Context, cfg *lab.Config, m *medium.Medium, backend, stateDir string,
	reuseNetns bool, log *slog.Logger, progress io.Writer) (runningLab, error) {
	return lab.Up(ctx, cfg, lab.Options{
		Medium: m, Backend: backend, StateDir: stateDir, ReuseNetns: reuseNetns,
		Log: log, Progress: progress,
	})
}
