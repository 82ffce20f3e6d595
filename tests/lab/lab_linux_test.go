// SPDX-License-Identifier: MIT

package labtest

import (
	"fmt"
	"math"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// TestRootLab brings up the default topology (namespaces vmt0..2) and
// checks the lab's promises on one lab.
func TestRootLab(t *testing.T) {
	needRoot(t)
	cfg := labConfig("vmt")
	r := up(t, cfg, false)
	l := r.lab
	ap := staState(t, l, "vw0")
	for _, s := range []string{"vw1", "vw2"} {
		st := staState(t, l, s)
		if st.State != "associated" || st.BSSID != ap.BSSID {
			t.Fatalf("%s: state %q bssid %q, want associated to %s", s, st.State, st.BSSID, ap.BSSID)
		}
	}
	sum := l.Summary()
	t.Logf("summary:\n%s", sum)
	for _, w := range []string{"vw1", "vmt1", "10.0.0.3/24", "associated to " + ap.BSSID, "ip netns exec vmt1 ping -c 3 10.0.0.3", "vmctl deny -s vw1 -d vw2", "vmctl capture"} {
		if !strings.Contains(sum, w) {
			t.Errorf("summary lacks %q", w)
		}
	}

	// Item 2: STA→STA (relayed by the AP), STA→AP, AP→STA.
	t.Run("ping", func(t *testing.T) {
		wantPing(t, "vmt1", "10.0.0.3", 5, true)
		wantPing(t, "vmt2", "10.0.0.1", 5, true)
		wantPing(t, "vmt0", "10.0.0.2", 5, true)
	})

	// Item 2: IPv6 link-local between the stations needs neighbour
	// discovery, i.e. multicast relayed by the AP.
	t.Run("ipv6-link-local", func(t *testing.T) {
		ll := linkLocal(t, "vmt2", "vw2")
		linkLocal(t, "vmt1", "vw1") // wait for the sender's own DAD too
		wantPing(t, "vmt1", ll.String()+"%vw1", 3, true)
	})

	// Item 3: relay rules.
	t.Run("relay-unicast-not-up-ap", func(t *testing.T) {
		wantPing(t, "vmt1", "10.0.0.3", 2, true) // neighbours resolved
		before := snmpIP(t, "vmt0")
		apBefore := staState(t, l, "vw0").Counters
		wantPing(t, "vmt1", "10.0.0.3", 20, true)
		after := snmpIP(t, "vmt0")
		apAfter := staState(t, l, "vw0").Counters
		if after != before {
			t.Errorf("AP namespace received %d IPv4 packets during STA→STA pings; want 0 (unicast relayed on the medium only)", after-before)
		}
		if d := apAfter["relayed_unicast"] - apBefore["relayed_unicast"]; d < 40 {
			t.Errorf("AP relayed %d unicast frames for 20 pings, want ≥ 40", d)
		}
		// Positive control: traffic to the AP does go up its stack.
		before = snmpIP(t, "vmt0")
		wantPing(t, "vmt1", "10.0.0.1", 5, true)
		if d := snmpIP(t, "vmt0") - before; d < 5 {
			t.Errorf("AP namespace received %d IPv4 packets for 5 pings to it, want ≥ 5", d)
		}
	})
	t.Run("relay-broadcast", func(t *testing.T) {
		const port, n = 47999, 10
		s0, s1, s2 := sniff(t, "vmt0", "vw0"), sniff(t, "vmt1", "vw1"), sniff(t, "vmt2", "vw2")
		vw1 := mustNode(t, l, "vw1")
		sendBroadcast(t, "vmt1", "10.0.0.255", port, n)
		ok := waitFor(3*time.Second, func() bool { return s0.countUDP(vw1, port) >= n && s2.countUDP(vw1, port) >= n })
		time.Sleep(200 * time.Millisecond) // let any echo arrive
		c0, c1, c2 := s0.countUDP(vw1, port), s1.countUDP(vw1, port), s2.countUDP(vw1, port)
		t.Logf("broadcasts from vw1 received: AP stack %d, vw2 %d, vw1 (echo) %d", c0, c2, c1)
		if !ok || c0 != n || c2 != n {
			t.Errorf("broadcast reached the AP's stack %d and vw2 %d times, want %d each", c0, c2, n)
		}
		if c1 != 0 {
			t.Errorf("broadcast echoed back to vw1 %d times, want 0", c1)
		}
	})

	// Item 4: deny.
	t.Run("deny-sta-sta", func(t *testing.T) {
		if _, err := r.m.Deny("vw1", "vw2"); err != nil {
			t.Fatal(err)
		}
		wantPing(t, "vmt1", "10.0.0.3", 5, false)
		wantPing(t, "vmt1", "10.0.0.1", 5, true)
		if n := r.m.ClearDeny(); n != 1 {
			t.Errorf("ClearDeny removed %d pairs, want 1", n)
		}
		wantPing(t, "vmt1", "10.0.0.3", 5, true)
	})
	t.Run("deny-ap-sta-reassociates", func(t *testing.T) {
		if _, err := r.m.Deny("vw0", "vw1"); err != nil {
			t.Fatal(err)
		}
		lost := waitFor(5*time.Second, func() bool { return staState(t, l, "vw1").State != "associated" })
		st := staState(t, l, "vw1")
		if !lost {
			t.Fatalf("vw1 still %s to %s 5 s after deny vw0→vw1", st.State, st.BSSID)
		}
		t.Logf("vw1 after deny: %s (beacon_loss %d)", st.State, st.Counters["beacon_loss"])
		if _, err := r.m.Allow("vw0", "vw1"); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if !waitFor(10*time.Second, func() bool { return staState(t, l, "vw1").State == "associated" }) {
			t.Fatalf("vw1 not reassociated 10 s after allow: %+v", staState(t, l, "vw1"))
		}
		t.Logf("vw1 reassociated %v after allow", time.Since(start).Round(time.Millisecond))
		wantPing(t, "vmt1", "10.0.0.3", 5, true)
	})

	// Item 5: loss. The link vw1→vw0 (station to AP) gets loss p per
	// transmission attempt; the other three hops of a STA→STA ping
	// (AP→vw2, vw2→AP, AP→vw1) are clean. Unicast data is sent with
	// k = 4 attempts (1 + 3 retries) and each attempt is an independent
	// draw, so the request's first hop is lost with probability p^k and
	//   P(ping lost) = 1 − (1 − p^k)·1·1·1 = p^k = 0.5^4 = 0.0625.
	// (Beacons are AP→STA, so the station does not lose its AP.) Without
	// retries the loss would be 0.5; with k attempts on both directions
	// 0.121. The count of lost pings out of N is binomial(N, p^k); the
	// test accepts the central range holding all but ~1e-6 of it.
	t.Run("loss", func(t *testing.T) {
		const p, k, n = 0.5, 4, 300
		loss := p
		if err := r.m.SetLink("vw1", "vw0", nil, &loss); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := r.m.ResetLink("vw1", "vw0"); err != nil {
				t.Error(err)
			}
		}()
		sent, recv := ping(t, "vmt1", "-c", fmt.Sprint(n), "-i", "0.01", "-W", "1", "10.0.0.3")
		q := math.Pow(p, k)
		lo, hi := binomialRange(sent, q, 1e-6)
		lost := sent - recv
		t.Logf("loss %g on vw1→vw0, %d attempts: %d/%d pings lost (%.1f %%), expected %.1f (%.2f %%), accepted %d..%d",
			p, k, lost, sent, 100*float64(lost)/float64(sent), q*float64(sent), 100*q, lo, hi)
		if lost < lo || lost > hi {
			t.Errorf("%d of %d pings lost; with P(lost) = p^k = %g the accepted range is %d..%d", lost, sent, q, lo, hi)
		}
		if st := staState(t, l, "vw1"); st.State != "associated" {
			t.Errorf("vw1 %s during the loss test", st.State)
		}
	})

	// Item 7: Close removes exactly what this run created.
	t.Run("cleanup", func(t *testing.T) {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		nsGone(t, "vmt0", "vmt1", "vmt2")
		if _, ok, _ := lab.ReadStateFile(r.stateDir); ok {
			t.Error("lab.json left after Close")
		}
		if len(r.m.Names()) != 0 {
			t.Errorf("radios left on the medium: %v", r.m.Names())
		}
	})
}

