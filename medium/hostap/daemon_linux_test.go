// SPDX-License-Identifier: MIT

package hostap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDaemonStopAndLog(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "d.log")
	var mu sync.Mutex
	var started []Process
	d, err := Start(DaemonConfig{Name: "sleeper", Bin: "sh", Args: []string{"-c", "echo hello; exec sleep 60"}, Log: logPath,
		OnStart: func(p Process) { mu.Lock(); started = append(started, p); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	p := d.Process()
	mu.Lock()
	if len(started) != 1 || started[0].PID != p.PID || p.Start == 0 {
		t.Fatalf("OnStart saw %v, process %v", started, p)
	}
	mu.Unlock()
	if !Alive(p) {
		t.Fatal("started process not alive")
	}
	if Alive(Process{PID: p.PID, Start: p.Start + 1}) {
		t.Fatal("a different start time counts as the same process")
	}
	if err := d.Wait(context.Background(), 10*time.Millisecond, func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "hello")
	}); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if Alive(p) {
		t.Fatal("alive after Stop")
	}
	select {
	case <-d.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	_ = d.Stop(time.Second) // twice is fine
}

func TestDaemonRestart(t *testing.T) {
	d, err := Start(DaemonConfig{Name: "quitter", Bin: "sh", Args: []string{"-c", "sleep 0.05"},
		Log: filepath.Join(t.TempDir(), "d.log"), Restart: true, RestartDelay: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.Starts() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if d.Starts() < 3 {
		t.Fatalf("started %d times in 5 s, want restarts", d.Starts())
	}
	d.Stop(time.Second)
}

func TestDaemonExitWithoutRestart(t *testing.T) {
	d, err := Start(DaemonConfig{Name: "quitter", Bin: "true", Log: filepath.Join(t.TempDir(), "d.log")})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Wait(context.Background(), 10*time.Millisecond, func() bool { return false })
	if err == nil || !strings.Contains(err.Error(), "quitter exited; see ") {
		t.Fatalf("Wait on an exited daemon: %v", err)
	}
	if _, err := Start(DaemonConfig{Name: "x", Bin: "no-such-daemon-binary", Log: filepath.Join(t.TempDir(), "d.log")}); err == nil {
		t.Fatal("missing binary started")
	}
}

// Kill reaps a process another run left behind, and only that process.
func TestKill(t *testing.T) {
	d, err := Start(DaemonConfig{Name: "orphan", Bin: "sleep", Args: []string{"60"}, Log: filepath.Join(t.TempDir(), "d.log")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop(time.Second)
	p := d.Process()
	if err := Kill(Process{PID: p.PID, Start: p.Start + 1}, time.Second); !errors.Is(err, ErrNotSame) {
		t.Fatalf("Kill with another start time: %v", err)
	}
	if err := Kill(Process{PID: p.PID}, time.Second); !errors.Is(err, ErrNotSame) {
		t.Fatalf("Kill without start time: %v", err)
	}
	if !Alive(p) {
		t.Fatal("refused Kill killed it")
	}
	if err := Kill(p, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if Alive(p) {
		t.Fatal("alive after Kill")
	}
	if err := Kill(p, time.Second); !errors.Is(err, ErrNotSame) {
		t.Fatalf("Kill of a dead process: %v", err)
	}
}
