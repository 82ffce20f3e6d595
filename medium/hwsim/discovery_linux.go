// SPDX-License-Identifier: MIT

package hwsim

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/nl80211"
)

// SysfsClass lists one hwsimN device per kernel radio, whatever network
// namespace its wiphy lives in (the device class is not namespaced).
const SysfsClass = "/sys/class/mac80211_hwsim"

// RadioIDs returns the ids of every existing hwsim radio.
func RadioIDs() ([]int, error) {
	ents, err := os.ReadDir(SysfsClass)
	if err != nil {
		return nil, fmt.Errorf("hwsim: list radios: %w", err)
	}
	var ids []int
	for _, e := range ents {
		if n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "hwsim")); err == nil && strings.HasPrefix(e.Name(), "hwsim") {
			ids = append(ids, n)
		}
	}
	sort.Ints(ids)
	return ids, nil
}

// nsInterface is a wireless interface and the namespace it was found in
// ("" = the initial one, else a /run/netns path).
type nsInterface struct {
	nl80211.Interface
	ns string
}

// allInterfaces dumps the wireless interfaces of the initial namespace and
// of every named one (/run/netns/*), keyed by MAC.
func allInterfaces() map[frames.MAC]nsInterface {
	out := map[frames.MAC]nsInterface{}
	add := func(ns string, ifs []nl80211.Interface) {
		for _, i := range ifs {
			if _, dup := out[i.MAC]; !dup {
				out[i.MAC] = nsInterface{i, ns}
			}
		}
	}
	if ifs, err := nl80211.Interfaces(); err == nil {
		add("", ifs)
	}
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		p := filepath.Join("/run/netns", e.Name())
		if ifs, err := nl80211.InterfacesIn(p); err == nil {
			add(p, ifs)
		}
	}
	return out
}

// ifaceCache keeps one allInterfaces scan for ifaceCacheTTL: `vmctl radios`
// asks every attached radio for its status in turn, and each would
// otherwise dump the interfaces of every namespace again (radios ×
// namespaces dumps per call with many radios).
type ifaceCache struct {
	mu  sync.Mutex
	at  time.Time
	ifs map[frames.MAC]nsInterface
}

const ifaceCacheTTL = time.Second

func (c *ifaceCache) get() map[frames.MAC]nsInterface {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ifs == nil || time.Since(c.at) > ifaceCacheTTL {
		c.ifs, c.at = allInterfaces(), time.Now()
	}
	return c.ifs
}

// interfaceStatus describes, for `vmctl radios`, the MAC of an attached
// radio whose daemons vmedium does not run: its interface (the one with
// address vif, wherever it lives now) as cfg80211 reports it — the role
// from the interface type, the channel and SSID, and from a station dump
// the AP a station is associated with (with the signal mac80211 measured;
// the SSID from its scan results) or an AP's associated stations.
func interfaceStatus(ifs map[frames.MAC]nsInterface, vif frames.MAC) medium.MACStatus {
	i, ok := ifs[vif]
	if !ok {
		return medium.MACStatus{State: "no interface"}
	}
	st := medium.MACStatus{Role: nl80211.IftypeRole(i.Type), SSID: i.SSID, FreqMHz: i.FreqMHz}
	// Without a station dump (an error) the state stays idle or down.
	stas, _ := nl80211.StationsIn(i.ns, i.Index)
	switch i.Type {
	case nl80211.IftypeStation, nl80211.IftypeP2PClient:
		st.State = "idle"
		for _, s := range stas { // a station's one peer: its AP
			if !s.Associated {
				continue
			}
			st.State, st.BSSID = "associated", s.MAC.String()
			if s.HasSignal {
				sig := s.SignalDBm
				st.SignalDBm = &sig
			}
			if st.SSID == "" {
				if bss, ok, err := nl80211.AssociatedBSSIn(i.ns, i.Index); err == nil && ok {
					st.SSID = bss.SSID
				}
			}
			break
		}
	case nl80211.IftypeAP, nl80211.IftypeP2PGO:
		st.State = "down"
		if i.SSID != "" { // set while beaconing
			st.State, st.BSSID = "enabled", i.MAC.String()
		}
		for _, s := range stas {
			if s.Associated {
				st.Stations = append(st.Stations, s.MAC.String())
			}
		}
	}
	return st
}

// Discover attaches every existing hwsim radio not served yet (attach mode:
// radios from `modprobe mac80211_hwsim radios=N`, possibly moved into
// namespaces with `iw phy … set netns`). A radio is named after its first
// interface (the one with its default address 02:00:00:HH:LL:00, found by an
// nl80211 dump of the initial and every named namespace), else hwsimN. It
// returns how many radios it attached.
func (b *Backend) Discover() (int, error) {
	ids, err := RadioIDs()
	if err != nil {
		return 0, err
	}
	served := b.Served()
	var ifs map[frames.MAC]nsInterface
	n := 0
	for _, id := range ids {
		if _, ok := served[id]; ok {
			continue
		}
		if b.reg.ours(id, "") {
			continue
		}
		if ifs == nil {
			ifs = allInterfaces()
		}
		name, addr := fmt.Sprintf("hwsim%d", id), HwAddr(id)
		if i, ok := ifs[VifAddr(id)]; ok {
			name, addr = i.Name, i.MAC
		}
		if _, taken := b.m.Radio(name); taken {
			name = fmt.Sprintf("%s-hwsim%d", name, id)
		}
		r, err := b.Attach(id, name, HwAddr(id), addr)
		if err != nil {
			return n, err
		}
		vif := addr
		r.SetStatusSource(func() medium.MACStatus { return interfaceStatus(b.ifaces.get(), vif) })
		n++
	}
	return n, nil
}
