// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium/wmediumd"
	"github.com/vmedium/vmedium/medium/wmediumd/dropin"
)

func TestWserverRequestWords(t *testing.T) {
	r, err := wserverRequest([]string{"pos", "02:00:00:00:01:00", "-90", "0", "1.5"})
	if err != nil || r.Type != dropin.MsgPosUpdate || r.X != -90 || r.Z != 1.5 || r.From[4] != 1 {
		t.Errorf("pos: %+v %v", r, err)
	}
	r, err = wserverRequest(append([]string{"specprob", "02:00:00:00:00:00", "02:00:00:00:01:00"}, strings.Fields("0 1 0.5 1 1 1 1 1 1 1 1 0.25")...))
	if err != nil || r.Type != dropin.MsgSpecProbUpdate || r.Spec[2] != 0.5 || r.Spec[7*12+11] != 0.25 || r.Spec[12] != 0 {
		t.Errorf("specprob with 12 rates: %+v %v", r, err)
	}
	for _, bad := range [][]string{{"specprob", "02:00:00:00:00:00", "02:00:00:00:01:00", "0.1", "0.2"}, {"specprob", "02:00:00:00:00:00", "02:00:00:00:01:00", "1.5"},
		{"pos", "x", "1", "2", "3"}, {"snr", "02:00:00:00:00:00"}, {"errprob", "02:00:00:00:00:00", "02:00:00:00:01:00", "2"}, {"fly"}} {
		if _, err := wserverRequest(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// vmctl wserver against the drop-in's server on a real UNIX socket.
func TestWserverAgainstServer(t *testing.T) {
	cfg, err := wmediumd.Parse("x", []byte(`ifaces : { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };`))
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "w.sock")
	ln, err := dropin.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&dropin.Server{Model: dropin.NewModel(cfg)}).Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()
	var out, errb bytes.Buffer
	if code := run([]string{"wserver", "--wserver-socket", sock, "snr", "02:00:00:00:00:00", "02:00:00:00:01:00", "12"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s %s", code, out.String(), errb.String())
	}
	if cfg.SNR[1] != 12 || !strings.Contains(out.String(), "SNR_UPDATE: success") {
		t.Errorf("SNR %v, output %q", cfg.SNR, out.String())
	}
	out.Reset()
	if code := run([]string{"wserver", "--wserver-socket", sock, "add", "02:00:00:00:09:00"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "(station 2)") {
		t.Errorf("add: exit %d %q", code, out.String())
	}
	if code := run([]string{"wserver", "--wserver-socket", sock, "del", "02:00:00:00:07:00"}, &out, &errb); code != 1 {
		t.Errorf("del of an unknown station: exit %d, want 1", code)
	}
}
