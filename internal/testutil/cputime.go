// SPDX-License-Identifier: MIT

package testutil

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the process's user+system CPU time. The machines that run the
// benchmarks are shared, so wall-clock ns/op includes time spent waiting
// for a CPU; with -cpu 1 the process CPU time per op is the honest cost.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportCPU adds a cpu-ns/op metric for the n ops run since start (a
// CPUTime reading).
func ReportCPU(b *testing.B, start time.Duration, n int) {
	if n > 0 {
		b.ReportMetric(float64(CPUTime()-start)/float64(n), "cpu-ns/op")
	}
}
