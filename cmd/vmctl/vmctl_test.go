// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
)

func addr(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, 0x20, i} }

type env struct {
	t      *testing.T
	m      *medium.Medium
	rs     []*medium.Radio
	socket string
	stop   func()
}

// start runs a control server for a medium with in-process radios vw0..vw2
// on a socket in a temp dir, persisting to stateDir (if not empty).
func start(t *testing.T, socket, stateDir string, reset bool) *env {
	t.Helper()
	m := medium.New(medium.Options{Seed: 9})
	e := &env{t: t, m: m, socket: socket}
	nop := medium.PortFunc(func([]byte, medium.RxInfo) error { return nil })
	for i, n := range []string{"vw0", "vw1", "vw2"} {
		r, err := m.AddRadio(medium.RadioConfig{Name: n, Kind: medium.KindLocal, Addr: addr(byte(i)), FreqMHz: 2437}, nop)
		if err != nil {
			t.Fatal(err)
		}
		e.rs = append(e.rs, r)
	}
	if stateDir != "" {
		sf, err := control.OpenState(stateDir)
		if err != nil {
			t.Fatal(err)
		}
		if reset {
			if err := sf.Remove(); err != nil {
				t.Fatal(err)
			}
		} else if st, ok, err := sf.Load(); err != nil {
			t.Fatal(err)
		} else if ok {
			if err := m.Restore(st); err != nil {
				t.Fatal(err)
			}
		}
		sf.Attach(m, nil)
	}
	ln, err := control.Listen(socket)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- control.Serve(ctx, ln, control.Options{Medium: m, Version: "test", Seed: 9}) }()
	e.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	t.Cleanup(func() {
		if e.stop != nil {
			e.stop()
		}
	})
	return e
}

func (e *env) shutdown() { e.stop(); e.stop = nil }

// vmctl runs the command in-process against e's socket.
func (e *env) vmctl(args ...string) (code int, stdout, stderr string) {
	var o, s bytes.Buffer
	code = run(append([]string{"--socket", e.socket}, args...), &o, &s)
	return code, o.String(), s.String()
}

func (e *env) ok(args ...string) string {
	e.t.Helper()
	code, out, errOut := e.vmctl(args...)
	if code != 0 {
		e.t.Fatalf("vmctl %v: exit %d, stderr %q", args, code, errOut)
	}
	return out
}

