// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
)

// serveOpts runs a control server with opt on a socket in dir and returns
// the socket path.
func serveOpts(t *testing.T, dir string, opt control.Options) string {
	t.Helper()
	sock := filepath.Join(dir, "vmedium.sock")
	ln, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	if opt.Medium == nil {
		opt.Medium = medium.New(medium.Options{})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Serve(ctx, ln, opt) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return sock
}

func vmctlAt(sock string, args ...string) (int, string, string) {
	var o, e bytes.Buffer
	code := run(append([]string{"--socket", sock}, args...), &o, &e)
	return code, o.String(), e.String()
}

// TestStatusStartingThenLive: a mixed lab coming up says starting (and no
// kind is called live), --wait gives up with exit 1 while it starts and
// returns at once with exit 0 when it turns live, listing every kind.
func TestStatusStartingThenLive(t *testing.T) {
	ready := control.NewReadiness()
	sock := serveOpts(t, t.TempDir(), control.Options{Ready: ready, Backends: func() []control.KindStatus {
		return []control.KindStatus{
			{Kind: medium.KindHwsim, Live: true, Radios: 2, Summary: "hwsim: live, 2 radios"},
			{Kind: medium.KindTap, Live: true, Radios: 1, Summary: "tap: live, 1 radio"},
		}
	}})
	code, out, _ := vmctlAt(sock, "status")
	if code != 0 || !strings.HasPrefix(out, "vmedium status: starting\n") || strings.Contains(out, ": live") {
		t.Fatalf("status while starting: exit %d\n%s", code, out)
	}
	code, out, errOut := vmctlAt(sock, "status", "--wait", "200ms")
	if code != 1 || !strings.HasPrefix(out, "vmedium status: starting\n") || !strings.Contains(errOut, "not live after 200ms") {
		t.Fatalf("status --wait 200ms while starting: exit %d stdout %q stderr %q", code, out, errOut)
	}

	go func() {
		time.Sleep(300 * time.Millisecond)
		ready.Set(control.PhaseLive)
	}()
	t0 := time.Now()
	code, out, errOut = vmctlAt(sock, "status", "--wait", "30s")
	if code != 0 || !strings.HasPrefix(out, "vmedium status: live\n") ||
		!strings.Contains(out, "\nhwsim: live, 2 radios\n") || !strings.Contains(out, "\ntap: live, 1 radio\n") {
		t.Fatalf("status --wait 30s: exit %d stdout %q stderr %q", code, out, errOut)
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("status --wait returned %v after the start, long after live", d)
	}
	code, out, _ = vmctlAt(sock, "--json", "status")
	var st struct {
		Live  bool   `json:"live"`
		State string `json:"state"`
		Kinds []struct {
			Summary string `json:"summary"`
		} `json:"kinds"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || !st.Live || st.State != "live" || len(st.Kinds) != 2 {
		t.Fatalf("status --json: exit %d %+v %v\n%s", code, st, err, out)
	}
}

func TestStatusWaitNotRunning(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	t0 := time.Now()
	code, out, errOut := vmctlAt(sock, "status", "--wait", "300ms")
	if code != 1 || out != "vmedium status: not running\n" || !strings.Contains(errOut, sock) {
		t.Fatalf("status --wait without a daemon: exit %d stdout %q stderr %q", code, out, errOut)
	}
	if d := time.Since(t0); d < 300*time.Millisecond {
		t.Fatalf("gave up after %v, before the wait was over", d)
	}
	for _, bad := range []string{"soon", "0s", "-1s", "2h"} {
		if code, _, errOut := vmctlAt(sock, "status", "--wait", bad); code != 2 || !strings.Contains(errOut, "--wait") {
			t.Errorf("--wait %s: exit %d %q, want 2 naming --wait", bad, code, errOut)
		}
	}
}

// TestRootStatusPermissionDenied runs the real vmctl as user nobody
// against a root socket of mode 0600 (what `vmedium run` makes): exit 1 and
// a message with "permission denied", the socket and the fix, not "not
// running".
func TestRootStatusPermissionDenied(t *testing.T) {
	testutil.NeedRoot(t, "runs vmctl as user nobody against a root-owned socket", "go")
	dir := t.TempDir()
	// The test's directories are 0700: let nobody reach the binary and
	// the socket, so the socket's own mode is what refuses.
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "vmctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build vmctl: %v\n%s", err, out)
	}
	sock := serveOpts(t, dir, control.Options{})
	for _, args := range [][]string{{"status"}, {"status", "--wait", "2s"}, {"radios"}} {
		cmd := exec.Command(bin, append([]string{"--socket", sock}, args...)...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Fatalf("vmctl %v as nobody: %v, want exit 1\n%s", args, err, out)
		}
		for _, want := range []string{"permission denied", sock, "sudo", "--socket"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("vmctl %v as nobody: output lacks %q:\n%s", args, want, out)
			}
		}
		if strings.Contains(string(out), "not running") {
			t.Errorf("vmctl %v as nobody says not running:\n%s", args, out)
		}
		t.Logf("vmctl %v as nobody: %s", args, bytes.TrimSpace(out))
	}
}
