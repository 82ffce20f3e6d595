// SPDX-License-Identifier: MIT

package labtest

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// freePort returns a TCP address on 127.0.0.1 nobody listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// runVmedium runs `vmedium run` to its end (at most 20 s) and returns its
// exit code and output.
func runVmedium(t *testing.T, b binaries, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(b.vmedium, append([]string{"run", "--backend", "tap"}, args...)...)
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Signal(syscall.SIGTERM)
		<-done
		t.Fatalf("vmedium run %v still running after 20 s (not refused):\n%s", args, out)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// TestRootSecondInstanceRefused: a second `vmedium run` with the flags of
// a running one is refused before it builds anything, in one error naming
// the socket, the metrics address, the state directory and each namespace
// with the flag or config key that avoids it; the first run's socket stays,
// it still answers and its stations still ping. With every flag changed
// but the same namespaces, only the namespaces clash.
func TestRootSecondInstanceRefused(t *testing.T) {
	needRoot(t)
	b := buildBinaries(t)
	cfg := writeLabConfig(t, "vmc")
	stateDir := t.TempDir()
	socket := filepath.Join(t.TempDir(), "vmedium.sock")
	metrics := freePort(t)

	d := startVmedium(t, b, cfg, stateDir, socket, "--metrics-addr", metrics)           // the last --metrics-addr wins
	t.Cleanup(func() { d.stop(t, syscall.SIGTERM); nsGone(t, "vmc0", "vmc1", "vmc2") }) // stop is once: startVmedium's own cleanup then does nothing

	if out, code := d.vmctl(b, "status", "--wait", "20s"); code != 0 || !strings.Contains(out, "vmedium status: live") {
		t.Fatalf("first run not live: exit %d\n%s\nvmedium output:\n%s", code, out, d.out)
	}
	wantPing(t, "vmc1", "10.0.0.1", 3, true)

	code, out := runVmedium(t, b, "--config", cfg, "--socket", socket, "--state-dir", stateDir, "--metrics-addr", metrics)
	t.Logf("second run, same flags: exit %d\n%s", code, out)
	if code != 1 {
		t.Errorf("second run: exit %d, want 1", code)
	}
	for _, want := range []string{
		"control socket " + socket, "--socket",
		"metrics address " + metrics, "--metrics-addr",
		"state directory " + stateDir, "--state-dir",
		"network namespace vmc0", "network namespace vmc1", "network namespace vmc2", "netns:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal lacks %q", want)
		}
	}
	if strings.Contains(out, "creating namespace") || strings.Contains(out, "backend auto") || strings.Contains(out, "backend tap") {
		t.Errorf("second run got as far as building:\n%s", out)
	}

	code, out = runVmedium(t, b, "--config", cfg, "--socket", filepath.Join(t.TempDir(), "other.sock"),
		"--state-dir", t.TempDir(), "--metrics-addr", "off")
	t.Logf("second run, other socket, state dir and metrics: exit %d\n%s", code, out)
	if code != 1 || !strings.Contains(out, "network namespace vmc0: exists") || !strings.Contains(out, "--reuse-netns") ||
		strings.Contains(out, "control socket") || strings.Contains(out, "state directory") {
		t.Errorf("second run with only the namespaces clashing: exit %d, want 1 naming only them", code)
	}

	if d.exited() {
		t.Fatalf("the first run exited:\n%s", d.out)
	}
	if out, code := d.vmctl(b, "status"); code != 0 || !strings.Contains(out, "vmedium status: live") {
		t.Errorf("first run's status after the refusals: exit %d\n%s", code, out)
	}
	for _, ns := range []string{"vmc0", "vmc1", "vmc2"} {
		if !netnsutil.Exists(ns) {
			t.Errorf("namespace %s of the first run is gone", ns)
		}
	}
	wantPing(t, "vmc1", "10.0.0.1", 3, true)
	wantPing(t, "vmc1", "10.0.0.3", 3, true)
}
