// SPDX-License-Identifier: MIT

package labtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
)

// vmctlLink returns `vmctl links --json`'s entry for src → dst.
func vmctlLink(t *testing.T, d *daemon, b binaries, src, dst string) (medium.LinkInfo, bool) {
	t.Helper()
	out, code := d.vmctl(b, "links", "--json")
	var ls []medium.LinkInfo
	if code != 0 || json.Unmarshal([]byte(out), &ls) != nil {
		t.Logf("vmctl links --json: exit %d\n%s", code, out)
		return medium.LinkInfo{}, false
	}
	for _, l := range ls {
		if l.Src == src && l.Dst == dst {
			return l, true
		}
	}
	return medium.LinkInfo{}, false
}

// move runs `vmctl move NAME X 0 0`.
func move(t *testing.T, d *daemon, b binaries, name string, x float64) {
	t.Helper()
	if out, code := d.vmctl(b, "move", name, strconv.FormatFloat(x, 'f', -1, 64), "0", "0"); code != 0 {
		t.Fatalf("vmctl move %s %g 0 0: exit %d\n%s", name, x, code, out)
	}
}

// TestRootAirDistanceThroughput runs examples/rate-vs-distance.yaml (the
// tap lab with errors per and airtime timed) and walks the station vw2
// away from the AP vw0 with `vmctl move` in four steps. Its TCP goodput to
// the AP falls at every step (the rate control picks slower rates as the
// SNR drops, and the air carries fewer bits per second at them). Beyond
// range (signal below −90 dBm) it drops off: the station loses the AP's
// beacons and leaves the association, and nothing gets through. Brought
// back, it associates again.
func TestRootAirDistanceThroughput(t *testing.T) {
	testutil.NeedRoot(t, "the example lab creates network namespaces and TAP devices", "/dev/net/tun", "ip", "ping", "iperf3")
	b := buildBinaries(t)
	e := runExample(t, b, "rate-vs-distance.yaml", "vma")
	d := e.daemon
	defer d.stop(t, syscall.SIGTERM)
	iperfServer(t, "vma0", "10.0.0.1", 5201)
	ap := radioStates(t, d, b)["vw0"][1]

	// Log-distance (exponent 3), 20 dBm, noise −94 dBm: SNR = 73.8 −
	// 30·log10(d). 10 m: 44 dB (54 Mbit/s); 90 m: 15.2 dB; 130 m: 10.4 dB;
	// 170 m: 6.9 dB; 200 m: 4.8 dB (−89 dBm, just above the −90 dBm
	// sensitivity); 260 m: the signal is below it.
	move(t, d, b, "vw2", 10) // ends the example's walk: vmctl move takes over
	wantPing(t, "vma2", "10.0.0.1", 5, true)
	var last float64
	var steps []string
	for i, x := range []float64{10, 90, 130, 170, 200} {
		move(t, d, b, "vw2", x)
		time.Sleep(500 * time.Millisecond) // rate control settles
		mbps := e.onAir(t, fmt.Sprintf("%g m", x), [][]string{{"vw0", "vw1", "vw2"}}, func() []float64 {
			return []float64{iperfTCP(t, "vma2", "10.0.0.1", 5201, airSecs)}
		})[0]
		l, _ := vmctlLink(t, d, b, "vw2", "vw0")
		steps = append(steps, fmt.Sprintf("%.0f m: %.2f", x, mbps))
		t.Logf("%3.0f m: signal %d dBm, SNR %.1f dB, fastest %s: TCP %.2f Mbit/s", x, l.SignalDBm, l.SNRDB, l.MaxRate, mbps)
		if mbps <= 0 {
			t.Fatalf("%g m: no throughput", x)
		}
		if i > 0 && mbps >= last {
			t.Errorf("%g m: %.2f Mbit/s, not below the previous step's %.2f", x, mbps, last)
		}
		last = mbps
	}
	t.Logf("TCP Mbit/s by distance: %s", strings.Join(steps, ", "))

	// Beyond range: the station loses the AP and nothing gets through.
	move(t, d, b, "vw2", 260)
	if l, ok := vmctlLink(t, d, b, "vw0", "vw2"); !ok || l.InRange {
		t.Errorf("260 m: vmctl links says vw0 → vw2 %+v, want out of range", l)
	}
	var st [2]string
	if !waitFor(8*time.Second, func() bool { st = radioStates(t, d, b)["vw2"]; return st[0] != "associated" }) {
		t.Errorf("260 m: vw2 still %s with %s 8 s after the AP faded out, want it to drop the association", st[0], st[1])
	} else {
		t.Logf("260 m: vw2 dropped off: %s", st[0])
	}
	if sent, recv := ping(t, "vma2", "-c", "5", "-i", "0.2", "-W", "1", "10.0.0.1"); recv != 0 {
		t.Errorf("beyond range: %d/%d pings answered, want none", recv, sent)
	}

	// Back in range it finds the AP and associates again.
	move(t, d, b, "vw2", 10)
	if !waitFor(15*time.Second, func() bool { st = radioStates(t, d, b)["vw2"]; return st == [2]string{"associated", ap} }) {
		t.Fatalf("back at 10 m: vw2 is %s with %q, want associated with %s", st[0], st[1], ap)
	}
	wantPing(t, "vma2", "10.0.0.1", 5, true)
}
