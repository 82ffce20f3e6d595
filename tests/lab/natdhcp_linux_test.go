// SPDX-License-Identifier: MIT

package labtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/netnsutil"
	"github.com/vmedium/vmedium/medium/uplink"
)

// wanServer is an HTTP server in the "wan" namespace: GET / answers the
// client address it sees, GET /bulk sends bulkBytes.
type wanServer struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

const bulkBytes = 8 << 20

// port is the server's port (an ephemeral one: well-known HTTP ports may
// be redirected by the machine's own proxying).
func (w *wanServer) port() string { return fmt.Sprint(w.ln.Addr().(*net.TCPAddr).Port) }

func startWan(t *testing.T, ns string) *wanServer {
	t.Helper()
	w := &wanServer{done: make(chan struct{})}
	if err := netnsutil.Do(ns, func() (err error) { w.ln, err = net.Listen("tcp4", ":0"); return }); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(rw http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		io.WriteString(rw, host)
	})
	chunk := make([]byte, 64<<10)
	mux.HandleFunc("GET /bulk", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Length", fmt.Sprint(bulkBytes))
		for n := 0; n < bulkBytes; n += len(chunk) {
			if _, err := rw.Write(chunk); err != nil {
				return
			}
		}
	})
	w.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { defer close(w.done); w.srv.Serve(w.ln) }()
	t.Cleanup(func() { w.srv.Close(); <-w.done })
	return w
}

// httpGet fetches url from inside namespace ns. The connection is
// dialled in the namespace (the HTTP transport dials on goroutines of its
// own, which are not in it) and handed to the transport.
func httpGet(ns, host, path string) (body []byte, took time.Duration, err error) {
	start := time.Now()
	var conn net.Conn
	if err := netnsutil.Do(ns, func() (err error) { conn, err = net.DialTimeout("tcp4", host, 5*time.Second); return }); err != nil {
		return nil, 0, err
	}
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(context.Context, string, string) (net.Conn, error) { return conn, nil }}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 20 * time.Second}
	resp, err := c.Get("http://" + host + path)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	took = time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, took, err
}

var leaseLine = regexp.MustCompile(`(vw\d): (10\.0\.0\.\d+)/24 by DHCP from 10\.0\.0\.1 \(gateway 10\.0\.0\.1\) after (\S+)`)

// leasesOf waits for the daemon's DHCP lines and returns radio → address
// and radio → time to the lease.
func leasesOf(t *testing.T, d *daemon) (map[string]string, map[string]time.Duration) {
	t.Helper()
	ips, took := map[string]string{}, map[string]time.Duration{}
	waitFor(20*time.Second, func() bool {
		for _, m := range leaseLine.FindAllStringSubmatch(d.out.String(), -1) {
			ips[m[1]] = m[2]
			took[m[1]], _ = time.ParseDuration(m[3])
		}
		return len(ips) == 2 && strings.Contains(d.out.String(), "vmedium is running")
	})
	if len(ips) != 2 {
		t.Fatalf("not two DHCP leases:\n%s", d.out)
	}
	return ips, took
}

// noUplinkLeft checks, with netlink and the nftables library, that no
// vmedium table, veth or route of the uplink is left in the host, the wan
// namespace and (gone) the lab's namespaces.
func noUplinkLeft(t *testing.T, wan, prefix string, rec uplink.Record) {
	t.Helper()
	for _, ns := range []string{"", wan} {
		tabs, err := uplink.VmediumTables(ns)
		if err != nil {
			t.Fatalf("list tables in %q: %v", ns, err)
		}
		for _, tab := range tabs {
			if tab == uplink.TableName(rec.Lab) {
				t.Errorf("table inet %s left in namespace %q", tab, ns)
			}
		}
		h := hostOrNS(t, ns)
		links, err := h.LinkList()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			if n := l.Attrs().Name; n == rec.HostIf || n == rec.APIf {
				t.Errorf("veth %s left in namespace %q", n, ns)
			}
		}
		routes, err := h.RouteList(nil, netlink.FAMILY_ALL)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			if r.Dst != nil && (r.Dst.String() == "10.0.0.0/24" || rec.HostAddrs[0].Masked().String() == r.Dst.String()) {
				t.Errorf("route %v left in namespace %q", r.Dst, ns)
			}
		}
	}
	nsGone(t, prefix+"0", prefix+"1", prefix+"2")
}

