// SPDX-License-Identifier: MIT

package labtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests of the real binaries:
// `vmedium run` with --socket/--state-dir in a temp dir and a config using
// namespaces vmq0..2, driven with `vmctl`.

type binaries struct{ vmedium, vmctl string }

func buildBinaries(t *testing.T) binaries {
	t.Helper()
	dir := t.TempDir()
	b := binaries{vmedium: filepath.Join(dir, "vmedium"), vmctl: filepath.Join(dir, "vmctl")}
	for pkg, out := range map[string]string{"../../cmd/vmedium": b.vmedium, "../../cmd/vmctl": b.vmctl} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, msg)
		}
	}
	return b
}

// daemon is a running `vmedium run`.
type daemon struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	socket string
	done   chan struct{}
	once   sync.Once
}

func startVmedium(t *testing.T, b binaries, cfgPath, stateDir, socket string, extra ...string) *daemon {
	t.Helper()
	d := &daemon{out: &syncBuffer{}, socket: socket, done: make(chan struct{})}
	d.cmd = exec.Command(b.vmedium, append([]string{"run", "--backend", "tap", "--config", cfgPath,
		"--socket", socket, "--state-dir", stateDir, "--metrics-addr", "127.0.0.1:0"}, extra...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { d.stop(t, syscall.SIGTERM) })
	return d
}

// stop signals the daemon and waits (at most 10 s) for it to exit.
func (d *daemon) stop(t *testing.T, sig syscall.Signal) {
	d.once.Do(func() {
		d.cmd.Process.Signal(sig)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			t.Errorf("vmedium did not exit 10 s after %v; output:\n%s", sig, d.out)
			d.cmd.Process.Kill()
			<-d.done
		}
	})
}

func (d *daemon) exited() bool {
	select {
	case <-d.done:
		return true
	default:
		return false
	}
}

// vmctl runs vmctl against the daemon's socket. The --socket flag goes
// before the verb; if this vmctl only accepts it after the verb, retry so.
func (d *daemon) vmctl(b binaries, args ...string) (string, int) {
	run := func(a []string) (string, int) {
		out, err := exec.Command(b.vmctl, a...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		return string(out), code
	}
	out, code := run(append([]string{"--socket", d.socket}, args...))
	if code != 0 && strings.Contains(out, "flag") && strings.Contains(out, "socket") {
		out, code = run(append(append([]string(nil), args...), "--socket", d.socket))
	}
	return out, code
}

func writeLabConfig(t *testing.T, prefix string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "lab.yaml")
	y := fmt.Sprintf(`radios:
  - {name: vw0, role: ap,  netns: %[1]s0, ssid: vmedium, channel: 6, address: 10.0.0.1/24}
  - {name: vw1, role: sta, netns: %[1]s1, ssid: vmedium, channel: 6, address: 10.0.0.2/24}
  - {name: vw2, role: sta, netns: %[1]s2, ssid: vmedium, channel: 6, address: 10.0.0.3/24}
`, prefix)
	if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// radioStates parses `vmctl radios --json` into name → MAC state/BSSID.
func radioStates(t *testing.T, d *daemon, b binaries) map[string][2]string {
	t.Helper()
	out, code := d.vmctl(b, "radios", "--json")
	if code != 0 {
		return nil
	}
	type radio struct {
		Name string `json:"name"`
		MAC  *struct {
			State string `json:"state"`
			BSSID string `json:"bssid"`
		} `json:"mac"`
	}
	var list []radio
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		var wrapped struct {
			Radios []radio `json:"radios"`
		}
		if err2 := json.Unmarshal([]byte(out), &wrapped); err2 != nil {
			t.Fatalf("vmctl radios --json: %v\n%s", err, out)
		}
		list = wrapped.Radios
	}
	m := map[string][2]string{}
	for _, r := range list {
		if r.MAC != nil {
			m[r.Name] = [2]string{r.MAC.State, r.MAC.BSSID}
		}
	}
	return m
}

