// SPDX-License-Identifier: MIT

package testutil

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestMissing(t *testing.T) {
	m := Missing("go-test-no-such-tool", "/no/such/path", "sh", "/")
	if len(m) != 2 {
		t.Fatalf("Missing = %q, want the tool and the path", m)
	}
	if !strings.Contains(m[0], "go-test-no-such-tool") || !strings.Contains(m[1], "/no/such/path") {
		t.Errorf("Missing = %q", m)
	}
	if m := Missing("hostapd-surely-not-" + t.Name()); !strings.Contains(m[0], "not on PATH") {
		t.Errorf("unknown tool: %q", m)
	}
}

// recorder is a testing.TB that records skips and failures instead of
// acting on them.
type recorder struct {
	testing.TB
	name             string
	skipped, fataled string
	cleanups         []func()
}

func (r *recorder) Name() string              { return r.name }
func (r *recorder) Helper()                   {}
func (r *recorder) Skipf(f string, a ...any)  { r.skipped = sprintf(f, a...) }
func (r *recorder) Fatalf(f string, a ...any) { r.fataled = sprintf(f, a...) }
func (r *recorder) Errorf(f string, a ...any) { r.fataled = sprintf(f, a...) }
func (r *recorder) Cleanup(f func())          { r.cleanups = append(r.cleanups, f) }
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestNeedRootNaming(t *testing.T) {
	r := &recorder{TB: t, name: "TestSomething"}
	NeedRoot(r, "creates namespaces")
	if !strings.Contains(r.fataled, "TestRoot") {
		t.Errorf("a root test not named TestRoot… must fail, got fatal %q skip %q", r.fataled, r.skipped)
	}
	r = &recorder{TB: t, name: "TestRootLab/sub"}
	NeedRoot(r, "creates namespaces", "go-test-no-such-tool")
	if r.fataled != "" || !strings.Contains(r.skipped, "go-test-no-such-tool") {
		t.Errorf("fatal %q skip %q: want a skip naming the missing tool", r.fataled, r.skipped)
	}
}

func TestCheckLeaksFindsLeak(t *testing.T) {
	r := &recorder{TB: t, name: "TestLeaky"}
	CheckLeaks(r)
	stop := make(chan struct{})
	go func() { <-stop }()
	r.runCleanups()
	close(stop)
	if !strings.Contains(r.fataled, "goroutine leak") {
		t.Errorf("a goroutine left running was not reported (got %q)", r.fataled)
	}

	r = &recorder{TB: t, name: "TestClean"}
	CheckLeaks(r)
	done := make(chan struct{})
	go func() { time.Sleep(10 * time.Millisecond); close(done) }()
	<-done
	r.runCleanups()
	if r.fataled != "" {
		t.Errorf("no leak, but reported: %s", r.fataled)
	}
}

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
