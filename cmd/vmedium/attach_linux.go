package main

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hwsim"
)

// attached is `vmedium run --attach`: vmedium registers as the medium of
// mac80211_hwsim radios that already exist (the classic wmediumd recipe:
// `modprobe mac80211_hwsim radios=N`, then `iw phy … set netns …`) and
// serves them, and the ones created later, without building a lab: no
// namespaces, no interfaces, no daemons are made or removed. Each radio is
// named after its interface (wlan0, …), so `vmctl deny -s wlan1 -d wlan2`
// works.
type attached struct {
	b      *hwsim.Backend
	cancel context.CancelFunc
	done   <-chan error
}

// attachHwsim registers with the kernel, attaches every existing radio and
// starts serving frames.
func attachHwsim(m *medium.Medium, log *slog.Logger) (*attached, error) {
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
	ctx, cancel := context.WithCancel(context.Background())
	a := &attached{b: b, cancel: cancel, done: b.Start(ctx)}
	go func() {
		if err, ok := <-a.done; ok && err != nil {
			log.Error("hwsim medium stopped", "err", err)
		}
	}()
	return a, nil
}

// Hwsim returns the backend (for its metrics collector).
func (a *attached) Hwsim() (*hwsim.Backend, bool) { return a.b, true }

// Summary lists the attached radios.
func (a *attached) Summary() string {
	served := a.b.Served()
	ids := make([]int, 0, len(served))
	for id := range served {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var sb strings.Builder
	fmt.Fprintf(&sb, "attached to %d mac80211_hwsim %s (no lab: namespaces, interfaces and daemons are yours)\n",
		len(ids), plural(len(ids), "radio", "radios"))
	for _, id := range ids {
		fmt.Fprintf(&sb, "  %s: hwsim radio %d\n", served[id], id)
	}
	return sb.String()
}

// Close unregisters: the kernel falls back to its own medium for the
// radios, which stay.
func (a *attached) Close() error {
	a.cancel()
	return a.b.Close()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