func TestRootE2E(t *testing.T) {
	needRoot(t)
	b := buildBinaries(t)
	cfg := writeLabConfig(t, "vmq")
	stateDir := t.TempDir()
	socket := filepath.Join(t.TempDir(), "vmedium.sock")

	// Item 1: live within 3 s, both stations associated with BSSID.
	start := time.Now()
	d := startVmedium(t, b, cfg, stateDir, socket)
	var live time.Duration
	for time.Since(start) < 10*time.Second && !d.exited() {
		if out, code := d.vmctl(b, "status"); code == 0 && strings.Contains(out, "live") {
			live = time.Since(start)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if live == 0 {
		t.Fatalf("vmctl status never said live; vmedium output:\n%s", d.out)
	}
	t.Logf("vmctl status live %v after start", live.Round(time.Millisecond))
	if live > 3*time.Second {
		t.Errorf("live after %v, want ≤ 3 s", live)
	}
	ap := ""
	if !waitFor(10*time.Second, func() bool {
		st := radioStates(t, d, b)
		ap = st["vw0"][1]
		return ap != "" && st["vw1"] == [2]string{"associated", ap} && st["vw2"] == [2]string{"associated", ap}
	}) {
		out, _ := d.vmctl(b, "radios")
		t.Fatalf("stations not associated; vmctl radios:\n%s\nvmedium output:\n%s", out, d.out)
	}
	if out, _ := d.vmctl(b, "radios"); !strings.Contains(out, ap) {
		t.Errorf("vmctl radios does not show the BSSID %s:\n%s", ap, out)
	}

	// Item 4 through vmctl.
	t.Run("deny", func(t *testing.T) {
		if out, code := d.vmctl(b, "deny", "-s", "vw1", "-d", "vw2"); code != 0 {
			t.Fatalf("vmctl deny: exit %d\n%s", code, out)
		}
		wantPing(t, "vmq1", "10.0.0.3", 5, false)
		wantPing(t, "vmq1", "10.0.0.1", 5, true)
		if out, code := d.vmctl(b, "deny", "-c"); code != 0 {
			t.Fatalf("vmctl deny -c: exit %d\n%s", code, out)
		}
		wantPing(t, "vmq1", "10.0.0.3", 5, true)
	})

	// Item 6: capture during pings and a reassociation; tshark decodes it.
	t.Run("capture-tshark", func(t *testing.T) {
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Skip("needs tshark (Debian package tshark; make test installs it as root)")
		}
		pcap := filepath.Join(t.TempDir(), "lab.pcap")
		capDone := make(chan string)
		go func() {
			out, code := d.vmctl(b, "capture", "-o", pcap, "-t", "5s")
			capDone <- fmt.Sprintf("exit %d: %s", code, out)
		}()
		time.Sleep(500 * time.Millisecond)
		// Make vw1 lose and regain the AP: authentication and association.
		d.vmctl(b, "deny", "-s", "vw0", "-d", "vw1")
		waitFor(5*time.Second, func() bool { return radioStates(t, d, b)["vw1"][0] != "associated" })
		d.vmctl(b, "allow", "-s", "vw0", "-d", "vw1")
		waitFor(5*time.Second, func() bool { return radioStates(t, d, b)["vw1"][0] == "associated" })
		ping(t, "vmq1", "-c", "5", "-i", "0.1", "-W", "1", "10.0.0.3")
		res := <-capDone
		t.Logf("vmctl capture: %s", res)
		out, err := exec.Command("tshark", "-r", pcap, "-T", "fields", "-e", "wlan.fc.type_subtype", "-e", "radiotap.dbm_antsignal", "-e", "_ws.malformed").CombinedOutput()
		if err != nil {
			t.Fatalf("tshark: %v\n%s", err, out)
		}
		// Every beacon, authentication, association and data frame must
		// carry the radiotap signal. Other frames may lack it when nobody
		// received them (e.g. probe responses to vw1 while vw0→vw1 was
		// denied): a transmission nobody heard has no receive signal.
		required := map[string]string{
			"0x0008": "beacon", "0x000b": "authentication", "0x0000": "association request",
			"0x0001": "association response", "0x0020": "data", "0x0028": "data",
		}
		seen := map[string]int{}
		malformed := 0
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Split(line, "\t")
			if len(f) < 2 {
				continue
			}
			if f[1] == "" {
				if name, ok := required[f[0]]; ok {
					t.Errorf("%s frame without radiotap signal", name)
				} else {
					t.Logf("frame subtype %s without radiotap signal (not received by anyone)", f[0])
				}
			} else if name, ok := required[f[0]]; ok {
				seen[name]++
			}
			if len(f) > 2 && f[2] != "" {
				malformed++
			}
		}
		t.Logf("frames with signal: %v", seen)
		for _, name := range []string{"beacon", "authentication", "association request", "association response", "data"} {
			if seen[name] == 0 {
				t.Errorf("no %s frame with radiotap signal in the capture", name)
			}
		}
		mal, _ := exec.Command("tshark", "-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity == error").Output()
		if malformed > 0 || len(bytes.TrimSpace(mal)) > 0 {
			t.Errorf("tshark reports malformed frames:\n%s", mal)
		}
	})

	// Item 7: SIGTERM leaves nothing; kill -9 then a new run cleans up and
	// says so.
	t.Run("sigterm-cleans", func(t *testing.T) {
		d.stop(t, syscall.SIGTERM)
		nsGone(t, "vmq0", "vmq1", "vmq2")
	})
	t.Run("kill9-recovery", func(t *testing.T) {
		d2 := startVmedium(t, b, cfg, stateDir, socket)
		// Kill a lab that is up: the control API answers (status live)
		// before the namespaces exist, and a run killed that early
		// leaves nothing stale to report.
		if !waitFor(10*time.Second, func() bool { return strings.Contains(d2.out.String(), "vmedium is running") }) {
			t.Fatalf("second run not up:\n%s", d2.out)
		}
		pid := d2.cmd.Process.Pid
		d2.stop(t, syscall.SIGKILL)
		d3 := startVmedium(t, b, cfg, stateDir, socket)
		if !waitFor(10*time.Second, func() bool { _, code := d3.vmctl(b, "status"); return code == 0 }) {
			t.Fatalf("run after kill -9 not live:\n%s", d3.out)
		}
		re := regexp.MustCompile(fmt.Sprintf(`removed stale namespace vmq\d left by pid %d`, pid))
		if !re.MatchString(d3.out.String()) {
			t.Errorf("run after kill -9 does not report the stale namespaces of pid %d:\n%s", pid, d3.out)
		}
		d3.stop(t, syscall.SIGTERM)
		nsGone(t, "vmq0", "vmq1", "vmq2")
	})
}
