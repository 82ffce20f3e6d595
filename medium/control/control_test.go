// SPDX-License-Identifier: MIT

package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

func testAddr(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, 0x10, i} }

// newTestMedium returns a medium with three in-process radios vw0..vw2.
func newTestMedium(t testing.TB) (*medium.Medium, []*medium.Radio) {
	t.Helper()
	m := medium.New(medium.Options{Seed: 3})
	nop := medium.PortFunc(func([]byte, medium.RxInfo) error { return nil })
	var rs []*medium.Radio
	for i, n := range []string{"vw0", "vw1", "vw2"} {
		r, err := m.AddRadio(medium.RadioConfig{Name: n, Kind: medium.KindLocal, Addr: testAddr(byte(i)), FreqMHz: 2437}, nop)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return m, rs
}

// serve starts the API on a socket in a temp dir and returns a client.
func serve(t *testing.T, m *medium.Medium, opt Options) *Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "run", "vmedium.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	opt.Medium = m
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, opt) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return NewClient(sock)
}

func stateJSON(t testing.TB, m *medium.Medium) string {
	b, err := json.Marshal(m.State())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestListenSocketMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sub")
	sock := filepath.Join(dir, "v.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	if di, _ := os.Stat(dir); di.Mode().Perm() != 0o755 {
		t.Errorf("socket directory mode %v, want 0755", di.Mode().Perm())
	}
	// A live socket is not stolen; a stale one is replaced.
	if _, err := Listen(sock); err == nil {
		t.Fatal("second Listen on a served socket succeeded")
	}
	ln.(interface{ SetUnlinkOnClose(bool) }).SetUnlinkOnClose(false)
	ln.Close()
	ln2, err := Listen(sock)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln2.Close()
}

