// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRootRunLabRestartKeepsState runs `vmedium run` in-process twice on a small
// tap lab (namespaces named after this test's pid, so it does not collide
// with a lab already running here): the config's deny pair is in force when
// live; after `allow` of it and a `deny` of the reverse pair through the API
// a restart brings back exactly the saved pairs (the lab does not put the
// config's back on top), --reset returns to the config's, and shutdown
// removes the namespaces. Each run waits out the association timeout: the
// deny pair keeps the station away on purpose.
func TestRootRunLabRestartKeepsState(t *testing.T) {
	testutil.NeedRoot(t, "creates network namespaces and TAP devices", "/dev/net/tun")
	if k, _ := lab.LookupKind(string(medium.KindTap)); len(k.Probe()) > 0 {
		t.Skipf("tap radios cannot run here: %v", k.Probe())
	}
	dir := t.TempDir()
	ns := func(i int) string { return fmt.Sprintf("vmrt%d-%d", os.Getpid()%100000, i) }
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`radios:
  - {name: rt0, role: ap,  netns: %s, ssid: rtlab, channel: 1, address: 10.99.0.1/24}
  - {name: rt1, role: sta, netns: %s, ssid: rtlab, channel: 1, address: 10.99.0.2/24}
deny:
  - {src: rt1, dst: rt0}
`, ns(0), ns(1))), 0o644)
	sock := filepath.Join(dir, "run", "vmedium.sock")
	args := []string{"--config", cfg, "--socket", sock, "--state-dir", filepath.Join(dir, "state"),
		"--metrics-addr", "127.0.0.1:0", "--backend", "tap"}
	client := control.NewClient(sock)

	start := func(extra ...string) (stop func() (int, string)) {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errOut syncBuffer
		done := make(chan int, 1)
		t0 := time.Now()
		go func() { done <- runContext(ctx, append(append([]string(nil), args...), extra...), &out, &errOut) }()
		for {
			if st, err := client.Status(context.Background()); err == nil && st.State == control.PhaseLive && len(st.Kinds) > 0 && st.Kinds[0].Radios == 2 {
				t.Logf("status live with 2 tap radios after %v", time.Since(t0).Round(time.Millisecond))
				break
			}
			select {
			case code := <-done:
				cancel()
				t.Fatalf("vmedium run exited %d early:\n%s%s", code, out.String(), errOut.String())
			case <-time.After(50 * time.Millisecond):
			}
			if time.Since(t0) > 15*time.Second {
				cancel()
				t.Fatalf("not live after 15 s:\n%s", errOut.String())
			}
		}
		for !strings.Contains(out.String(), "vmedium is running") { // summary printed after restore
			time.Sleep(20 * time.Millisecond)
		}
		return func() (int, string) {
			cancel()
			return <-done, errOut.String()
		}
	}

	stop := start()
	ctx := context.Background()
	if ps, err := client.DenyList(ctx); err != nil || len(ps) != 1 || ps[0].Src != "rt1" {
		t.Fatalf("deny of the config when live: %+v %v", ps, err)
	}
	if _, err := client.Allow(ctx, "rt1", "rt0"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Deny(ctx, "rt0", "rt1"); err != nil {
		t.Fatal(err)
	}
	if code, log := stop(); code != 0 {
		t.Fatalf("first run exited %d:\n%s", code, log)
	}
	for i := 0; i < 2; i++ {
		if netnsutil.Exists(ns(i)) {
			t.Errorf("namespace %s left after shutdown", ns(i))
		}
	}

	stop = start()
	ps, err := client.DenyList(ctx)
	if err != nil || len(ps) != 1 || ps[0].Src != "rt0" || ps[0].Dst != "rt1" {
		t.Fatalf("deny after restart: %+v %v, want only the saved rt0→rt1 (the config's rt1→rt0 was lifted)", ps, err)
	}
	st, _ := client.Status(ctx)
	if st.Kinds[0].Kind != medium.KindTap {
		t.Fatalf("status kinds %+v", st.Kinds)
	}
	if code, log := stop(); code != 0 {
		t.Fatalf("second run exited %d:\n%s", code, log)
	}

	stop = start("--reset")
	if ps, err := client.DenyList(ctx); err != nil || len(ps) != 1 || ps[0].Src != "rt1" {
		t.Fatalf("deny after --reset: %+v %v, want the config's rt1→rt0 back", ps, err)
	}
	if code, log := stop(); code != 0 {
		t.Fatalf("third run exited %d:\n%s", code, log)
	}
}
