// SPDX-License-Identifier: MIT

package lab

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/kmod"
)

// The Backends a lab's kinds register (l.AddBackend). Each is closed by
// Lab.Close through what its kind registered with l.OnClose, so Close here
// does nothing.

// labBackend is a lab's radios of one kind, for kinds with nothing of their
// own to report (tap).
type labBackend struct {
	kind medium.Kind
	l    *Lab
}

func newLabBackend(l *Lab, kind medium.Kind) *labBackend { return &labBackend{kind: kind, l: l} }

func (b *labBackend) Kind() medium.Kind { return b.kind }

func (b *labBackend) Summary() string {
	return summaryLine(b.kind, "live", countKind(b.l.m, b.kind))
}

func (b *labBackend) Collector() prometheus.Collector { return nil }

// MACStatus asks the lab's node (hostapd, wpa_supplicant, the Go MACs),
// else the radio's own port.
func (b *labBackend) MACStatus(name string) (medium.MACStatus, bool) {
	r, ok := b.l.m.Radio(name)
	if !ok || r.Kind() != b.kind {
		return medium.MACStatus{}, false
	}
	if n, ok := b.l.Node(name); ok && n.Status != nil {
		return n.Status(), true
	}
	return r.MACStatus()
}

func (b *labBackend) Close() error { return nil }

// hwsimLabBackend is a lab's mac80211_hwsim radios: the medium socket's
// counters join the metrics.
type hwsimLabBackend struct {
	labBackend
	b *hwsim.Backend
}

func newHwsimLabBackend(l *Lab, b *hwsim.Backend) *hwsimLabBackend {
	return &hwsimLabBackend{labBackend{medium.KindHwsim, l}, b}
}

func (b *hwsimLabBackend) Collector() prometheus.Collector { return hwsim.NewCollector(b.b) }

// kmodLabBackend is a lab's vmedium.ko radios: the module's registration
// decides live or down.
type kmodLabBackend struct {
	labBackend
	b *kmod.Backend
}

func newKmodLabBackend(l *Lab, b *kmod.Backend) *kmodLabBackend {
	return &kmodLabBackend{labBackend{medium.KindKmod, l}, b}
}

func (b *kmodLabBackend) Summary() string {
	state := "live"
	if !b.b.Live() {
		state = "down"
	}
	return summaryLine(medium.KindKmod, state, len(b.b.Radios()))
}

// Hwsim returns the lab's mac80211_hwsim backend, if the lab runs hwsim
// radios (tests reach the kernel radios through it).
func (l *Lab) Hwsim() (*hwsim.Backend, bool) {
	for _, b := range l.Backends() {
		if h, ok := b.(*hwsimLabBackend); ok {
			return h.b, true
		}
	}
	return nil, false
}

// Kmod returns the lab's vmedium.ko backend, if the lab runs kmod radios.
func (l *Lab) Kmod() (*kmod.Backend, bool) {
	for _, b := range l.Backends() {
		if k, ok := b.(*kmodLabBackend); ok {
			return k.b, true
		}
	}
	return nil, false
}
