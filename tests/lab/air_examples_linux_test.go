// SPDX-License-Identifier: MIT

package labtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/lab"
)

// The teaching examples of examples/, run as a user would: `vmedium run
// --config examples/X.yaml` (the real binary, on a copy whose namespaces
// nsN are renamed), iperf3 inside the namespaces, vmctl for changes.

var exampleNetns = regexp.MustCompile(`netns: ns(\d+)`)

// example is a running `vmedium run` on one of examples/.
type example struct {
	*daemon
	cfg     *lab.Config
	metrics string // the daemon's Prometheus endpoint
}

// runExample starts vmedium on examples/name with namespaces prefixN and
// waits until it is live and every station is associated with its AP.
func runExample(t *testing.T, b binaries, name, prefix string) *example {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("../../examples", name))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, exampleNetns.ReplaceAll(src, []byte("netns: "+prefix+"$1")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := lab.LoadConfig(p)
	if err != nil {
		t.Fatalf("examples/%s: %v", name, err)
	}
	// A free port for the metrics (the last --metrics-addr wins).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	d := startVmedium(t, b, p, t.TempDir(), filepath.Join(t.TempDir(), "vmedium.sock"), "--metrics-addr", addr)
	if !waitFor(30*time.Second, func() bool {
		if d.exited() {
			return true
		}
		st := radioStates(t, d, b)
		for _, r := range cfg.Radios {
			if r.Role == lab.RoleSTA && st[r.Name][0] != "associated" {
				return false
			}
		}
		return st != nil
	}) || d.exited() {
		out, _ := d.vmctl(b, "radios")
		t.Fatalf("examples/%s: stations not associated; vmctl radios:\n%s\nvmedium output:\n%s", name, out, d.out)
	}
	return &example{daemon: d, cfg: cfg, metrics: "http://" + addr + "/metrics"}
}

var airtimeRe = regexp.MustCompile(`(?m)^vmedium_air_airtime_seconds_total\{[^}]*radio="([^"]+)"[^}]*\} (\S+)$`)

// airtime returns each radio's airtime so far in seconds (the
// vmedium_air_airtime_seconds_total counters).
func (e *example) airtime(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(e.metrics)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	out := map[string]float64{}
	for _, m := range airtimeRe.FindAllStringSubmatch(string(body), -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		out[m[1]] = v
	}
	return out
}

// minAirBusy is the share of the wall time the air must be busy with a
// measurement's channel for the figure to be the air's: below it the
// senders could not fill the air, so the host's CPU (busy with other
// work) set the pace, not the simulated channel.
const minAirBusy = 0.6

// onAir runs measure up to three times, until each channel (a set of
// radios) was busy with their exchanges at least minAirBusy of the wall
// time during the run, and returns the last run's figures. A host too
// busy to fill the air in three tries fails the test, naming the load.
func (e *example) onAir(t *testing.T, what string, channels [][]string, measure func() []float64) []float64 {
	t.Helper()
	var got []float64
	for try := 1; ; try++ {
		before, start := e.airtime(t), time.Now()
		got = measure()
		after, wall := e.airtime(t), time.Since(start).Seconds()
		full := true
		var busy []string
		for _, radios := range channels {
			air := 0.0
			for _, r := range radios {
				air += after[r] - before[r]
			}
			busy = append(busy, fmt.Sprintf("%.0f %%", 100*air/wall))
			full = full && air/wall >= minAirBusy
		}
		if full {
			t.Logf("%s: air busy %s of the time", what, strings.Join(busy, ", "))
			return got
		}
		load, _ := os.ReadFile("/proc/loadavg")
		if try == 3 {
			t.Fatalf("%s: the air was busy only %s of the time in three tries (%s Mbit/s): the host (load average %s) set the pace, not the air",
				what, strings.Join(busy, ", "), mbps(got), strings.TrimSpace(string(load)))
		}
		t.Logf("%s: air busy only %s of the time (%s Mbit/s; load average %s): the host was the limit, measuring again",
			what, strings.Join(busy, ", "), mbps(got), strings.TrimSpace(string(load)))
		time.Sleep(2 * time.Second)
	}
}