// hostOrNS is an rtnetlink handle in namespace ns ("" = the test's own).
func hostOrNS(t *testing.T, ns string) *netlink.Handle {
	t.Helper()
	if ns != "" {
		return testutil.RouteHandle(t, ns)
	}
	h, err := netlink.NewHandle()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func readLabState(t *testing.T, dir string) lab.StateFile {
	t.Helper()
	st, ok, err := lab.ReadStateFile(dir)
	if err != nil || !ok {
		t.Fatalf("lab.json: ok %v, %v", ok, err)
	}
	return st
}

// TestRootNATUplinkDHCPLab: a tap lab whose AP has `uplink: {mode: nat,
// netns: WAN}` and `dhcp:`, its stations `address: dhcp`. Both stations
// get leases within 5 s of association, reach an HTTP server in the wan
// namespace, and the server sees the AP's uplink address, not 10.0.0.x.
// `vmctl leases` and `vmctl radios` list the leases and address sources.
// After stop no vmedium table, veth or route is left; a restart hands the
// stations the same addresses (leases kept in the state directory); after
// kill -9 the next run reaps the dead run's uplink, and after its stop
// nothing is left either.
func TestRootNATUplinkDHCPLab(t *testing.T) {
	needRoot(t)
	b := buildBinaries(t)
	wan := testutil.NewNetns(t, "vmnwan").Name
	srv := startWan(t, wan)
	const prefix = "vmn"
	cfgPath := filepath.Join(t.TempDir(), "laptop-nat.yaml")
	y := fmt.Sprintf(`passphrase: vmedium-lab
radios:
  - {name: vw0, role: ap,  netns: %[1]s0, ssid: vmedium, channel: 6, address: 10.0.0.1/24,
     uplink: {mode: nat, netns: %[2]s}, dhcp: {range: 10.0.0.100-10.0.0.199, lease: 1h}}
  - {name: vw1, role: sta, netns: %[1]s1, ssid: vmedium, channel: 6, address: dhcp}
  - {name: vw2, role: sta, netns: %[1]s2, ssid: vmedium, channel: 6, address: dhcp}
`, prefix, wan)
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	socket := filepath.Join(t.TempDir(), "vmedium.sock")

	// First run.
	t0 := time.Now()
	d := startVmedium(t, b, cfgPath, stateDir, socket)
	ips, took := leasesOf(t, d)
	t.Logf("vmedium run to both leases and live: %v", time.Since(t0).Round(time.Millisecond))
	for n, d := range took {
		if d > 5*time.Second {
			t.Errorf("%s: lease after %v, want within 5 s", n, d)
		}
	}
	t.Logf("leases: vw1 %s after %v, vw2 %s after %v", ips["vw1"], took["vw1"], ips["vw2"], took["vw2"])
	st := readLabState(t, stateDir)
	hint := fmt.Sprintf("sudo ip netns exec %s1 ping -c 3 %s   # through vw0's nat uplink to namespace %s", prefix, st.Uplinks[0].HostAddrs[0].Addr(), wan)
	if !strings.Contains(d.out.String(), hint) || !strings.Contains(d.out.String(), "  vmctl leases\n") {
		t.Errorf("summary without %q and vmctl leases:\n%s", hint, d.out)
	}
	if len(st.Uplinks) != 1 {
		t.Fatalf("lab.json uplinks %+v", st.Uplinks)
	}
	rec := st.Uplinks[0]
	if rec.HostNetns != wan || len(rec.Tables) != 1 || rec.Tables[0].Name != uplink.TableName("vw0") {
		t.Fatalf("uplink record %+v", rec)
	}
	uplinkIP := rec.APAddrs[0].Addr().String()
	target := net.JoinHostPort(rec.HostAddrs[0].Addr().String(), srv.port())

	// vmctl leases and radios.
	out, code := d.vmctl(b, "--json", "leases")
	var ls []control.Lease
	if code != 0 || json.Unmarshal([]byte(out), &ls) != nil || len(ls) != 2 {
		t.Fatalf("vmctl leases --json: exit %d\n%s", code, out)
	}
	for _, l := range ls {
		if ips[l.Radio] != l.IP || l.State != "bound" || time.Until(l.Expiry) < 50*time.Minute {
			t.Errorf("lease %+v, want %s's %s bound for 1h", l, l.Radio, ips[l.Radio])
		}
	}
	out, _ = d.vmctl(b, "leases")
	t.Logf("vmctl leases:\n%s", out)
	out, _ = d.vmctl(b, "--json", "radios")
	var raw []map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("radios --json: %v\n%s", err, out)
	}
	for _, r := range raw {
		want := map[string]string{"vw0": "static", "vw1": "dhcp", "vw2": "dhcp"}[fmt.Sprint(r["name"])]
		if r["addr_source"] != want {
			t.Errorf("radio %v: addr_source %v, want %s", r["name"], r["addr_source"], want)
		}
	}

	// Through the NAT to the wan server.
	for _, sta := range []string{"1", "2"} {
		body, dt, err := httpGet(prefix+sta, target, "/")
		if err != nil {
			t.Fatalf("vw%s -> %s: %v\n%s", sta, target, err, d.out)
		}
		if string(body) != uplinkIP {
			t.Errorf("wan server saw vw%s as %q, want the uplink address %s", sta, body, uplinkIP)
		}
		t.Logf("vw%s (%s) -> wan %s: seen as %s, %v", sta, ips["vw"+sta], target, body, dt.Round(time.Microsecond))
	}
	body, dt, err := httpGet(prefix+"1", target, "/bulk")
	if err != nil || len(body) != bulkBytes {
		t.Fatalf("bulk GET: %d bytes, %v", len(body), err)
	}
	t.Logf("HTTP GET of %d MiB from wan to vw1 through the air and the NAT: %v, %.1f Mbit/s", bulkBytes>>20, dt.Round(time.Millisecond), float64(bulkBytes*8)/dt.Seconds()/1e6)

	// Stop: nothing left; leases kept.
	d.stop(t, syscall.SIGTERM)
	noUplinkLeft(t, wan, prefix, rec)
	if _, ok, _ := lab.ReadStateFile(stateDir); ok {
		t.Error("lab.json left after stop")
	}
	if data, err := os.ReadFile(filepath.Join(stateDir, lab.LeasesFileName)); err != nil || strings.Count(string(data), `"mac"`) != 2 {
		t.Fatalf("leases.json after stop: %v\n%s", err, data)
	}

	// Restart: the same addresses; then kill -9.
	d = startVmedium(t, b, cfgPath, stateDir, socket)
	ips2, _ := leasesOf(t, d)
	if ips2["vw1"] != ips["vw1"] || ips2["vw2"] != ips["vw2"] {
		t.Errorf("after restart leases %v, want the same as before %v", ips2, ips)
	}
	if !strings.Contains(d.out.String(), "2 lease(s) restored") {
		t.Errorf("restart did not restore 2 leases:\n%s", d.out)
	}
	rec = readLabState(t, stateDir).Uplinks[0]
	pid := d.cmd.Process.Pid
	d.stop(t, syscall.SIGKILL)
	if _, err := testutil.RouteHandle(t, wan).LinkByName(rec.HostIf); err != nil {
		t.Fatalf("after kill -9 the uplink's veth %s should still be there to reap: %v", rec.HostIf, err)
	}

	// The next run reaps the dead run's uplink, comes up, and leaves
	// nothing after its stop.
	start := time.Now()
	d = startVmedium(t, b, cfgPath, stateDir, socket)
	ips3, _ := leasesOf(t, d)
	if !strings.Contains(d.out.String(), fmt.Sprintf("removed stale uplink vw0 (veth %s, table inet %s) left by pid %d", rec.HostIf, uplink.TableName("vw0"), pid)) {
		t.Errorf("no reap of the stale uplink in:\n%s", d.out)
	}
	if ips3["vw1"] != ips["vw1"] || ips3["vw2"] != ips["vw2"] {
		t.Errorf("after kill -9 and restart leases %v, want %v", ips3, ips)
	}
	if body, _, err := httpGet(prefix+"2", target, "/"); err != nil || string(body) != uplinkIP {
		t.Errorf("after restart vw2 -> wan: %q %v", body, err)
	}
	t.Logf("kill -9, restart (stale uplink reaped) and leases back in %v", time.Since(start).Round(time.Millisecond))
	d.stop(t, syscall.SIGTERM)
	noUplinkLeft(t, wan, prefix, rec)
	if _, ok, _ := lab.ReadStateFile(stateDir); ok {
		t.Error("lab.json left after the last stop")
	}
	// --reset forgets the leases with the rest of the runtime state.
	d = startVmedium(t, b, cfgPath, stateDir, socket, "--reset")
	leasesOf(t, d)
	if !strings.Contains(d.out.String(), "0 lease(s) restored") {
		t.Errorf("--reset: leases restored:\n%s", d.out)
	}
	d.stop(t, syscall.SIGTERM)
	noUplinkLeft(t, wan, prefix, rec)
	if t.Failed() {
		t.Logf("last run's output:\n%s", d.out)
	}
}

