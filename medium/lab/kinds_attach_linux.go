// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/kmod"
)

// attachHwsim is the hwsim kind's Attach, the wmediumd recipe: vmedium
// registers as the medium of mac80211_hwsim radios that already exist
// (`modprobe mac80211_hwsim radios=N`, then `iw phy … set netns …`) and
// serves them, and the ones created later. Each radio is named after its
// interface (wlan0, …), so `vmctl deny -s wlan1 -d wlan2` works.
func attachHwsim(ctx context.Context, m *medium.Medium, log *slog.Logger) (Backend, error) {
	b, err := hwsim.Open(m, hwsim.Options{Logger: log, AutoAttach: true})
	if err != nil {
		return nil, fmt.Errorf("attach to mac80211_hwsim radios: %w", err)
	}
	n, err := b.Discover()
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("attach to mac80211_hwsim radios: discover: %w", err)
	}
	if n == 0 {
		log.Warn("attach: no mac80211_hwsim radio exists yet; radios created later are served as they appear")
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &hwsimAttached{b: b, m: m, cancel: cancel, done: make(chan struct{})}
	errc := b.Start(ctx)
	go func() {
		defer close(a.done)
		if err, ok := <-errc; ok && err != nil {
			log.Error("hwsim medium stopped", "err", err)
		}
	}()
	return a, nil
}

// hwsimAttached is the Backend of an hwsim attachment.
type hwsimAttached struct {
	b      *hwsim.Backend
	m      *medium.Medium
	cancel context.CancelFunc
	done   chan struct{}
}

func (a *hwsimAttached) Kind() medium.Kind { return medium.KindHwsim }

func (a *hwsimAttached) Summary() string {
	return summaryLine(medium.KindHwsim, "live", countKind(a.m, medium.KindHwsim))
}

func (a *hwsimAttached) Collector() prometheus.Collector { return hwsim.NewCollector(a.b) }

// MACStatus is what cfg80211 says of the radio's interface.
func (a *hwsimAttached) MACStatus(name string) (medium.MACStatus, bool) {
	r, ok := a.m.Radio(name)
	if !ok || r.Kind() != medium.KindHwsim {
		return medium.MACStatus{}, false
	}
	return r.MACStatus()
}

// Close unregisters: the kernel falls back to its own medium for the
// radios, which stay.
func (a *hwsimAttached) Close() error {
	a.cancel()
	err := a.b.Close()
	<-a.done
	return err
}

// attachKmod is the kmod kind's Attach: vmedium registers as the medium
// of vmedium.ko (`insmod vmedium.ko radios=N`, then `iw phy vw_phyN set
// netns …`) and serves its interfaces as radios named after them (vw0, …).
// The Go STA/AP under each interface are its "firmware": hostapd and
// wpa_supplicant (or iw) drive it through cfg80211, and their keys
// protect the frames on the air.
func attachKmod(ctx context.Context, m *medium.Medium, log *slog.Logger) (Backend, error) {
	c, err := kmod.Dial()
	if err != nil {
		return nil, fmt.Errorf("attach to vmedium.ko radios: %w", err)
	}
	b, err := kmod.New(m, c, kmod.Options{Logger: log})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("attach to vmedium.ko radios: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	a := &kmodAttached{b: b, m: m, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		if err := b.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("kmod medium stopped", "err", err)
		}
	}()
	return a, nil
}

// kmodAttached is the Backend of a vmedium.ko attachment.
type kmodAttached struct {
	b      *kmod.Backend
	m      *medium.Medium
	cancel context.CancelFunc
	done   chan struct{}
}

func (a *kmodAttached) Kind() medium.Kind { return medium.KindKmod }

func (a *kmodAttached) Summary() string {
	state := "live"
	if !a.b.Live() {
		state = "down"
	}
	return summaryLine(medium.KindKmod, state, len(a.b.Radios()))
}

func (a *kmodAttached) Collector() prometheus.Collector { return nil }

// MACStatus is what the interface's Go MAC says.
func (a *kmodAttached) MACStatus(name string) (medium.MACStatus, bool) {
	r, ok := a.m.Radio(name)
	if !ok || r.Kind() != medium.KindKmod {
		return medium.MACStatus{}, false
	}
	return r.MACStatus()
}

// Close unregisters from the module: carriers drop, the interfaces stay,
// and cfg80211 keeps their state for the next medium.
func (a *kmodAttached) Close() error {
	a.cancel()
	<-a.done
	return a.b.Close()
}
