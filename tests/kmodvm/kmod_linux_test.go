// SPDX-License-Identifier: MIT

// Package kmodvm holds the integration tests of the kmod backend against
// the real vmedium.ko and cfg80211 stack. They need root and the module
// loaded, so they run in the QEMU guest: the VM scenario kmod-lab ships
// this package's test binary (kmod-lab.test, built by tests/vm/build-bins.sh
// or kmod/vm-test.sh) and runs its TestRoot* tests; elsewhere they skip.
package kmodvm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/kmod"
	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/tap"
)

// These tests need vmedium.ko loaded (the VM scenario kmod-lab runs them in
// the guest: tests/vm/scenarios/kmod-lab.sh): scan, association, pings,
// deny rules and signal changes through the real cfg80211 stack.

func needModule(t *testing.T) {
	t.Helper()
	testutil.NeedRoot(t, "creates namespaces and drives vmedium.ko", "ip", "ping")
	if !lab.KmodUsable() {
		t.Skip("needs vmedium.ko loaded (VMEDIUM_RADIO family not found); run in the VM: kmod/vm-test.sh")
	}
}

func inNS(t *testing.T, ns string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	return string(out), err
}

func mustNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	out, err := inNS(t, ns, args...)
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
	return out
}

// eventually retries f for up to d; the last error fails the test.
func eventually(t *testing.T, d time.Duration, what string, f func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < d {
		if err = f(); err == nil {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, d, err)
	return 0
}

func pingOK(t *testing.T, ns, addr string) {
	t.Helper()
	out, err := inNS(t, ns, "ping", "-c", "5", "-i", "0.2", "-W", "2", addr)
	if err != nil || !strings.Contains(out, " 0% packet loss") {
		t.Errorf("ping %s from %s: want 0%% loss: %v\n%s", addr, ns, err, out)
		return
	}
	rtt := regexp.MustCompile(`= [0-9.]+/([0-9.]+)/`).FindStringSubmatch(out)
	if len(rtt) == 2 {
		fmt.Printf("VM-METRIC kmod_ping_rtt_avg_%s_%s=%s ms\n", ns, strings.ReplaceAll(addr, ".", "_"), rtt[1])
	}
}

// TestRootVMLab: the seed lab on vmedium.ko — scan at the medium's
// signal, association, pings, deny/allow/clear, signal changes seen by
// iw within 1 s.
func TestRootVMLab(t *testing.T) {
	needModule(t)
	physHome(t)
	m := medium.New(medium.Options{Seed: 1})
	cfg := lab.DefaultConfig()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, cfg, lab.Options{Medium: m, Backend: lab.BackendKmod, StateDir: t.TempDir(), Progress: os.Stdout,
		ReuseNetns: os.Getenv("VMEDIUM_REUSE_NETNS") == "1"})
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	defer l.Close()
	b, ok := l.Kmod()
	if !ok {
		t.Fatal("lab has no kmod backend")
	}
	// Item 9: status.
	if s := b.Summary(); !strings.HasPrefix(s, "kmod: live, ") {
		t.Errorf("Summary = %q", s)
	}
	t.Log(b.Summary())

	// Item 2: scan shows the signal vmedium assigns to the link.
	sig := -47.0
	if err := m.SetLink("vw0", "vw1", &sig, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "iw dev vw1 scan lists vmedium at -47 dBm", func() error {
		out, err := inNS(t, "ns1", "iw", "dev", "vw1", "scan")
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		if !strings.Contains(out, "SSID: vmedium") || !strings.Contains(out, "signal: -47.00 dBm") {
			return fmt.Errorf("scan output lacks SSID vmedium at -47.00 dBm:\n%s", out)
		}
		return nil
	})
	r0, _ := m.Radio("vw0")
	vw0 := r0.Addr().String()
	eventually(t, 5*time.Second, "iw dev vw1 link", func() error {
		out := mustNS(t, "ns1", "iw", "dev", "vw1", "link")
		for _, want := range []string{"Connected to " + vw0, "SSID: vmedium", "signal: -47 dBm"} {
			if !strings.Contains(out, want) {
				return fmt.Errorf("lacks %q:\n%s", want, out)
			}
		}
		return nil
	})
	eventually(t, 5*time.Second, "iw dev vw0 station dump lists both stations", func() error {
		out := mustNS(t, "ns0", "iw", "dev", "vw0", "station", "dump")
		for _, r := range []string{"vw1", "vw2"} {
			rad, _ := l.Medium().Radio(r)
			if !strings.Contains(out, "Station "+rad.Addr().String()) {
				return fmt.Errorf("lacks %s:\n%s", r, out)
			}
		}
		return nil
	})

	// Item 3: pings in every direction.
	pingOK(t, "ns1", "10.0.0.3") // STA→STA, relayed by the Go AP
	pingOK(t, "ns1", "10.0.0.1") // STA→AP
	pingOK(t, "ns0", "10.0.0.2") // AP→STA
	pingOK(t, "ns2", "10.0.0.2")

	// Deny / allow / clear.
	if _, err := m.Deny("vw0", "vw1"); err != nil {
		t.Fatal(err)
	}
	if out, err := inNS(t, "ns1", "ping", "-c", "2", "-i", "0.2", "-W", "1", "10.0.0.1"); err == nil {
		t.Errorf("ping vw1→vw0 succeeded while vw0→vw1 is denied:\n%s", out)
	}
	if _, err := m.Allow("vw0", "vw1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "vw1 associated again after allow", func() error {
		out := mustNS(t, "ns1", "iw", "dev", "vw1", "link")
		if !strings.Contains(out, "Connected to") {
			return fmt.Errorf("%s", out)
		}
		_, err := inNS(t, "ns1", "ping", "-c", "1", "-W", "1", "10.0.0.1")
		return err
	})
	m.Deny("vw1", "vw2")
	if n := m.ClearDeny(); n != 1 {
		t.Errorf("ClearDeny removed %d pairs, want 1", n)
	}
	pingOK(t, "ns1", "10.0.0.3")

	// Item 4: signal changes reach iw link and station dump within 1 s.
	sig = -63
	if err := m.SetLink("vw0", "vw1", &sig, nil); err != nil {
		t.Fatal(err)
	}
	sig2 := -58.0
	if err := m.SetLink("vw1", "vw0", &sig2, nil); err != nil {
		t.Fatal(err)
	}
	d := eventually(t, time.Second, "iw dev vw1 link shows -63 dBm", func() error {
		if out := mustNS(t, "ns1", "iw", "dev", "vw1", "link"); !strings.Contains(out, "signal: -63 dBm") {
			return fmt.Errorf("%s", out)
		}
		return nil
	})
	fmt.Printf("VM-METRIC kmod_signal_to_iw_link=%d ms\n", d.Milliseconds())
	// The AP's view needs a frame from vw1 at the new signal.
	inNS(t, "ns1", "ping", "-c", "1", "-W", "1", "10.0.0.1")
	d = eventually(t, time.Second, "vw0 station dump shows vw1 at -58 dBm", func() error {
		rad, _ := l.Medium().Radio("vw1")
		out := mustNS(t, "ns0", "iw", "dev", "vw0", "station", "get", rad.Addr().String())
		if !strings.Contains(out, "-58 dBm") {
			return fmt.Errorf("%s", out)
		}
		return nil
	})
	fmt.Printf("VM-METRIC kmod_signal_to_station_dump=%d ms\n", d.Milliseconds())
	// Throughput STA→STA through the Go AP (a measurement, not a pass
	// criterion: TCG speed varies with the host's load).
	if _, err := exec.LookPath("iperf3"); err == nil {
		mustNS(t, "ns2", "iperf3", "-s", "-1", "-D", "-B", "10.0.0.3")
		time.Sleep(500 * time.Millisecond)
		out, err := inNS(t, "ns1", "iperf3", "-c", "10.0.0.3", "-t", "5", "-f", "m")
		if err != nil {
			t.Errorf("iperf3: %v\n%s", err, out)
		} else if mm := regexp.MustCompile(`([0-9.]+) Mbits/sec.*receiver`).FindStringSubmatch(out); len(mm) == 2 {
			fmt.Printf("VM-METRIC kmod_iperf3_sta_to_sta=%s Mbit/s\n", mm[1])
		}
	}
	t.Logf("backend counters: %v", b.Counters())
}