// iperfServer runs an iperf3 server in ns on addr:port until the test ends.
func iperfServer(t *testing.T, ns, addr string, port int) {
	t.Helper()
	srv := exec.Command("ip", "netns", "exec", ns, "iperf3", "-s", "-B", addr, "-p", strconv.Itoa(port))
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
}

// iperfTCP runs a TCP iperf3 client in ns to addr:port for secs seconds
// and returns the goodput the server received, in Mbit/s (0 on failure).
// The server may still be starting: a refused connection is retried.
func iperfTCP(t *testing.T, ns, addr string, port, secs int) float64 {
	t.Helper()
	var out []byte
	var err error
	for try := 0; try < 5; try++ {
		out, err = exec.Command("ip", "netns", "exec", ns, "iperf3", "-c", addr, "-p", strconv.Itoa(port),
			"-t", strconv.Itoa(secs), "-J", "--connect-timeout", "3000").Output()
		if err == nil || !strings.Contains(string(out), "refused") {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	var r struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if jerr := json.Unmarshal(out, &r); jerr != nil || err != nil {
		t.Logf("iperf3 %s → %s:%d: %v %v", ns, addr, port, err, jerr)
		return 0
	}
	return r.End.SumReceived.BitsPerSecond / 1e6
}

// flow is one iperf3 transfer: from the namespace src to addr:port.
type flow struct {
	src, addr string
	port      int
}

// together runs the flows at the same time and returns their goodputs.
func together(t *testing.T, secs int, flows ...flow) []float64 {
	t.Helper()
	out := make([]float64, len(flows))
	var wg sync.WaitGroup
	for i, f := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = iperfTCP(t, f.src, f.addr, f.port, secs)
		}()
	}
	wg.Wait()
	return out
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func mbps(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(s, " + ")
}

// airSecs is how long each iperf3 run lasts: long enough for TCP to find
// its pace on the simulated air, short enough to keep the tests quick.
const airSecs = 4

// hiddenTerminal runs examples/name: vw1 alone, then vw1 and vw2 at once,
// all to the AP vw0; it returns the single and the aggregate goodput.
func hiddenTerminal(t *testing.T, b binaries, name, prefix string) (single float64, both []float64) {
	e := runExample(t, b, name, prefix)
	defer e.stop(t, syscall.SIGTERM)
	iperfServer(t, prefix+"0", "10.0.0.1", 5201)
	iperfServer(t, prefix+"0", "10.0.0.1", 5202)
	time.Sleep(300 * time.Millisecond)
	all := [][]string{{"vw0", "vw1", "vw2"}}
	single = e.onAir(t, name+": vw1 alone", all, func() []float64 {
		return []float64{iperfTCP(t, prefix+"1", "10.0.0.1", 5201, airSecs)}
	})[0]
	both = e.onAir(t, name+": vw1 and vw2 at once", all, func() []float64 {
		return together(t, airSecs, flow{prefix + "1", "10.0.0.1", 5201}, flow{prefix + "2", "10.0.0.1", 5202})
	})
	t.Logf("examples/%s: vw1 alone %.2f Mbit/s; vw1 and vw2 at once %s = %.2f Mbit/s (%.0f %% of alone)",
		name, single, mbps(both), sum(both), 100*sum(both)/single)
	return single, both
}

// TestRootAirHiddenTerminal runs examples/hidden-terminal.yaml and
// examples/hidden-terminal-rts.yaml: two stations that hear the AP but not
// each other, both sending to it. Without RTS/CTS their frames collide at
// the AP and the aggregate goodput collapses below half of what one
// sender gets alone; with RTS/CTS the AP's CTS silences the hidden station
// and most of it comes back (at least 60 % of one sender alone).
func TestRootAirHiddenTerminal(t *testing.T) {
	testutil.NeedRoot(t, "the example lab creates network namespaces and TAP devices", "/dev/net/tun", "ip", "iperf3")
	b := buildBinaries(t)
	single, both := hiddenTerminal(t, b, "hidden-terminal.yaml", "vmh")
	if single <= 0 {
		t.Fatal("no goodput from one sender alone")
	}
	if agg := sum(both); agg >= 0.5*single {
		t.Errorf("hidden terminal without RTS/CTS: aggregate %.2f Mbit/s is %.0f %% of one sender alone (%.2f): want a collapse below 50 %%",
			agg, 100*agg/single, single)
	}
	singleRTS, bothRTS := hiddenTerminal(t, b, "hidden-terminal-rts.yaml", "vmh")
	if agg := sum(bothRTS); agg < 0.6*single || agg < 2*sum(both) {
		t.Errorf("hidden terminal with RTS/CTS: aggregate %.2f Mbit/s is %.0f %% of one sender alone without RTS/CTS (%.2f) and %.1f× the %.2f without: want most of it back (≥ 60 %%, ≥ 2×)",
			agg, 100*agg/single, single, agg/max(sum(both), 0.01), sum(both))
	}
	if bothRTS[0] <= 0 || bothRTS[1] <= 0 {
		t.Errorf("with RTS/CTS one hidden station got nothing: %s Mbit/s", mbps(bothRTS))
	}
	t.Logf("RTS/CTS costs one sender alone %.0f %% (%.2f → %.2f Mbit/s)", 100*(1-singleRTS/single), single, singleRTS)
}

// TestRootAirSharedChannel runs examples/shared-channel.yaml and
// examples/two-channels.yaml: two BSSs in one hall, each with one TCP
// transfer from its station to its AP. On one channel the two share the
// air: each gets about half of what one BSS gets alone. On channels 6 and
// 11 they never wait for each other: each gets about the full figure.
func TestRootAirSharedChannel(t *testing.T) {
	testutil.NeedRoot(t, "the example lab creates network namespaces and TAP devices", "/dev/net/tun", "ip", "iperf3")
	b := buildBinaries(t)
	run := func(name string) (float64, []float64) {
		e := runExample(t, b, name, "vmc")
		defer e.stop(t, syscall.SIGTERM)
		iperfServer(t, "vmc0", "10.0.1.1", 5201)
		iperfServer(t, "vmc2", "10.0.2.1", 5201)
		time.Sleep(300 * time.Millisecond)
		// The channels as configured: one set of radios, or two.
		byChan := map[int][]string{}
		var chans []int
		for _, r := range e.cfg.Radios {
			if byChan[r.Channel] == nil {
				chans = append(chans, r.Channel)
			}
			byChan[r.Channel] = append(byChan[r.Channel], r.Name)
		}
		var both [][]string
		for _, c := range chans {
			both = append(both, byChan[c])
		}
		alone := e.onAir(t, name+": BSS A alone", [][]string{{"vw0", "vw1"}}, func() []float64 {
			return []float64{iperfTCP(t, "vmc1", "10.0.1.1", 5201, airSecs)}
		})[0]
		shared := e.onAir(t, name+": A and B at once", both, func() []float64 {
			return together(t, airSecs, flow{"vmc1", "10.0.1.1", 5201}, flow{"vmc3", "10.0.2.1", 5201})
		})
		t.Logf("examples/%s: BSS A alone %.2f Mbit/s; A and B at once %s = %.2f Mbit/s", name, alone, mbps(shared), sum(shared))
		return alone, shared
	}
	alone, shared := run("shared-channel.yaml")
	if alone <= 0 {
		t.Fatal("no goodput from BSS A alone")
	}
	for i, x := range shared {
		if x < 0.3*alone || x > 0.7*alone {
			t.Errorf("one channel: BSS %c got %.2f Mbit/s, want about half of %.2f alone (30–70 %%)", 'A'+i, x, alone)
		}
	}
	if s := sum(shared); s > 1.15*alone {
		t.Errorf("one channel: the two BSSs together got %.2f Mbit/s, more than one alone (%.2f) can: no sharing", s, alone)
	}
	alone2, split := run("two-channels.yaml")
	for i, x := range split {
		if x < 0.75*alone2 {
			t.Errorf("two channels: BSS %c got %.2f Mbit/s, want about the %.2f of one alone (≥ 75 %%)", 'A'+i, x, alone2)
		}
	}
}
