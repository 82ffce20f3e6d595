// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
)

// startNet is start with a lab net source: vw1 leased 10.0.0.100 by
// DHCP, vw0 static, vw2 a DHCP station without a lease yet.
func startNet(t *testing.T) *env {
	t.Helper()
	m := medium.New(medium.Options{Seed: 9})
	e := &env{t: t, m: m, socket: sockPath(t)}
	nop := medium.PortFunc(func([]byte, medium.RxInfo) error { return nil })
	for i, n := range []string{"vw0", "vw1", "vw2"} {
		if _, err := m.AddRadio(medium.RadioConfig{Name: n, Kind: medium.KindLocal, Addr: addr(byte(i)), FreqMHz: 2437}, nop); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour).UTC()
	net := &control.NetSource{
		Leases: func() []control.Lease {
			return []control.Lease{{AP: "vw0", Radio: "vw1", MAC: addr(1).String(), IP: "10.0.0.100", Expiry: exp, Hostname: "vw1", State: "bound"}}
		},
		Addressing: func() []control.Addressing {
			return []control.Addressing{{Radio: "vw0", Source: "static", Addr: "10.0.0.1/24"}, {Radio: "vw1", Source: "dhcp", Addr: "10.0.0.100/24"}, {Radio: "vw2", Source: "dhcp"}}
		},
	}
	ln, err := control.Listen(e.socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Serve(ctx, ln, control.Options{Medium: m, Version: "test", Net: net}) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

func TestLeasesAndAddressSources(t *testing.T) {
	e := startNet(t)
	out := e.ok("leases")
	if !strings.HasPrefix(out, "MAC") || !strings.Contains(out, "RADIO") || !strings.Contains(out, "EXPIRES") {
		t.Fatalf("leases header: %q", out)
	}
	row := strings.Join(strings.Fields(rowOf(out, addr(1).String())), " ")
	if !strings.HasPrefix(row, addr(1).String()+" vw1 10.0.0.100 ") || !strings.Contains(row, "(in 1h0m0s)") && !strings.Contains(row, "(in 59m59s)") || !strings.HasSuffix(row, "bound vw0 vw1") {
		t.Fatalf("lease row %q", row)
	}
	var ls []control.Lease
	e.okJSON(&ls, "leases")
	if len(ls) != 1 || ls[0].IP != "10.0.0.100" || ls[0].Radio != "vw1" || ls[0].MAC != addr(1).String() || ls[0].Expiry.IsZero() {
		t.Fatalf("leases --json %+v", ls)
	}
	// The flag after the verb too.
	if code, out, _ := e.vmctl("leases", "--json"); code != 0 || !strings.Contains(out, `"ip": "10.0.0.100"`) {
		t.Fatalf("leases --json after the verb: %d %q", code, out)
	}
	if code, _, errOut := e.vmctl("leases", "extra"); code != 2 || !strings.Contains(errOut, `unexpected argument "extra"`) {
		t.Fatalf("leases extra: %d %q", code, errOut)
	}

	radios := e.ok("radios")
	for name, want := range map[string]string{"vw0": " 10.0.0.1/24 static ", "vw1": " 10.0.0.100/24 dhcp ", "vw2": " - dhcp "} {
		if r := strings.Join(strings.Fields(rowOf(radios, name)), " ") + " "; !strings.Contains(r, want) {
			t.Errorf("radios row %q does not contain %q", r, want)
		}
	}
	var rs []struct {
		Name       string `json:"name"`
		IP         string `json:"ip"`
		AddrSource string `json:"addr_source"`
		Kind       string `json:"kind"`
	}
	e.okJSON(&rs, "radios")
	if len(rs) != 3 || rs[1].Name != "vw1" || rs[1].IP != "10.0.0.100/24" || rs[1].AddrSource != "dhcp" || rs[1].Kind == "" || rs[2].AddrSource != "dhcp" || rs[0].AddrSource != "static" {
		t.Fatalf("radios --json %+v", rs)
	}
}

func TestLeasesWithoutLab(t *testing.T) {
	e := start(t, sockPath(t), "", false)
	if out := e.ok("leases"); !strings.Contains(out, "no DHCP leases") {
		t.Fatalf("leases without a lab: %q", out)
	}
	if out := e.ok("--json", "leases"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("leases --json without a lab: %q", out)
	}
}