func (e *env) okJSON(v any, args ...string) {
	e.t.Helper()
	out := e.ok(append([]string{"--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("vmctl --json %v: %v in %q", args, err, out)
	}
}

func (e *env) state() string {
	b, err := json.Marshal(e.m.State())
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func sockPath(t *testing.T) string { return filepath.Join(t.TempDir(), "run", "vmedium.sock") }

func TestEveryVerb(t *testing.T) {
	e := start(t, sockPath(t), "", false)

	// status
	out := e.ok("status")
	if !strings.HasPrefix(out, "vmedium status: live\n") || !strings.Contains(out, "local: live, 3 radios") {
		t.Fatalf("status:\n%s", out)
	}
	var st struct {
		Live bool `json:"live"`
		control.Status
	}
	e.okJSON(&st, "status")
	if !st.Live || st.Radios != 3 || st.Version != "test" {
		t.Fatalf("status --json: %+v", st)
	}

	// radios
	if out := e.ok("radios"); !strings.Contains(out, "NAME") || !strings.Contains(out, "vw2") || !strings.Contains(out, addr(1).String()) {
		t.Fatalf("radios:\n%s", out)
	}
	var rs []medium.RadioInfo
	e.okJSON(&rs, "radios")
	if len(rs) != 3 || rs[0].Name != "vw0" || rs[0].FreqMHz != 2437 || rs[0].Kind != medium.KindLocal {
		t.Fatalf("radios --json: %+v", rs)
	}

	// deny / deny list / allow / deny -c
	if out := e.ok("deny", "-s", "vw1", "-d", "vw2"); out != "vw2 now denies vw1\n" {
		t.Fatalf("deny: %q", out)
	}
	e.ok("deny", "-s", "vw0", "-d", "vw1")
	if out := e.ok("deny"); !strings.Contains(out, "vw1  ") || !strings.Contains(out, "vw2 denies vw1") {
		t.Fatalf("deny list:\n%s", out)
	}
	var ps []denylist.Pair
	e.okJSON(&ps, "deny")
	if want := []denylist.Pair{{Src: "vw1", Dst: "vw2"}, {Src: "vw0", Dst: "vw1"}}; !reflect.DeepEqual(ps, want) {
		t.Fatalf("deny --json: %+v want %+v", ps, want)
	}
	if out := e.ok("allow", "-s", "vw0", "-d", "vw1"); out != "vw1 now allows vw0\n" {
		t.Fatalf("allow: %q", out)
	}
	if out := e.ok("allow", "-s", "vw0", "-d", "vw1"); out != "vw1 did not deny vw0\n" {
		t.Fatalf("allow again: %q", out)
	}
	if out := e.ok("deny", "-c"); out != "cleared 1 deny pair\n" {
		t.Fatalf("deny -c: %q", out)
	}
	e.okJSON(&ps, "deny")
	if len(ps) != 0 || len(e.m.DenyList()) != 0 {
		t.Fatalf("after deny -c: %+v", ps)
	}

	// link / links
	if out := e.ok("link", "-s", "vw0", "-d", "vw1", "--signal", "-63", "--loss", "0.3"); out != "vw0 → vw1: signal -63 dBm (explicit), loss 0.3\n" {
		t.Fatalf("link: %q", out)
	}
	var ls []medium.LinkInfo
	e.okJSON(&ls, "links")
	if len(ls) != 6 {
		t.Fatalf("links --json: %d pairs, want 6", len(ls))
	}
	for _, l := range ls {
		if l.Src == "vw0" && l.Dst == "vw1" && (l.SignalDBm != -63 || l.Loss != 0.3 || l.Source != medium.SourceExplicit) {
			t.Fatalf("vw0→vw1 after link: %+v", l)
		}
	}
	if out := e.ok("links"); !strings.Contains(out, "-63 dBm") || !strings.Contains(out, "SRC") || !strings.Contains(out, "-63/0.3") {
		t.Fatalf("links:\n%s", out)
	}
	e.ok("link", "-s", "vw0", "-d", "vw1", "--reset")
	if len(e.m.State().Links) != 0 {
		t.Fatalf("link --reset left %+v", e.m.State().Links)
	}

	// move
	if out := e.ok("move", "vw2", "10", "-2.5", "0"); out != "vw2 now at (10, -2.5, 0) m\n" {
		t.Fatalf("move: %q", out)
	}
	if p := e.m.State().Positions["vw2"]; p != (medium.Position{X: 10, Y: -2.5}) {
		t.Fatalf("position after move: %+v", p)
	}

	// help
	for _, h := range []string{"help", "-h"} {
		code, out, _ := e.vmctl(h)
		if code != 0 || !strings.Contains(out, "capture -o FILE|-") {
			t.Fatalf("vmctl %s: %d %q", h, code, out)
		}
	}
}

func TestBadInputExit2NothingChanged(t *testing.T) {
	e := start(t, sockPath(t), "", false)
	e.ok("deny", "-s", "vw1", "-d", "vw2")
	e.ok("link", "-s", "vw2", "-d", "vw0", "--signal", "-40")
	before := e.state()
	out := filepath.Join(t.TempDir(), "x.pcap")
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"deny", "-s", "vw1", "-d", "vw9"}, `unknown radio "vw9": known radios are vw0, vw1, vw2`},
		{[]string{"allow", "-s", "nope", "-d", "vw2"}, `unknown radio "nope"`},
		{[]string{"link", "-s", "vw0", "-d", "vwX", "--loss", "0.1"}, `unknown radio "vwX"`},
		{[]string{"move", "vw7", "1", "2", "3"}, `unknown radio "vw7"`},
		{[]string{"link", "-s", "vw0", "-d", "vw1", "--loss", "1.5"}, "invalid loss 1.5: accepted is a probability from 0 to 1"},
		{[]string{"link", "-s", "vw0", "-d", "vw1", "--loss", "-1"}, "invalid loss -1"},
		{[]string{"link", "-s", "vw0", "-d", "vw1", "--loss", "NaN"}, `invalid loss "NaN"`},
		{[]string{"link", "-s", "vw0", "-d", "vw1", "--signal", "-60", "--loss", "2"}, "invalid loss 2"},
		{[]string{"link", "-s", "vw0", "-d", "vw1", "--signal", "loud"}, `invalid signal "loud": accepted is a level in dBm`},
		{[]string{"link", "-s", "vw0", "-d", "vw1", "--signal", "99"}, "invalid signal 99"},
		{[]string{"link", "-s", "vw0", "-d", "vw1"}, "nothing to set"},
		{[]string{"move", "vw1", "1", "two", "3"}, `invalid coordinate y "two"`},
		{[]string{"move", "vw1", "1", "2", "Inf"}, `invalid coordinate z "Inf"`},
		{[]string{"move", "vw1", "1", "2"}, "three coordinates"},
		{[]string{"deny", "-s", "vw1"}, "-s SRC and -d DST are both required"},
		{[]string{"deny", "-d", "vw1"}, "-s SRC and -d DST are both required"},
		{[]string{"allow", "-s", "vw1"}, "-s SRC and -d DST are both required"},
		{[]string{"link", "-d", "vw1", "--loss", "0.1"}, "-s SRC and -d DST are both required"},
		{[]string{"deny", "-c", "-s", "vw1"}, "takes no -s/-d"},
		{[]string{"deny", "-s", "vw1", "-d", "vw1"}, "two different radios"},
		{[]string{"capture", "-o", out, "-t", "5"}, `invalid duration "5": accepted is a non-negative duration`},
		{[]string{"capture", "-o", out, "-t", "-1s"}, `invalid duration "-1s"`},
		{[]string{"capture", "-o", out, "-r", "vw5", "-t", "1s"}, `unknown radio "vw5"`},
		{[]string{"capture", "-t", "1s"}, "-o FILE is required"},
		{[]string{"frobnicate"}, `unknown verb "frobnicate": accepted are status, radios`},
		{[]string{"radios", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"status", "extra"}, `unexpected argument "extra"`},
	}
	for _, c := range cases {
		code, stdout, stderr := e.vmctl(c.args...)
		if code != 2 {
			t.Errorf("vmctl %v: exit %d, want 2 (stdout %q stderr %q)", c.args, code, stdout, stderr)
			continue
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("vmctl %v: stderr %q does not contain %q", c.args, stderr, c.want)
		}
		if after := e.state(); after != before {
			t.Fatalf("vmctl %v changed the state:\n%s\n%s", c.args, before, after)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused capture left %s behind", out)
	}
	// Nothing but an usage error on a bad global flag either.
	if code, _, _ := e.vmctl("--nope", "status"); code != 2 {
		t.Errorf("bad global flag: exit %d, want 2", code)
	}
}

func TestStatusNotRunning(t *testing.T) {
	var o, s bytes.Buffer
	code := run([]string{"--socket", filepath.Join(t.TempDir(), "none.sock"), "status"}, &o, &s)
	if code != 1 || o.String() != "vmedium status: not running\n" {
		t.Fatalf("exit %d stdout %q stderr %q; want 1 and %q", code, o.String(), s.String(), "vmedium status: not running\n")
	}
	o.Reset()
	if code := run([]string{"--socket", filepath.Join(t.TempDir(), "none.sock"), "radios"}, &o, &s); code != 1 {
		t.Fatalf("radios without server: exit %d, want 1", code)
	}
}

func TestStateSurvivesRestartAndResetClears(t *testing.T) {
	sock, dir := sockPath(t), t.TempDir()
	e := start(t, sock, dir, false)
	e.ok("deny", "-s", "vw1", "-d", "vw2")
	e.ok("link", "-s", "vw0", "-d", "vw2", "--signal", "-71", "--loss", "0.2")
	e.ok("move", "vw0", "1", "1", "1")
	var links []medium.LinkInfo
	e.okJSON(&links, "--socket", sock, "links") // global flags may repeat
	if len(links) != 6 {
		t.Fatalf("links --json: %d pairs", len(links))
	}
	want := e.state()
	e.shutdown()

	e2 := start(t, sock, dir, false)
	if got := e2.state(); got != want {
		t.Fatalf("after restart:\n got %s\nwant %s", got, want)
	}
	var ps []denylist.Pair
	e2.okJSON(&ps, "deny")
	if len(ps) != 1 || ps[0] != (denylist.Pair{Src: "vw1", Dst: "vw2"}) {
		t.Fatalf("deny after restart: %+v", ps)
	}
	e2.shutdown()

	e3 := start(t, sock, dir, true) // --reset
	if got := e3.state(); got != `{"deny":[]}` && got != "{}" {
		t.Fatalf("after --reset: %s", got)
	}
	if len(e3.m.DenyList()) != 0 || len(e3.m.State().Links) != 0 {
		t.Fatalf("after --reset: %+v", e3.m.State())
	}
}

func TestCaptureSignalEqualsLinkSignal(t *testing.T) {
	e := start(t, sockPath(t), "", false)
	e.ok("link", "-s", "vw1", "-d", "vw2", "--signal", "-58")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // vw1 → vw2 null-data frames until stopped
		defer close(done)
		f := make([]byte, 24)
		f[0] = 0x48
		a1, a2 := addr(2), addr(1)
		copy(f[4:], a1[:])
		copy(f[10:], a2[:])
		copy(f[16:], a2[:])
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				e.rs[1].Transmit(f, medium.TxOptions{MaxAttempts: 1})
			}
		}
	}()
	defer func() { close(stop); <-done }()

	file := filepath.Join(t.TempDir(), "lab.pcap")
	out := e.ok("capture", "-o", file, "-r", "vw2", "-t", "300ms")
	if !strings.HasPrefix(out, "captured ") || !strings.Contains(out, "(vw2) to "+file) {
		t.Fatalf("capture: %q", out)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := checkPcap(t, b, -58)
	if n < 10 {
		t.Fatalf("only %d records in 300 ms of traffic every 2 ms", n)
	}

	// -o - streams the pcap to stdout, messages to stderr.
	code, stdout, stderr := e.vmctl("capture", "-o", "-", "-t", "200ms")
	if code != 0 || !strings.Contains(stderr, "to stdout") {
		t.Fatalf("capture -o -: exit %d stderr %q", code, stderr)
	}
	if n := checkPcap(t, []byte(stdout), -58); n < 5 {
		t.Fatalf("capture -o -: %d records", n)
	}
}

