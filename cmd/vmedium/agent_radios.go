// SPDX-License-Identifier: MIT

package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/guest/radioaddr"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/nl80211"
)

// `vmedium agent --radios N`: the agent makes the guest's radios itself,
// with permanent addresses derived from the guest name
// (medium/guest/radioaddr), so two guests never present the same
// stations to the host's medium. The radios outlive the agent (no
// DESTROY_RADIO_ON_CLOSE): hostapd and wpa_supplicant keep their
// interfaces while the agent restarts, and a restarted agent finds its
// radios again (by their addresses, and by its record of their ids for
// those moved into other network namespaces) instead of making more.

// ownRadio is one radio the agent made (now or on an earlier run).
type ownRadio struct {
	id    int
	addr  frames.MAC // permanent address: hwsim address and first interface's
	name  string     // its interface, or hwsimN when it has none
	fresh bool       // made by this run
}

// agentStateDir keeps, per guest name, which hwsim radio ids carry the
// agent's radios: a wiphy moved into another network namespace vanishes
// from the initial namespace's sysfs (class ieee80211 is namespaced), so
// its address cannot be read there. hwsim never reuses a radio id, and
// /run does not outlive the radios (a reboot clears both).
const agentStateDir = "/run/vmedium"

func agentStateFile(guest string) string {
	return filepath.Join(agentStateDir, "agent-"+guest+".radios")
}

// ensureRadios makes sure guest has radios 0..n-1 with their derived
// addresses, creating the missing ones, and attaches them to b.
func ensureRadios(b *hwsim.Backend, guest string, n int, log *slog.Logger) ([]ownRadio, error) {
	existing, err := radioAddrs()
	if err != nil {
		return nil, err
	}
	byAddr := map[frames.MAC]int{}
	for id, a := range loadRadioState(agentStateFile(guest)) {
		if _, ok := existing[id]; ok || radioExists(id) {
			byAddr[a] = id
		}
	}
	for id, a := range existing {
		byAddr[a] = id
	}
	var out []ownRadio
	for i := 0; i < n; i++ {
		want, err := radioaddr.For(guest, i)
		if err != nil {
			return nil, err
		}
		r := ownRadio{addr: want}
		if id, ok := byAddr[want]; ok {
			r.id = id
		} else {
			cr, err := b.CreateRadioWith(hwsim.NewRadio{PermAddr: want, Keep: true})
			if errors.Is(err, unix.EEXIST) {
				return nil, fmt.Errorf("radio %d: its address %s (derived from the guest name %q) is taken by another radio of this guest: give the guest another --name: %w", i, want, guest, err)
			}
			if err != nil {
				return nil, fmt.Errorf("radio %d (%s): %w (load mac80211_hwsim first: modprobe mac80211_hwsim radios=0)", i, want, err)
			}
			r.id, r.fresh = cr.ID, true
		}
		out = append(out, r)
	}
	if n > 0 {
		if err := saveRadioState(agentStateFile(guest), out); err != nil {
			log.Warn("agent: radios not recorded: a restarted agent may not find those moved into other namespaces", "err", err)
		}
	}
	ifs := wirelessInterfaces()
	served := b.Served()
	for i := range out {
		r := &out[i]
		r.name = fmt.Sprintf("hwsim%d", r.id)
		if name, ok := ifs[r.addr]; ok {
			r.name = name
		}
		if _, ok := served[r.id]; ok {
			continue
		}
		if _, err := b.Attach(r.id, r.name, r.addr, r.addr); err != nil {
			return nil, err
		}
		how := "found"
		if r.fresh {
			how = "created"
		}
		log.Info("agent: radio "+how, "id", r.id, "name", r.name, "addr", r.addr.String())
	}
	return out, nil
}

// radioAddrs reads every hwsim radio's permanent address from sysfs
// (class mac80211_hwsim is not namespaced: radios moved into other
// network namespaces are listed too), by radio id.
func radioAddrs() (map[int]frames.MAC, error) {
	ids, err := hwsim.RadioIDs()
	if err != nil {
		return nil, err
	}
	out := make(map[int]frames.MAC, len(ids))
	for _, id := range ids {
		phys, _ := filepath.Glob(filepath.Join(hwsim.SysfsClass, fmt.Sprintf("hwsim%d", id), "ieee80211", "*", "macaddress"))
		for _, p := range phys {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			if hw, err := net.ParseMAC(strings.TrimSpace(string(b))); err == nil && len(hw) == 6 {
				out[id] = frames.MAC(hw)
			}
		}
	}
	return out, nil
}

// wirelessInterfaces maps the MAC of every wireless interface, in the
// initial and every named network namespace, to its name.
func wirelessInterfaces() map[frames.MAC]string {
	out := map[frames.MAC]string{}
	add := func(ifs []nl80211.Interface) {
		for _, i := range ifs {
			if _, dup := out[i.MAC]; !dup {
				out[i.MAC] = i.Name
			}
		}
	}
	if ifs, err := nl80211.Interfaces(); err == nil {
		add(ifs)
	}
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		if ifs, err := nl80211.InterfacesIn(filepath.Join("/run/netns", e.Name())); err == nil {
			add(ifs)
		}
	}
	return out
}

// radioExists reports whether hwsim radio id exists (in any namespace).
func radioExists(id int) bool {
	_, err := os.Stat(filepath.Join(hwsim.SysfsClass, fmt.Sprintf("hwsim%d", id)))
	return err == nil
}

// loadRadioState reads "ID ADDR" lines; a missing or bad file is empty.
func loadRadioState(path string) map[int]frames.MAC {
	out := map[int]frames.MAC{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		var id int
		var a string
		if _, err := fmt.Sscanf(line, "%d %s", &id, &a); err != nil {
			continue
		}
		if hw, err := net.ParseMAC(a); err == nil && len(hw) == 6 {
			out[id] = frames.MAC(hw)
		}
	}
	return out
}

// saveRadioState records the agent's radios (atomically: write, rename).
func saveRadioState(path string, rs []ownRadio) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var sb strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&sb, "%d %s\n", r.id, r.addr)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(sb.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
