// SPDX-License-Identifier: MIT

package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/guest/bridge"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/lab"
)

// noLab is `vmedium run --no-lab`: no local radios at all.
type noLab struct{}

func (noLab) Summary() string {
	return "no lab (--no-lab): no local radios; guests' radios join as they connect\n"
}
func (noLab) Backends() []lab.Backend { return nil }
func (noLab) Close() error            { return nil }

// withGuests is a lab (or none) plus the bridge serving guests on the
// same medium: the bridge is one more backend, of kind guest.
type withGuests struct {
	runningLab
	b     *bridge.Bridge
	addrs []transport.Addr
}

func (w withGuests) Summary() string {
	s := w.runningLab.Summary()
	for _, a := range w.addrs {
		s += fmt.Sprintf("guests: listening on %v (vmedium agent --connect …)\n", a)
	}
	return s
}

func (w withGuests) Backends() []lab.Backend {
	return append(w.runningLab.Backends(), w.b)
}

// Inner is the lab the guests join (for what only it can answer, such
// as its DHCP leases).
func (w withGuests) Inner() runningLab { return w.runningLab }

// Close says Bye to the guests first (their radios leave), then stops the lab.
func (w withGuests) Close() error {
	return errors.Join(w.b.Close(), w.runningLab.Close())
}

// serveGuests starts the bridge on every --guests address; on a failure
// it stops what it started and l.
func serveGuests(l runningLab, addrs []transport.Addr, m *medium.Medium, log *slog.Logger) (runningLab, error) {
	b := bridge.New(m, bridge.Options{Software: version, Logger: log})
	var bound []transport.Addr
	for _, a := range addrs {
		got, err := b.Serve(a)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("--guests %v: %w", a, err), b.Close(), l.Close())
		}
		bound = append(bound, got)
	}
	return withGuests{runningLab: l, b: b, addrs: bound}, nil
}
