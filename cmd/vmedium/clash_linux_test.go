// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/lab"
)

// TestSecondInstanceRefused: with a daemon answering on the socket, the
// metrics address taken and lab.json naming a live process, `vmedium run`
// exits 1 naming all three and the flag for each, and touches nothing: the
// first daemon still answers, lab.json is as it was, no state.json appears.
func TestSecondInstanceRefused(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "run", "vmedium.sock")
	ln, err := control.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Serve(ctx, ln, control.Options{Medium: medium.New(medium.Options{})}) }()
	defer func() { cancel(); <-done }()

	metrics, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer metrics.Close()

	stateDir := filepath.Join(dir, "state")
	// The parent process (go test) stands for the running lab.
	if err := lab.WriteStateFile(stateDir, lab.StateFile{PID: os.Getppid(), Backend: "tap"}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(stateDir, lab.StateFileName))
	cfg := filepath.Join(dir, "lab.yaml")
	pre := fmt.Sprintf("vmcl%d-", os.Getpid()%100000) // namespaces nobody has
	os.WriteFile(cfg, []byte(fmt.Sprintf("radios:\n  - {name: vw0, role: ap, netns: %s0, ssid: c, channel: 1}\n", pre)), 0o644)

	oldCheck := checkKinds
	t.Cleanup(func() { checkKinds = oldCheck })
	checkKinds = func() []lab.Check { return []lab.Check{{Kind: medium.KindTap, Usable: true}} }
	var o, e bytes.Buffer
	code := dispatch([]string{"run", "--backend", "tap", "--config", cfg, "--socket", sock, "--state-dir", stateDir,
		"--metrics-addr", metrics.Addr().String()}, &o, &e)
	msg := e.String()
	if code != 1 {
		t.Fatalf("second run: exit %d, want 1\n%s", code, msg)
	}
	for _, want := range []string{
		"control socket " + sock, "--socket",
		"metrics address " + metrics.Addr().String(), "--metrics-addr",
		"state directory " + stateDir, fmt.Sprintf("pid %d", os.Getppid()), "--state-dir",
		"nothing was started or changed",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q:\n%s", want, msg)
		}
	}
	t.Logf("refusal:\n%s", msg)
	if _, err := control.NewClient(sock).Status(context.Background()); err != nil {
		t.Errorf("the first daemon no longer answers: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(stateDir, lab.StateFileName)); !bytes.Equal(before, after) {
		t.Errorf("lab.json changed:\n%s\n%s", before, after)
	}
	if _, err := os.Stat(filepath.Join(stateDir, control.StateFileName)); !os.IsNotExist(err) {
		t.Errorf("state.json written by a refused run: %v", err)
	}
}