// physHome moves every vw_phy back to init_net when a test ends, so the next
// lab finds them (lab.Up moves them from init_net).
func physHome(t *testing.T) {
	t.Cleanup(func() {
		for i, ns := range []string{"ns0", "ns1", "ns2"} {
			inNS(t, ns, "iw", "phy", fmt.Sprintf("vw_phy%d", i), "set", "netns", "1")
		}
	})
}

func carrier(t *testing.T, ns, ifc string) string {
	out, _ := inNS(t, ns, "cat", "/sys/class/net/"+ifc+"/carrier")
	return strings.TrimSpace(out)
}

// TestRootVMRestart: the medium goes away (its socket
// closes, as when vmedium is killed): every carrier drops and the kernel
// stays quiet; a new medium registers: the AP comes back and the stations
// re-associate by themselves, and traffic flows again.
func TestRootVMRestart(t *testing.T) {
	needModule(t)
	physHome(t)
	m := medium.New(medium.Options{Seed: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, lab.DefaultConfig(), lab.Options{Medium: m, Backend: lab.BackendKmod, StateDir: t.TempDir(),
		Progress: os.Stdout, ReuseNetns: os.Getenv("VMEDIUM_REUSE_NETNS") == "1"})
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	defer l.Close()
	b, _ := l.Kmod()
	pingOK(t, "ns1", "10.0.0.3")

	b.Close() // what the kernel sees when vmedium dies
	for i, ns := range []string{"ns0", "ns1", "ns2"} {
		ifc := fmt.Sprintf("vw%d", i)
		eventually(t, time.Second, ifc+" carrier off", func() error {
			if c := carrier(t, ns, ifc); c != "0" {
				return fmt.Errorf("carrier %q", c)
			}
			return nil
		})
	}
	if out, err := inNS(t, "ns1", "ping", "-c", "1", "-W", "1", "10.0.0.1"); err == nil {
		t.Errorf("ping works with no medium:\n%s", out)
	}

	c, err := kmod.Dial()
	if err != nil {
		t.Fatal(err)
	}
	m2 := medium.New(medium.Options{Seed: 3})
	b2, err := kmod.New(m2, c, kmod.Options{})
	if err != nil {
		t.Fatalf("second medium: %v", err)
	}
	defer b2.Close()
	t.Cleanup(func() {
		if t.Failed() {
			j, _ := json.MarshalIndent(m2.Radios(), "", " ")
			t.Logf("second medium's radios: %s\ncounters %v", j, b2.Counters())
		}
	})
	rctx, rcancel := context.WithCancel(context.Background())
	defer rcancel()
	go b2.Run(rctx)
	start := time.Now()
	for i, ns := range []string{"ns0", "ns1", "ns2"} {
		ifc := fmt.Sprintf("vw%d", i)
		eventually(t, 15*time.Second, ifc+" carrier back on", func() error {
			if c := carrier(t, ns, ifc); c != "1" {
				return fmt.Errorf("carrier %q", c)
			}
			return nil
		})
	}
	fmt.Printf("VM-METRIC kmod_restart_carriers_back=%d ms\n", time.Since(start).Milliseconds())
	if out := mustNS(t, "ns1", "iw", "dev", "vw1", "link"); !strings.Contains(out, "Connected to") {
		t.Errorf("vw1 not connected after restart:\n%s", out)
	}
	eventually(t, 10*time.Second, "ping after restart", func() error {
		_, err := inNS(t, "ns1", "ping", "-c", "1", "-W", "1", "10.0.0.3")
		return err
	})
	pingOK(t, "ns2", "10.0.0.1")
	pingOK(t, "ns0", "10.0.0.2")
}

// TestRootVMWpaSupplicant: wpa_supplicant (nl80211
// driver, open network) connects a vmedium.ko station.
func TestRootVMWpaSupplicant(t *testing.T) {
	needModule(t)
	if _, err := exec.LookPath("wpa_supplicant"); err != nil {
		t.Skip("needs wpa_supplicant")
	}
	physHome(t)
	m := medium.New(medium.Options{Seed: 4})
	cfg := lab.DefaultConfig()
	cfg.Radios = cfg.Radios[:2] // vw0 AP, vw1 iw-connected station; vw2 is ours
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l, err := lab.Up(ctx, cfg, lab.Options{Medium: m, Backend: lab.BackendKmod, StateDir: t.TempDir(),
		Progress: os.Stdout, ReuseNetns: os.Getenv("VMEDIUM_REUSE_NETNS") == "1"})
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	defer l.Close()
	if out, err := exec.Command("iw", "phy", "vw_phy2", "set", "netns", "name", "ns2").CombinedOutput(); err != nil {
		t.Fatalf("move vw_phy2: %v: %s", err, out)
	}
	mustNS(t, "ns2", "ip", "addr", "add", "10.0.0.3/24", "dev", "vw2")
	mustNS(t, "ns2", "ip", "link", "set", "vw2", "up")
	dir := t.TempDir()
	conf := dir + "/wpa.conf"
	if err := os.WriteFile(conf, []byte("ctrl_interface="+dir+"/ctrl\nnetwork={\n\tssid=\"vmedium\"\n\tkey_mgmt=NONE\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustNS(t, "ns2", "wpa_supplicant", "-B", "-D", "nl80211", "-i", "vw2", "-c", conf, "-f", dir+"/wpa.log", "-P", dir+"/wpa.pid")
	defer func() {
		if pid, err := os.ReadFile(dir + "/wpa.pid"); err == nil {
			exec.Command("kill", strings.TrimSpace(string(pid))).Run()
		}
		if log, err := os.ReadFile(dir + "/wpa.log"); err == nil && t.Failed() {
			t.Logf("wpa_supplicant log:\n%s", log)
		}
	}()
	start := time.Now()
	eventually(t, 30*time.Second, "wpa_state=COMPLETED", func() error {
		out, err := inNS(t, "ns2", "wpa_cli", "-p", dir+"/ctrl", "-i", "vw2", "status")
		if err != nil || !strings.Contains(out, "wpa_state=COMPLETED") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	fmt.Printf("VM-METRIC kmod_wpa_completed=%d ms\n", time.Since(start).Milliseconds())
	pingOK(t, "ns2", "10.0.0.1")
	pingOK(t, "ns2", "10.0.0.2")
}

func sh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func waitLink(t *testing.T, ns, ifc string, bssid frames.MAC) {
	t.Helper()
	eventually(t, 20*time.Second, ifc+" connected to "+bssid.String(), func() error {
		out, _ := inNS(t, ns, "iw", "dev", ifc, "link")
		if !strings.Contains(out, "Connected to "+bssid.String()) {
			return fmt.Errorf("%s", out)
		}
		return nil
	})
}

// TestRootVMThreeKinds: one medium, three kinds of radio. A
// vmedium.ko station associates with a userspace AP on a TAP radio, then
// with hostapd on a mac80211_hwsim radio (open networks), and pings
// through each.
func TestRootVMThreeKinds(t *testing.T) {
	needModule(t)
	if _, err := exec.LookPath("hostapd"); err != nil {
		t.Skip("needs hostapd")
	}
	t.Cleanup(func() { inNS(t, "ns1", "iw", "phy", "vw_phy1", "set", "netns", "1") })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := medium.New(medium.Options{Seed: 5})
	c, err := kmod.Dial()
	if err != nil {
		t.Fatal(err)
	}
	b, err := kmod.New(m, c, kmod.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	go b.Run(ctx)
	for _, ns := range []string{"nsT", "nsH"} {
		sh(t, "ip", "netns", "add", ns)
		defer exec.Command("ip", "netns", "del", ns).Run()
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	}
	sh(t, "iw", "phy", "vw_phy1", "set", "netns", "name", "ns1")
	mustNS(t, "ns1", "ip", "link", "set", "vw1", "up")
	mustNS(t, "ns1", "ip", "addr", "add", "10.0.1.2/24", "dev", "vw1")
	mustNS(t, "ns1", "ip", "addr", "add", "10.0.2.2/24", "dev", "vw1")

	// A userspace AP on a TAP radio, channel 11.
	apMAC := frames.MAC{2, 0, 0, 0, 0x10, 0}
	dev, err := tap.Open(tap.Config{Name: "tapap", Netns: "nsT", MAC: apMAC,
		Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.1.1/24")}})
	if errors.Is(err, unix.EPROTONOSUPPORT) {
		// medium/netnsutil's handles open the XFRM and NETFILTER netlink
		// families too; the guest lacks them unless shipped.
		t.Skipf("TAP radio cannot be configured in a namespace here (%v): load xfrm_user and nfnetlink (VMEDIUM_VM_MODULES=\"xfrm_user nfnetlink\")", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	a, err := ap.New(ap.Config{SSID: "tapnet", Channel: 11, Addr: apMAC}, dev)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := m.AddRadio(medium.RadioConfig{Name: "tapap", Kind: medium.KindTap, Addr: apMAC, FreqMHz: 2462}, a)
	if err != nil {
		t.Fatal(err)
	}
	a.Attach(tr)
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	dev.Serve(a)
	mustNS(t, "ns1", "iw", "dev", "vw1", "connect", "tapnet")
	waitLink(t, "ns1", "vw1", apMAC)
	pingOK(t, "ns1", "10.0.1.1")
	pingOK(t, "nsT", "10.0.1.2")

	// hostapd on a mac80211_hwsim radio, channel 1.
	if !hwsimLoaded() {
		sh(t, "modprobe", "mac80211_hwsim", "radios=0")
	}
	hb, err := hwsim.Open(m, hwsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	hb.Start(ctx)
	cr, err := hb.CreateRadio("vmedium-hwap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hb.Attach(cr.ID, "hwap", cr.HwAddr, cr.Vif); err != nil {
		t.Fatal(err)
	}
	var ifc string
	eventually(t, 5*time.Second, "hwsim interface", func() error {
		ents, err := os.ReadDir("/sys/class/ieee80211/" + cr.Wiphy + "/device/net")
		if err != nil || len(ents) == 0 {
			return fmt.Errorf("no interface yet: %v", err)
		}
		ifc = ents[0].Name()
		return nil
	})
	sh(t, "iw", "phy", cr.Wiphy, "set", "netns", "name", "nsH")
	mustNS(t, "nsH", "ip", "addr", "add", "10.0.2.1/24", "dev", ifc)
	dir := t.TempDir()
	conf := fmt.Sprintf("interface=%s\ndriver=nl80211\nctrl_interface=%s/ctrl\nssid=hwnet\nhw_mode=g\nchannel=1\n", ifc, dir)
	if err := os.WriteFile(dir+"/hostapd.conf", []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	mustNS(t, "nsH", "hostapd", "-B", "-P", dir+"/hostapd.pid", "-f", dir+"/hostapd.log", dir+"/hostapd.conf")
	defer func() {
		if pid, err := os.ReadFile(dir + "/hostapd.pid"); err == nil {
			exec.Command("kill", strings.TrimSpace(string(pid))).Run()
		}
		if log, err := os.ReadFile(dir + "/hostapd.log"); err == nil && t.Failed() {
			t.Logf("hostapd log:\n%s", log)
		}
	}()
	eventually(t, 15*time.Second, "hostapd enabled", func() error {
		out, err := inNS(t, "nsH", "hostapd_cli", "-p", dir+"/ctrl", "-i", ifc, "status")
		if err != nil || !strings.Contains(out, "state=ENABLED") {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	mustNS(t, "ns1", "iw", "dev", "vw1", "disconnect")
	mustNS(t, "ns1", "iw", "dev", "vw1", "connect", "hwnet")
	waitLink(t, "ns1", "vw1", cr.Vif)
	pingOK(t, "ns1", "10.0.2.1")
	pingOK(t, "nsH", "10.0.2.2")
	if n := m.KindCounts(); n[medium.KindKmod] == 0 || n[medium.KindTap] != 1 || n[medium.KindHwsim] != 1 {
		t.Errorf("kinds on the medium: %v", n)
	}
}

func hwsimLoaded() bool {
	_, err := os.Stat("/sys/module/mac80211_hwsim")
	return err == nil
}

// TestRootVMExtendedAck: the module's explanation of a refusal reaches the
// caller, for a control command (in the returned error) and for an
// injection (counted, kept as LastInjectError). Radio 99 does not exist;
// the module refuses it as "no such radio index", or with "no medium
// registered" before even looking when no medium is registered.
func TestRootVMExtendedAck(t *testing.T) {
	needModule(t)
	c, err := kmod.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := regexp.MustCompile(`^kmod: SCAN_DONE: vmedium\.ko: (no such radio index|no medium registered): `)
	if err := c.ScanDone(99, false); err == nil || !msg.MatchString(err.Error()) {
		t.Errorf("SCAN_DONE for radio 99: %v, want the module's message (%s)", err, msg)
	}
	if err := c.Inject(99, make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "the module's refusal of an injection", func() error {
		if c.InjectErrors() == 0 {
			return errors.New("no refusal counted")
		}
		return nil
	})
	inj := regexp.MustCompile(`^vmedium\.ko: (no such radio index|no medium registered): `)
	if err := c.LastInjectError(); err == nil || !inj.MatchString(err.Error()) {
		t.Errorf("last injection refusal: %v, want the module's message (%s)", err, inj)
	}
}
