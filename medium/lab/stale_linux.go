// SPDX-License-Identifier: MIT

package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/medium/hostap"
	"github.com/vmedium/vmedium/medium/hwsim"
)

// What a crashed run leaves behind and how the next run reaps it: its
// daemons (they are not vmedium's threads and do not die with it; alive
// they keep the old namespaces and hold the control sockets, so the new
// daemons cannot start), its devices and namespaces, and its kernel radios.

// staleKillTimeout bounds the wait for a killed daemon to be gone.
const staleKillTimeout = 3 * time.Second

// staleRadioTimeout bounds the wait for the kernel to destroy a dead run's
// hwsim radios (it does when the run's netlink socket closes) before they
// are deleted by name.
const staleRadioTimeout = 2 * time.Second

// reapProcesses kills the daemons st lists that still run (same PID and
// start time: a reused PID is left alone), then those a record may have
// missed (started in the instant before vmedium died): hostapd and
// wpa_supplicant processes whose command line names a file in the lab's
// daemon directory. Their control sockets are removed.
func (l *Lab) reapProcesses(st StateFile) {
	for _, p := range st.Processes {
		l.killStale(p.Name, hostap.Process{PID: p.PID, Start: p.Start}, st.PID)
		if p.Ctrl != "" {
			if err := os.Remove(p.Ctrl); err == nil {
				l.log.Info("removed stale control socket", "path", p.Ctrl)
			}
		}
	}
	runDir := filepath.Join(l.stateDir, hwsimRunDir)
	for _, p := range daemonsUsing(runDir + "/") {
		l.killStale(p.name, p.proc, st.PID)
	}
	// The dead run's own ends of control requests it was making.
	left, _ := filepath.Glob(filepath.Join(runDir, hostap.ClientSocketPrefix(st.PID)+"*"))
	for _, f := range left {
		_ = os.Remove(f)
	}
}

func (l *Lab) killStale(name string, p hostap.Process, owner int) {
	err := hostap.Kill(p, staleKillTimeout)
	switch {
	case errors.Is(err, hostap.ErrNotSame):
		return // already gone
	case err != nil:
		l.Progressf("could not stop stale %s (pid %d) left by pid %d: %v", name, p.PID, owner, err)
		l.log.Warn("stale daemon", "daemon", name, "pid", p.PID, "err", err)
	default:
		l.Progressf("killed stale %s (pid %d) left by pid %d", name, p.PID, owner)
		l.log.Info("killed stale daemon", "daemon", name, "pid", p.PID, "owner", owner)
	}
}

type foundDaemon struct {
	name string
	proc hostap.Process
}

// daemonsUsing lists running hostapd and wpa_supplicant processes with an
// argument that starts with dir.
func daemonsUsing(dir string) []foundDaemon {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []foundDaemon
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		name := string(bytes.TrimSpace(comm))
		if name != "hostapd" && name != "wpa_supplicant" {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, arg := range bytes.Split(cmdline, []byte{0}) {
			if bytes.HasPrefix(arg, []byte(dir)) {
				if start, err := hostap.ProcessStart(pid); err == nil {
					out = append(out, foundDaemon{name: name, proc: hostap.Process{PID: pid, Start: start}})
				}
				break
			}
		}
	}
	return out
}

// reapRadios makes sure the hwsim radios st lists are gone: the kernel
// destroys them when the dead run's socket closes, so normally there is
// nothing left; one that is still there after staleRadioTimeout is deleted
// by name (HWSIM_CMD_DEL_RADIO).
func (l *Lab) reapRadios(st StateFile) error {
	var left []string
	deadline := time.Now().Add(staleRadioTimeout)
	for _, r := range st.Radios {
		if r.Kind != BackendHwsim {
			continue
		}
		for wiphyExists(r.Wiphy) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if wiphyExists(r.Wiphy) {
			left = append(left, r.Wiphy)
		}
	}
	var errs []error
	for _, w := range left {
		if err := deleteHwsimRadio(w); err != nil {
			errs = append(errs, fmt.Errorf("delete stale hwsim radio %s left by pid %d: %w", w, st.PID, err))
			continue
		}
		l.Progressf("deleted stale hwsim radio %s left by pid %d", w, st.PID)
		l.log.Info("deleted stale hwsim radio", "wiphy", w, "pid", st.PID)
	}
	return errors.Join(errs...)
}

// wiphyExists reports whether a wiphy of that name is in this namespace.
func wiphyExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/ieee80211", name))
	return err == nil
}

// deleteHwsimRadio deletes the mac80211_hwsim radio whose wiphy is name.
func deleteHwsimRadio(name string) error {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()
	fam, err := c.GetFamily(hwsim.FamilyName)
	if err != nil {
		return err
	}
	ae := netlink.NewAttributeEncoder()
	ae.String(hwsim.AttrRadioName, name)
	data, err := ae.Encode()
	if err != nil {
		return err
	}
	req := genetlink.Message{Header: genetlink.Header{Command: hwsim.CmdDelRadio, Version: hwsim.FamilyVersion}, Data: data}
	_, err = c.Execute(req, fam.ID, netlink.Request|netlink.Acknowledge)
	return err
}