func TestClientAgainstServer(t *testing.T) {
	m, _ := newTestMedium(t)
	c := serve(t, m, Options{Version: "test", Seed: 3, Backends: func() []KindStatus {
		return []KindStatus{{Kind: medium.KindKmod, Live: true, Summary: "kmod: live, 0 radios"}}
	}})
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Radios != 3 || st.Version != "test" || st.Seed != 3 {
		t.Fatalf("status %+v", st)
	}
	live := map[medium.Kind]KindStatus{}
	for _, k := range st.Kinds {
		live[k.Kind] = k
	}
	if !live[medium.KindLocal].Live || live[medium.KindLocal].Radios != 3 || !live[medium.KindKmod].Live || live[medium.KindTap].Live {
		t.Fatalf("kinds %+v: want local live with 3 radios, kmod live (backend running), tap not live", st.Kinds)
	}

	res, err := c.Deny(ctx, "vw1", "vw2")
	if err != nil || !res.Changed || res.Message != "vw2 now denies vw1" {
		t.Fatalf("deny: %+v %v", res, err)
	}
	if res, err = c.Deny(ctx, "vw1", "vw2"); err != nil || res.Changed {
		t.Fatalf("deny again: %+v %v", res, err)
	}
	sig, loss := -55.0, 0.25
	lr, err := c.SetLink(ctx, LinkRequest{Src: "vw0", Dst: "vw1", SignalDBm: &sig, Loss: &loss})
	if err != nil || lr.Link.SignalDBm != -55 || lr.Link.Loss != 0.25 || lr.Link.Source != medium.SourceExplicit {
		t.Fatalf("link: %+v %v", lr, err)
	}
	if _, err := c.Move(ctx, "vw2", medium.Position{X: 1, Y: 2, Z: 3}); err != nil {
		t.Fatal(err)
	}
	before := stateJSON(t, m)
	_, err = c.Deny(ctx, "vw1", "nope")
	if !IsBadInput(err) || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "vw0, vw1, vw2") {
		t.Fatalf("deny unknown radio: %v (want 400 naming nope and the known radios)", err)
	}
	bad := 1.5
	if _, err = c.SetLink(ctx, LinkRequest{Src: "vw0", Dst: "vw1", SignalDBm: &sig, Loss: &bad}); !IsBadInput(err) {
		t.Fatalf("loss 1.5: %v", err)
	}
	if after := stateJSON(t, m); after != before {
		t.Fatalf("state changed by refused requests:\n%s\n%s", before, after)
	}
	cr, err := c.ClearDeny(ctx)
	if err != nil || cr.Cleared != 1 {
		t.Fatalf("clear: %+v %v", cr, err)
	}

	// Not running.
	_, err = NewClient(filepath.Join(t.TempDir(), "none.sock")).Status(ctx)
	if !errors.Is(err, ErrNotRunning) {
		t.Fatalf("status without server: %v, want ErrNotRunning", err)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	m1, _ := newTestMedium(t)
	sf, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	sf.Attach(m1, nil)
	if _, err := m1.Deny("vw0", "vw2"); err != nil {
		t.Fatal(err)
	}
	sig := -70.0
	if err := m1.SetLink("vw1", "vw0", &sig, nil); err != nil {
		t.Fatal(err)
	}
	if err := m1.SetPosition("vw1", medium.Position{X: 4}); err != nil {
		t.Fatal(err)
	}
	want := m1.State()

	// "Restart": a new medium and state file over the same directory.
	m2, _ := newTestMedium(t)
	sf2, _ := OpenState(dir)
	st, ok, err := sf2.Load()
	if err != nil || !ok {
		t.Fatalf("load: ok=%v err=%v", ok, err)
	}
	if err := m2.Restore(st); err != nil {
		t.Fatal(err)
	}
	if got := m2.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after restart\n got %+v\nwant %+v", got, want)
	}
	// --reset removes it.
	if err := sf2.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := sf2.Load(); ok || err != nil {
		t.Fatalf("after reset: ok=%v err=%v", ok, err)
	}
	// No temp files left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("state dir not empty after reset: %v", ents)
	}
	// A corrupt file is an error naming the way out.
	os.WriteFile(sf2.Path(), []byte(`{"version":1,"bogus":true}`), 0o644)
	if _, _, err := sf2.Load(); err == nil || !strings.Contains(err.Error(), "--reset") {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestCaptureSignalEqualsLink(t *testing.T) {
	m, rs := newTestMedium(t)
	sig := -47.0
	if err := m.SetLink("vw0", "vw1", &sig, nil); err != nil {
		t.Fatal(err)
	}
	c := serve(t, m, Options{})
	stop := make(chan struct{})
	defer close(stop)
	go func() { // traffic: null-data frames vw0 → vw1 every millisecond
		f := make([]byte, 24)
		f[0] = 0x48
		a1, a2 := testAddr(1), testAddr(0)
		copy(f[4:], a1[:])
		copy(f[10:], a2[:])
		copy(f[16:], a2[:])
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				rs[0].Transmit(f, medium.TxOptions{MaxAttempts: 1})
			}
		}
	}()
	var buf bytes.Buffer
	st, err := c.Capture(context.Background(), "vw1", 300*time.Millisecond, &buf)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LinkTypeIEEE80211Radio, gopacket.Default)
		rt, ok := p.Layer(layers.LayerTypeRadioTap).(*layers.RadioTap)
		if !ok || p.Layer(layers.LayerTypeDot11) == nil {
			t.Fatalf("record %d: not RadioTap+Dot11: %v", n, p)
		}
		if !rt.Present[0].DBMAntennaSignal() || rt.RadioTapValues[0].DBMAntennaSignal != -47 {
			t.Fatalf("record %d: signal %d dBm (present %v), want the link's -47", n, rt.RadioTapValues[0].DBMAntennaSignal, rt.Present[0].DBMAntennaSignal())
		}
		n++
	}
	if n < 10 || uint64(n) != st.Frames {
		t.Fatalf("decoded %d records, trailer says %+v; want ≥10 and equal", n, st)
	}
}

func TestCaptureBadInput(t *testing.T) {
	m, _ := newTestMedium(t)
	h := NewHandler(Options{Medium: m})
	for _, q := range []string{"radio=nope", "duration=5", "duration=-1s", "bogus=1"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/capture?"+q, nil))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"error"`) {
			t.Errorf("capture?%s: %d %s, want 400 with an error", q, w.Code, w.Body)
		}
	}
}
