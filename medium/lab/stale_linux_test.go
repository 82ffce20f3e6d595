// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/hostap"
)

// orphan starts a process whose comm is name (a shell script of that name)
// with arg on its command line, as a crashed run's daemon would look.
func orphan(t *testing.T, name, arg string) hostap.Process {
	t.Helper()
	script := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(script, []byte("#!/bin/sh\nwhile :; do sleep 0.1; done\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script, arg)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait() // reap it once killed
	t.Cleanup(func() { cmd.Process.Kill() })
	start, err := hostap.ProcessStart(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	return hostap.Process{PID: cmd.Process.Pid, Start: start}
}

// A dead run's daemons are killed: the recorded ones (only while PID and
// start time match) and unrecorded ones whose command line names a file in
// the lab's daemon directory; their control sockets are removed; anything
// else is left alone.
func TestReapProcesses(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	stateDir := t.TempDir()
	runDir := filepath.Join(stateDir, hwsimRunDir)
	ctrl := filepath.Join(runDir, "hostapd", "vw0")
	if err := os.MkdirAll(filepath.Dir(ctrl), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ctrl, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	leftSocket := filepath.Join(runDir, hostap.ClientSocketPrefix(4242)+"7")
	if err := os.WriteFile(leftSocket, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	recorded := orphan(t, "hostapd", filepath.Join(runDir, "vw0-hostapd.conf"))
	unrecorded := orphan(t, "wpa_supplicant", filepath.Join(runDir, "vw1-wpa_supplicant.conf"))
	reused := orphan(t, "hostapd", "/elsewhere/other.conf") // recorded with another start time: a reused PID
	foreign := orphan(t, "wpa_supplicant", "/etc/wpa_supplicant.conf")
	var progress strings.Builder
	l := &Lab{stateDir: stateDir, log: slog.New(slog.NewTextHandler(io.Discard, nil)), progress: &progress}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	defer l.cancel()
	st := StateFile{PID: 4242, Processes: []Process{
		{Name: "hostapd vw0", PID: recorded.PID, Start: recorded.Start, Ctrl: ctrl},
		{Name: "hostapd vw9", PID: reused.PID, Start: reused.Start + 1},
	}}
	l.reapProcesses(st)
	waitDead := func(p hostap.Process) bool {
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if !hostap.Alive(p) {
				return true
			}
		}
		return false
	}
	if !waitDead(recorded) {
		t.Error("recorded daemon survives")
	}
	if !waitDead(unrecorded) {
		t.Error("unrecorded daemon of the lab's directory survives")
	}
	if !hostap.Alive(reused) {
		t.Error("a process whose start time differs from the record was killed")
	}
	if !hostap.Alive(foreign) {
		t.Error("a daemon outside the lab's directory was killed")
	}
	if _, err := os.Stat(ctrl); !os.IsNotExist(err) {
		t.Errorf("stale control socket left: %v", err)
	}
	if _, err := os.Stat(leftSocket); !os.IsNotExist(err) {
		t.Errorf("the dead run's client socket left: %v", err)
	}
	if !strings.Contains(progress.String(), "killed stale hostapd vw0") || !strings.Contains(progress.String(), "left by pid 4242") {
		t.Errorf("progress does not report the reaped daemons:\n%s", progress.String())
	}
}

func TestRecordProcess(t *testing.T) {
	l := &Lab{stateDir: t.TempDir()}
	if err := l.RecordProcess("hostapd vw0", "/c/vw0", hostap.Process{PID: 10, Start: 1}); err != nil {
		t.Fatal(err)
	}
	if err := l.RecordRadio(BackendHwsim, "vmedium-vw0"); err != nil {
		t.Fatal(err)
	}
	// A restart replaces the entry of the same daemon.
	if err := l.RecordProcess("hostapd vw0", "/c/vw0", hostap.Process{PID: 11, Start: 2}); err != nil {
		t.Fatal(err)
	}
	st, ok, err := ReadStateFile(l.stateDir)
	if !ok || err != nil {
		t.Fatal(ok, err)
	}
	if len(st.Processes) != 1 || st.Processes[0].PID != 11 || st.Processes[0].Start != 2 || st.Processes[0].Ctrl != "/c/vw0" {
		t.Fatalf("processes %+v", st.Processes)
	}
	if len(st.Radios) != 1 || st.Radios[0] != (Radio{Kind: BackendHwsim, Wiphy: "vmedium-vw0"}) {
		t.Fatalf("radios %+v", st.Radios)
	}
}
