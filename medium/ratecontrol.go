// SPDX-License-Identifier: MIT

package medium

import (
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/air/ratectl"
)

// Radios whose MAC is the project's own Go code (tap and kmod: sta/ap)
// give no rate chain; with the air model on, the medium picks one for
// them with a sampling rate control per (transmitter, receiver), so a
// unicast frame's rate follows the link as minstrel does for hwsim radios
// and `errors: per` means the same for every kind.

// rateCtlLocked returns tx's controller for frames to rx on freq, made on
// first use. tx.rngMu must be held.
func (tx *Radio) rateCtlLocked(m *Medium, a *airSnap, rx *Radio, freq uint32) *ratectl.Controller {
	if rx.slot >= len(tx.rc) {
		n := make([]*ratectl.Controller, rx.slot+1)
		copy(n, tx.rc)
		tx.rc = n
	}
	c := tx.rc[rx.slot]
	// The 2.4 GHz set starts with DSSS; a radio that changed band gets a
	// new controller.
	if c == nil || (c.Rates()[0].Format == air.FormatDSSS) != (air.BandOf(freq) == air.Band2GHz) {
		var err error
		c, err = ratectl.New(air.LegacyModes(air.BandOf(freq)), air.DefaultTiming(freq), a.model.BasicRates(),
			m.opts.Seed^nameHash(tx.name)^nameHash(rx.name))
		if err != nil {
			return nil
		}
		tx.rc[rx.slot] = c
	}
	return c
}

// pickRate fills c with the rate control's chain for a unicast frame from
// tx to rx; it returns the controller to report the outcome to.
func (m *Medium) pickRate(a *airSnap, tx, rx *Radio, freq uint32, c *air.Chain) *ratectl.Controller {
	tx.rngMu.Lock()
	defer tx.rngMu.Unlock()
	rc := tx.rateCtlLocked(m, a, rx, freq)
	if rc != nil {
		rc.Chain(c)
	}
	return rc
}

// reportRate feeds the outcome of a frame sent with c back to rc.
func reportRate(tx *Radio, rc *ratectl.Controller, c *air.Chain, o *air.Outcome) {
	if rc == nil {
		return
	}
	tx.rngMu.Lock()
	rc.Report(c, o)
	tx.rngMu.Unlock()
}
