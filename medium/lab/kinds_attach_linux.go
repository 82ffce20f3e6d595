// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hwsim"
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
