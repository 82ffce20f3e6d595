// SPDX-License-Identifier: MIT

package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/medium/hostap"
	"github.com/vmedium/vmedium/medium/uplink"
)

// StateFileName is the file in the state directory that records what a
// running lab created, so that a crashed run can be cleaned up by the next.
const StateFileName = "lab.json"

// StateFile is the content of lab.json. It is written before anything it
// lists is created, and removed after everything is gone.
type StateFile struct {
	PID        int       `json:"pid"`
	PIDStart   uint64    `json:"pid_start,omitempty"` // /proc/PID/stat starttime: guards against PID reuse
	Started    time.Time `json:"started"`
	Backend    string    `json:"backend"`
	Namespaces []string  `json:"namespaces"` // created by this run (deleted on close)
	Devices    []Device  `json:"devices"`    // created by this run
	// Processes are the daemons this run started (hostapd,
	// wpa_supplicant). They do not die with vmedium: a later run kills
	// the ones still running (same PID and start time) and removes their
	// control sockets.
	Processes []Process `json:"processes,omitempty"`
	// Radios are the kernel radios this run created. hwsim radios are
	// destroyed by the kernel when vmedium's socket closes; a later run
	// deletes any that is still there.
	Radios []Radio `json:"radios,omitempty"`
	// Uplinks are the APs' uplinks (veth, nftables tables, routes,
	// sysctls), recorded before they are built; a later run reaps them.
	Uplinks []uplink.Record `json:"uplinks,omitempty"`
}

// Process is a daemon a lab started.
type Process struct {
	Name  string `json:"name"`           // e.g. "hostapd vw0"
	PID   int    `json:"pid"`            // its process ID
	Start uint64 `json:"start"`          // /proc/PID/stat starttime: guards against PID reuse
	Ctrl  string `json:"ctrl,omitempty"` // its control socket
}

// Radio is a kernel radio a lab created.
type Radio struct {
	Kind  string `json:"kind"`  // "hwsim"
	Wiphy string `json:"wiphy"` // its wiphy name, e.g. vmedium-vw1
}

// Device is a network interface a lab created.
type Device struct {
	Netns string `json:"netns"`
	Name  string `json:"name"`
}

// ReadStateFile reads lab.json from dir; ok is false when there is none.
func ReadStateFile(dir string) (st StateFile, ok bool, err error) {
	p := filepath.Join(dir, StateFileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return StateFile{}, false, nil
	}
	if err != nil {
		return StateFile{}, false, fmt.Errorf("read lab state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return StateFile{}, true, fmt.Errorf("read lab state %s: %w", p, err)
	}
	return st, true, nil
}

// WriteStateFile writes lab.json atomically (temp file, fsync, rename).
func WriteStateFile(dir string, st StateFile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	f, err := os.CreateTemp(dir, StateFileName+".tmp*")
	if err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write lab state %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, StateFileName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write lab state: %w", err)
	}
	return nil
}

// RemoveStateFile deletes lab.json (missing is fine).
func RemoveStateFile(dir string) error {
	err := os.Remove(filepath.Join(dir, StateFileName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove lab state: %w", err)
	}
	return nil
}

// ProcessAlive reports whether the process that wrote st still runs: the
// PID exists and, when recorded, has the same start time (so a reused PID
// does not count).
func (st StateFile) ProcessAlive() bool {
	if st.PID <= 0 {
		return false
	}
	if err := syscall.Kill(st.PID, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if st.PIDStart == 0 {
		return true
	}
	start, err := processStart(st.PID)
	return err != nil || start == st.PIDStart
}

// processStart returns the start time (clock ticks after boot) of process
// pid, which with the PID identifies a process for good.
func processStart(pid int) (uint64, error) { return hostap.ProcessStart(pid) }
