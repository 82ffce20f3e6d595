// SPDX-License-Identifier: MIT

// Package bench holds the lab throughput benchmark. lab-iperf.sh (make
// bench-lab) measures the real vmedium binary against veth; the Go
// benchmark here runs the same iperf3 measurement against a lab built
// in-process, so that it can be profiled:
//
//	sudo go test -run XXX -bench LabIperf3 -benchtime 1x -cpuprofile /tmp/lab.prof ./tests/bench/
//	go tool pprof -top /tmp/lab.prof
package bench

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
)

// BenchmarkRootLabIperf3 runs iperf3 TCP for IPERF_SECONDS (default 10) from
// the first station to the second through the AP (namespaces vmp0..2) and
// reports Gbit/s.
func BenchmarkRootLabIperf3(b *testing.B) {
	testutil.NeedRoot(b, "creates network namespaces and TAP devices", "/dev/net/tun", "iperf3")
	secs := os.Getenv("IPERF_SECONDS")
	if secs == "" {
		secs = "10"
	}
	cfg := lab.DefaultConfig()
	for i := range cfg.Radios {
		cfg.Radios[i].Netns = []string{"vmp0", "vmp1", "vmp2"}[i]
	}
	l, err := lab.Up(context.Background(), cfg, lab.Options{Medium: medium.New(medium.Options{}), Backend: "tap",
		// Fixed: a killed earlier run's namespaces are cleaned up by Up.
		StateDir: filepath.Join(os.TempDir(), "vmedium-bench-lab")})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	srv := exec.Command("ip", "netns", "exec", "vmp2", "iperf3", "-s", "-1")
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer srv.Process.Kill()
	time.Sleep(300 * time.Millisecond)
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	var bytes float64
	for i := 0; i < b.N; i++ {
		out, err := exec.Command("ip", "netns", "exec", "vmp1", "iperf3", "-c", "10.0.0.3", "-t", secs, "-J").Output()
		if err != nil {
			b.Fatalf("iperf3: %v\n%s", err, out)
		}
		var res struct {
			End struct {
				SumReceived struct {
					BitsPerSecond float64 `json:"bits_per_second"`
					Bytes         float64 `json:"bytes"`
				} `json:"sum_received"`
			} `json:"end"`
		}
		if err := json.Unmarshal(out, &res); err != nil {
			b.Fatal(err)
		}
		if res.End.SumReceived.BitsPerSecond == 0 {
			b.Fatalf("iperf3 measured nothing:\n%s", out)
		}
		b.ReportMetric(res.End.SumReceived.BitsPerSecond/1e9, "Gbit/s")
		bytes += res.End.SumReceived.Bytes
	}
	// The lab's own CPU cost (this process: MACs, medium, TAP syscalls
	// including the kernel work they do), per megabyte carried.
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() - ru0.Utime.Nano() + ru1.Stime.Nano() - ru0.Stime.Nano())
	if bytes > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/(bytes/1e6), "cpu-µs/MB")
	}
}