// checkPcap decodes every record with gopacket (RadioTap + Dot11) and checks
// the signal; it returns the number of records.
func checkPcap(t *testing.T, b []byte, wantSignal int8) int {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("pcap: %v", err)
	}
	n := 0
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			return n
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LinkTypeIEEE80211Radio, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("record %d: %v", n, el.Error())
		}
		rt, _ := p.Layer(layers.LayerTypeRadioTap).(*layers.RadioTap)
		d, _ := p.Layer(layers.LayerTypeDot11).(*layers.Dot11)
		if rt == nil || d == nil {
			t.Fatalf("record %d: want RadioTap + Dot11, got %v", n, p)
		}
		if got := rt.RadioTapValues[0].DBMAntennaSignal; !rt.Present[0].DBMAntennaSignal() || got != wantSignal {
			t.Fatalf("record %d: signal %d dBm, want the link's %d", n, got, wantSignal)
		}
		n++
	}
}

// TestRadiosMACStatus: a radio that hears every frequency (as hwsim radios
// do) shows its MAC's channel and state from its status source.
func TestRadiosMACStatus(t *testing.T) {
	e := start(t, sockPath(t), "", false)
	nop := medium.PortFunc(func([]byte, medium.RxInfo) error { return nil })
	r, err := e.m.AddRadio(medium.RadioConfig{Name: "wlan1", Kind: medium.KindHwsim, Addr: addr(9)}, nop)
	if err != nil {
		t.Fatal(err)
	}
	out := e.ok("radios")
	if row := rowOf(out, "wlan1"); !strings.Contains(row, " all ") || !strings.Contains(row, " - ") {
		t.Fatalf("wlan1 without a status source: %q", row)
	}
	sig := int32(-61)
	r.SetStatusSource(func() medium.MACStatus {
		return medium.MACStatus{Role: "sta", State: "associated", SSID: "vmedium", BSSID: addr(0).String(), SignalDBm: &sig, FreqMHz: 2412, Cipher: "CCMP"}
	})
	row := strings.Join(strings.Fields(rowOf(e.ok("radios"), "wlan1")), " ")
	want := "2412 MHz sta associated vmedium " + addr(0).String() + " -61 dBm"
	if !strings.Contains(row, want) {
		t.Fatalf("wlan1 row %q does not contain %q", row, want)
	}
	if !strings.HasSuffix(row, " CCMP") {
		t.Errorf("wlan1 row %q does not end with the cipher CCMP", row)
	}
	var rs []medium.RadioInfo
	e.okJSON(&rs, "radios")
	for _, ri := range rs {
		if ri.Name == "wlan1" && (ri.MAC == nil || ri.MAC.FreqMHz != 2412 || ri.FreqMHz != 0) {
			t.Fatalf("wlan1 in --json radios: %+v", ri)
		}
	}
}

func rowOf(table, name string) string {
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(l, name+" ") {
			return l
		}
	}
	return ""
}
