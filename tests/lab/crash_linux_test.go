// SPDX-License-Identifier: MIT

package labtest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// netnsInode returns the inode of a named namespace ("net:[N]" identity).
func netnsInode(t *testing.T, name string) uint64 {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join("/run/netns", name), &st); err != nil {
		t.Fatalf("namespace %s: %v", name, err)
	}
	return st.Ino
}

// netnsHeld reports whether any process still has a thread in the network
// namespace with inode ino, or any /run/netns entry is it.
func netnsHeld(ino uint64) bool {
	want := fmt.Sprintf("net:[%d]", ino)
	tasks, _ := filepath.Glob("/proc/[0-9]*/task/[0-9]*/ns/net")
	for _, p := range tasks {
		if l, err := os.Readlink(p); err == nil && l == want {
			return true
		}
	}
	mounts, _ := filepath.Glob("/run/netns/*")
	for _, p := range mounts {
		var st syscall.Stat_t
		if syscall.Stat(p, &st) == nil && st.Ino == ino {
			return true
		}
	}
	return false
}

// TestRootCrashRestart: the tap lab with a deny rule, kill -9, then a new
// `vmedium run` on the same state dir: the rule is listed again, nothing of the dead run is left (its namespaces
// and with them its TAP devices), both stations re-associate and STA→AP
// pings pass within 30 s, and the denied STA→STA pair stays blocked until
// the rule is cleared.
func TestRootCrashRestart(t *testing.T) {
	needRoot(t)
	b := buildBinaries(t)
	cfg := writeLabConfig(t, "vmk")
	stateDir := t.TempDir()
	socket := filepath.Join(t.TempDir(), "vmedium.sock")
	associated := func(d *daemon) bool {
		st := radioStates(t, d, b)
		ap := st["vw0"][1]
		return ap != "" && st["vw1"] == [2]string{"associated", ap} && st["vw2"] == [2]string{"associated", ap}
	}

	d1 := startVmedium(t, b, cfg, stateDir, socket)
	if !waitFor(15*time.Second, func() bool { return strings.Contains(d1.out.String(), "vmedium is running") }) || !waitFor(10*time.Second, func() bool { return associated(d1) }) {
		t.Fatalf("first run not up and associated:\n%s", d1.out)
	}
	if out, code := d1.vmctl(b, "deny", "-s", "vw1", "-d", "vw2"); code != 0 {
		t.Fatalf("vmctl deny: exit %d\n%s", code, out)
	}
	wantPing(t, "vmk1", "10.0.0.1", 3, true)
	wantPing(t, "vmk1", "10.0.0.3", 3, false)
	old := map[string]uint64{}
	for _, ns := range []string{"vmk0", "vmk1", "vmk2"} {
		old[ns] = netnsInode(t, ns)
	}
	pid := d1.cmd.Process.Pid
	d1.stop(t, syscall.SIGKILL)

	start := time.Now()
	d2 := startVmedium(t, b, cfg, stateDir, socket)
	denied := func() bool {
		out, code := d2.vmctl(b, "--json", "deny")
		return code == 0 && strings.Contains(out, `"vw2"`) && strings.Contains(out, `"vw1"`)
	}
	if !waitFor(15*time.Second, func() bool { _, code := d2.vmctl(b, "status"); return code == 0 }) {
		t.Fatalf("run after kill -9 does not answer:\n%s", d2.out)
	}
	// The saved rule is on the medium before the control API answers.
	if !denied() {
		out, _ := d2.vmctl(b, "deny")
		t.Errorf("deny rule not listed when the control API first answers:\n%s", out)
	}
	t.Logf("restart: deny rule listed after %v", time.Since(start).Round(time.Millisecond))
	if !waitFor(30*time.Second, func() bool { return associated(d2) }) {
		out, _ := d2.vmctl(b, "radios")
		t.Fatalf("stations not re-associated 30 s after restart:\n%s\n%s", out, d2.out)
	}
	assoc := time.Since(start)
	if !waitFor(30*time.Second-assoc, func() bool { _, recv := ping(t, "vmk1", "-c", "1", "-W", "1", "10.0.0.1"); return recv == 1 }) {
		t.Fatalf("STA→AP ping does not pass within 30 s of the restart:\n%s", d2.out)
	}
	t.Logf("restart: associated after %v, STA→AP ping after %v", assoc.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	re := regexp.MustCompile(fmt.Sprintf(`removed stale namespace vmk\d left by pid %d`, pid))
	if !re.MatchString(d2.out.String()) {
		t.Errorf("run after kill -9 does not report the stale namespaces of pid %d:\n%s", pid, d2.out)
	}
	for ns, ino := range old {
		if netnsInode(t, ns) == ino {
			t.Errorf("namespace %s is the dead run's (inode %d), not a new one", ns, ino)
		}
		if netnsHeld(ino) {
			t.Errorf("the dead run's namespace %s (inode %d) is still alive, with its TAP device", ns, ino)
		}
	}
	wantPing(t, "vmk2", "10.0.0.1", 3, true)
	wantPing(t, "vmk1", "10.0.0.3", 3, false)
	if !denied() {
		out, _ := d2.vmctl(b, "deny")
		t.Errorf("deny rule lost after restart:\n%s", out)
	}
	if out, code := d2.vmctl(b, "deny", "-c"); code != 0 {
		t.Fatalf("vmctl deny -c: exit %d\n%s", code, out)
	}
	wantPing(t, "vmk1", "10.0.0.3", 3, true)
	d2.stop(t, syscall.SIGTERM)
	nsGone(t, "vmk0", "vmk1", "vmk2")
}