// TestRootRoutedUplinkLab: `uplink: {mode: routed}`: no NAT, the wan side
// routes the lab's subnet to the AP, so the server sees each station's own
// address; a static station (vw2) gets its default route via the AP too.
func TestRootRoutedUplinkLab(t *testing.T) {
	needRoot(t)
	b := buildBinaries(t)
	wan := testutil.NewNetns(t, "vmrwan").Name
	srv := startWan(t, wan)
	const prefix = "vmr"
	cfgPath := filepath.Join(t.TempDir(), "routed.yaml")
	y := fmt.Sprintf(`radios:
  - {name: vw0, role: ap,  netns: %[1]s0, ssid: vmedium, channel: 6, address: 10.0.0.1/24,
     uplink: {mode: routed, netns: %[2]s}, dhcp: {range: 10.0.0.100-10.0.0.199}}
  - {name: vw1, role: sta, netns: %[1]s1, ssid: vmedium, channel: 6, address: dhcp}
  - {name: vw2, role: sta, netns: %[1]s2, ssid: vmedium, channel: 6, address: 10.0.0.3/24}
`, prefix, wan)
	if err := os.WriteFile(cfgPath, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	stateDir := t.TempDir()
	d := startVmedium(t, b, cfgPath, stateDir, filepath.Join(t.TempDir(), "vmedium.sock"))
	var vw1 string
	if !waitFor(20*time.Second, func() bool {
		if m := leaseLine.FindStringSubmatch(d.out.String()); m != nil {
			vw1 = m[2]
		}
		return vw1 != "" && strings.Contains(d.out.String(), "vmedium is running")
	}) {
		t.Fatalf("vw1 got no lease:\n%s", d.out)
	}
	rec := readLabState(t, stateDir).Uplinks[0]
	if rec.Mode != uplink.ModeRouted || len(rec.Tables) != 0 || len(rec.Routes) != 2 || rec.Routes[1].Netns != wan || rec.Routes[1].Dst.String() != "10.0.0.0/24" {
		t.Fatalf("routed uplink record %+v", rec)
	}
	target := net.JoinHostPort(rec.HostAddrs[0].Addr().String(), srv.port())
	for sta, want := range map[string]string{"1": vw1, "2": "10.0.0.3"} {
		body, dt, err := httpGet(prefix+sta, target, "/")
		if err != nil || string(body) != want {
			t.Fatalf("vw%s -> wan %s: seen as %q (%v), want its own address %s\n%s", sta, target, body, err, want, d.out)
		}
		t.Logf("routed: vw%s -> wan seen as %s, %v", sta, body, dt.Round(time.Microsecond))
	}
	d.stop(t, syscall.SIGTERM)
	noUplinkLeft(t, wan, prefix, rec)
}

// TestRootNATDHCPLabInProcess: the same lab through lab.Up in this
// process: Leases and Addressing say what vmctl shows, and Close leaves
// no goroutine (the DHCP server, clients and the lease writer stop), no
// uplink and no lab.json, while leases.json stays.
func TestRootNATDHCPLabInProcess(t *testing.T) {
	testutil.CheckLeaks(t)
	needRoot(t)
	wan := testutil.NewNetns(t, "vmiwan").Name
	cfg := labConfig("vmi")
	cfg.Radios[0].Uplink = &lab.UplinkConfig{Mode: "nat", Netns: wan}
	cfg.Radios[0].DHCP = &lab.DHCPConfig{Range: "10.0.0.50-10.0.0.59", Lease: time.Minute}
	cfg.Radios[1].Address = lab.AddressDHCP
	r := up(t, cfg, false)
	ls := r.lab.Leases()
	if len(ls) != 1 || ls[0].Radio != "vw1" || ls[0].AP != "vw0" || ls[0].IP != "10.0.0.50" || ls[0].State != "bound" {
		t.Fatalf("leases %+v", ls)
	}
	want := []lab.Addressing{{Radio: "vw0", Source: "static", Addr: "10.0.0.1/24"}, {Radio: "vw1", Source: "dhcp", Addr: "10.0.0.50/24"}, {Radio: "vw2", Source: "static", Addr: "10.0.0.3/24"}}
	if got := r.lab.Addressing(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("addressing %+v, want %+v", got, want)
	}
	wantPing(t, "vmi1", "10.0.0.3", 3, true)
	rec := readLabState(t, r.stateDir).Uplinks[0]
	if err := r.lab.Close(); err != nil {
		t.Fatal(err)
	}
	noUplinkLeft(t, wan, "vmi", rec)
	if _, ok, _ := lab.ReadStateFile(r.stateDir); ok {
		t.Error("lab.json left after Close")
	}
	data, err := os.ReadFile(filepath.Join(r.stateDir, lab.LeasesFileName))
	if err != nil || !strings.Contains(string(data), `"ip": "10.0.0.50"`) {
		t.Errorf("leases.json after Close: %v\n%s", err, data)
	}
	os.Remove(filepath.Join(r.stateDir, lab.LeasesFileName))
}