func mustNode(t *testing.T, l *lab.Lab, name string) frames.MAC {
	t.Helper()
	n, ok := l.Node(name)
	if !ok || n.Radio == nil {
		t.Fatalf("no radio %s", name)
	}
	return n.Radio.Addr()
}

// linkLocal waits until the interface's IPv6 link-local address has
// finished duplicate address detection and returns it.
func linkLocal(t *testing.T, ns, ifname string) netip.Addr {
	t.Helper()
	h, err := netnsutil.Handle(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var ll netip.Addr
	ok := waitFor(5*time.Second, func() bool {
		link, err := h.LinkByName(ifname)
		if err != nil {
			return false
		}
		addrs, err := h.AddrList(link, 10 /* AF_INET6 */)
		if err != nil {
			return false
		}
		for _, a := range addrs {
			ip, _ := netip.AddrFromSlice(a.IP)
			if ip.IsLinkLocalUnicast() && a.Flags&0x40 /* IFA_F_TENTATIVE */ == 0 {
				ll = ip
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("%s in %s has no usable IPv6 link-local address after 5 s", ifname, ns)
	}
	return ll
}

// sendBroadcast sends n UDP datagrams to addr:port from a socket in ns.
func sendBroadcast(t *testing.T, ns, addr string, port, n int) {
	t.Helper()
	var conn net.Conn
	if err := netnsutil.Do(ns, func() error {
		var err error
		conn, err = net.Dial("udp4", net.JoinHostPort(addr, fmt.Sprint(port))) // Go sets SO_BROADCAST on UDP sockets
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := 0; i < n; i++ {
		if _, err := conn.Write([]byte("vmedium broadcast test")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// binomialRange returns [lo, hi] such that a Binomial(n, q) count falls
// below lo or above hi with probability at most tail each.
func binomialRange(n int, q, tail float64) (lo, hi int) {
	pmf := func(k int) float64 {
		lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
		return math.Exp(lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(q) + float64(n-k)*math.Log1p(-q))
	}
	cum := 0.0
	for lo = 0; lo < n; lo++ {
		cum += pmf(lo)
		if cum > tail {
			break
		}
	}
	cum = 0
	for hi = n; hi > 0; hi-- {
		cum += pmf(hi)
		if cum > tail {
			break
		}
	}
	return lo, hi
}

// TestStaleRecovery simulates a crash: lab.json of a dead process lists
// namespaces, one of which is still there. Up must remove it, say so, and
// start.
func TestRootStaleRecovery(t *testing.T) {
	needRoot(t)
	cfg := labConfig("vms")
	stateDir := t.TempDir()
	if err := netnsutil.Create("vms1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netnsutil.Delete("vms1") })
	pid := deadPID(t)
	if err := lab.WriteStateFile(stateDir, lab.StateFile{PID: pid, Backend: "tap", Namespaces: []string{"vms0", "vms1", "vms2"},
		Devices: []lab.Device{{Netns: "vms1", Name: "vw1"}}}); err != nil {
		t.Fatal(err)
	}
	m := newMedium()
	progress := &syncBuffer{}
	l, err := lab.Up(t.Context(), cfg, lab.Options{Medium: m, Backend: "tap", StateDir: stateDir, Progress: progress})
	t.Logf("progress:\n%s", progress)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("removed stale namespace vms1 left by pid %d", pid)
	if !strings.Contains(progress.String(), want) {
		t.Errorf("progress does not say %q", want)
	}
	if strings.Contains(progress.String(), "stale namespace vms0") {
		t.Error("claims to have removed vms0, which did not exist")
	}
	wantPing(t, "vms1", "10.0.0.3", 3, true)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	nsGone(t, "vms0", "vms1", "vms2")
}

// TestLiveStateRefused: a state file of a live process (this one) is not
// cleaned: Up refuses, naming the PID, and touches nothing.
func TestRootLiveStateRefused(t *testing.T) {
	needRoot(t)
	stateDir := t.TempDir()
	if err := lab.WriteStateFile(stateDir, lab.StateFile{PID: osGetpid(), Namespaces: []string{"vml1"}}); err != nil {
		t.Fatal(err)
	}
	_, err := lab.Up(t.Context(), labConfig("vml"), lab.Options{Medium: newMedium(), Backend: "tap", StateDir: stateDir})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(osGetpid())) {
		t.Fatalf("Up with a live lab's state: err = %v, want a refusal naming pid %d", err, osGetpid())
	}
	nsGone(t, "vml0", "vml1", "vml2")
}

// TestExistingNamespace: an existing namespace is an error naming it; with
// ReuseNetns it is used and left in place by Close.
func TestRootExistingNamespace(t *testing.T) {
	needRoot(t)
	if err := netnsutil.Create("vme1"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netnsutil.Delete("vme1") })
	cfg := labConfig("vme")
	_, err := lab.Up(t.Context(), cfg, lab.Options{Medium: newMedium(), Backend: "tap", StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "vme1") || !strings.Contains(err.Error(), "reuse-netns") {
		t.Fatalf("Up with existing vme1: err = %v, want an error naming vme1 and --reuse-netns", err)
	}
	nsGone(t, "vme0", "vme2")

	r := up(t, cfg, true)
	wantPing(t, "vme1", "10.0.0.1", 3, true)
	if err := r.lab.Close(); err != nil {
		t.Fatal(err)
	}
	nsGone(t, "vme0", "vme2")
	if !netnsutil.Exists("vme1") {
		t.Error("Close deleted vme1, which it did not create")
	}
	out, _ := exec.Command("ip", "netns", "exec", "vme1", "ip", "-o", "link").CombinedOutput()
	if strings.Contains(string(out), "vw1") {
		t.Errorf("vw1 left in reused vme1:\n%s", out)
	}
}

func TestUnknownBackend(t *testing.T) {
	_, err := lab.Up(t.Context(), labConfig("vmx"), lab.Options{Medium: newMedium(), Backend: "wifi7", StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `"wifi7"`) || !strings.Contains(err.Error(), "tap") {
		t.Fatalf("err = %v, want unknown backend naming the accepted ones", err)
	}
}
