// SPDX-License-Identifier: MIT

package labtest

import (
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
)

// iperf3 runs a TCP iperf3 client in ns towards addr for secs seconds and
// returns the received rate in Mbit/s (0 when the connection fails).
func iperf3(t *testing.T, ns, addr string, secs string) float64 {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "iperf3", "-c", addr, "-t", secs, "-J", "--connect-timeout", "2000").Output()
	var r struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if jerr := json.Unmarshal(out, &r); jerr != nil || err != nil {
		t.Logf("iperf3 %s → %s: %v", ns, addr, err)
		return 0
	}
	return r.End.SumReceived.BitsPerSecond / 1e6
}

// TestRootAirDistanceThroughput is the tap lab with errors per and airtime
// timed: the AP vw0 at the origin, vw2 moved away in four steps. Its TCP
// throughput to the AP falls at each step (the rate control picks slower
// rates as the SNR drops, and the air carries fewer bits per second at
// them), and beyond range (signal below −90 dBm) nothing gets through.
func TestRootAirDistanceThroughput(t *testing.T) {
	testutil.NeedRoot(t, "the lab creates network namespaces and TAP devices", "/dev/net/tun", "ip", "ping", "iperf3")
	cfg := labConfig("vma")
	for i := range cfg.Radios {
		cfg.Radios[i].Position = &medium.Position{X: float64(i)}
	}
	cfg.Air = &lab.AirConfig{Errors: medium.ErrorsPER, Airtime: medium.AirtimeTimed}
	r := up(t, cfg, false)
	defer r.m.Close()
	if a := r.m.Air(); a.Errors != medium.ErrorsPER || a.Airtime != medium.AirtimeTimed {
		t.Fatalf("air model not applied: %+v", a)
	}
	srv := exec.Command("ip", "netns", "exec", "vma0", "iperf3", "-s", "-B", "10.0.0.1")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	time.Sleep(300 * time.Millisecond)
	wantPing(t, "vma2", "10.0.0.1", 5, true)

	// Log-distance, 20 dBm, noise −94 dBm: SNR = 73.8 − 30·log10(d).
	// 10 m: 44 dB (54 Mbit/s); 90 m: 15 dB; 140 m: 9.4 dB; 180 m: 6 dB;
	// 260 m: the signal is below −90 dBm.
	var last float64
	for i, d := range []float64{10, 90, 140, 180} {
		if err := r.m.MoveTo("vw2", medium.Position{X: d}, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // rate control settles
		mbps := iperf3(t, "vma2", "10.0.0.1", "4")
		links := r.m.Links()
		for _, l := range links {
			if l.Src == "vw2" && l.Dst == "vw0" {
				t.Logf("%3.0f m: signal %d dBm, SNR %.1f dB, fastest %s: TCP %.2f Mbit/s", d, l.SignalDBm, l.SNRDB, l.MaxRate, mbps)
			}
		}
		if mbps <= 0 {
			t.Fatalf("%g m: no throughput", d)
		}
		if i > 0 && mbps >= last {
			t.Errorf("%g m: %.2f Mbit/s, not below the previous step's %.2f", d, mbps, last)
		}
		last = mbps
	}
	if err := r.m.MoveTo("vw2", medium.Position{X: 260}, 0); err != nil {
		t.Fatal(err)
	}
	sent, recv := ping(t, "vma2", "-c", "5", "-i", "0.2", "-W", "1", "10.0.0.1")
	if recv != 0 {
		t.Errorf("beyond range: %d/%d pings answered, want none", recv, sent)
	}
	for _, st := range r.m.Timed() {
		t.Logf("channel %d MHz: busy %.2f, collisions %d, lateness mean %v p99 ≤ %v max %v", st.FreqMHz, st.BusyRatio,
			st.Collisions, st.LateSum/time.Duration(max(st.LateCount, 1)), st.LateP99, st.LateMax)
	}
}
