// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/guest/session"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// TestRunNoLabGuests runs `vmedium run --no-lab --guests unix:…` in-process
// (no root needed): a guest agent's radios are listed by the control API
// as kind guest, named GUEST/IFACE with the guest they live in, a deny by
// those names is accepted, and the radios leave with the guest.
func TestRunNoLabGuests(t *testing.T) {
	dir := t.TempDir()
	sock, gsock := filepath.Join(dir, "vmedium.sock"), filepath.Join(dir, "g.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	var out, errOut syncBuffer
	go func() {
		done <- runContext(ctx, []string{"--no-lab", "--guests", "unix:" + gsock, "--socket", sock,
			"--state-dir", filepath.Join(dir, "state"), "--metrics-addr", "off"}, &out, &errOut)
	}()
	client := control.NewClient(sock)
	if _, err := client.WaitLive(context.Background(), 10*time.Second); err != nil {
		cancel()
		<-done
		t.Fatalf("not live: %v\n%s", err, errOut.String())
	}
	states := make(chan error, 16)
	a, err := session.NewAgent(session.AgentConfig{
		Addr: transport.Addr{Scheme: "unix", Target: gsock}, Name: "vmA", Software: "test",
		Status: func(*wire.TxStatus, bool) {}, Rx: func(*wire.Rx) {},
		State: func(_ bool, err error) { states <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, ifn := range []string{"wlan0", "wlan1"} {
		a.AddRadio(wire.Radio{HWAddr: wire.HWAddr{0x42, 1, 2, 3, byte(i), 0}, ID: uint32(i), Ifname: ifn,
			Addrs: []wire.HWAddr{{0x02, 1, 2, 3, byte(i), 0}}})
	}
	actx, acancel := context.WithCancel(context.Background())
	adone := make(chan error, 1)
	go func() { adone <- a.Run(actx) }()
	if err := <-states; err != nil {
		t.Fatalf("agent: %v", err)
	}
	var got []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rs, err := client.Radios(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for _, r := range rs {
			where := ""
			if r.MAC != nil {
				where = r.MAC.State
			}
			got = append(got, r.Name+" "+string(r.Kind)+" "+where)
		}
		if len(got) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "vmA/wlan0 guest in guest vmA") || !strings.HasPrefix(got[1], "vmA/wlan1 guest in guest vmA") {
		t.Fatalf("radios: %q", got)
	}
	if _, err := client.Deny(context.Background(), "vmA/wlan0", "vmA/wlan1"); err != nil {
		t.Fatalf("deny by guest radio names: %v", err)
	}
	acancel()
	<-adone
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rs, _ := client.Radios(context.Background())
		if len(rs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("guest radios still listed after the agent stopped: %+v", rs)
		}
	}
	// The guest's radios go first, then the guest itself.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		st, err := client.Status(context.Background())
		if err == nil && len(st.Kinds) > 0 && strings.Contains(st.Kinds[0].Summary, "guest: live, 0 radios in 0 guests") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status after the guest left: %+v %v", st.Kinds, err)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("vmedium run exited %d:\n%s", code, errOut.String())
	}
	if !strings.Contains(out.String(), "guests: listening on unix:"+gsock) {
		t.Errorf("summary: %s", out.String())
	}
}

func TestAgentFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "--connect ADDR is required: one of virtio:PORTNAME"},
		{[]string{"--connect", "vsock:2:1"}, `unknown transport scheme "vsock"`},
		{[]string{"--connect", "unix:/tmp/g", "--name", "vm/a"}, `guest name "vm/a"`},
		{[]string{"--connect", "tcp:host"}, "want HOST:PORT"},
		{[]string{"--connect", "unix:/tmp/g", "--radios", "-1"}, "--radios -1: accepted 0 to 64"},
		{[]string{"--connect", "unix:/tmp/g", "--radios", "65"}, "--radios 65: accepted 0 to 64"},
	} {
		var o, e strings.Builder
		if code := dispatch(append([]string{"agent"}, c.args...), &o, &e); code != 2 || !strings.Contains(e.String(), c.want) {
			t.Errorf("agent %q: exit %d, stderr %q, want %q", c.args, code, e.String(), c.want)
		}
	}
	f, err := parseAgentFlags([]string{"--connect", "virtio:org.vmedium.air", "--name", "vmA", "--radios", "2"}, io.Discard)
	if err != nil || f.connect.Scheme != "virtio" || f.name != "vmA" || f.radios != 2 {
		t.Fatalf("good flags: %+v %v", f, err)
	}
}
