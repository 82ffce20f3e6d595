package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/netnsutil"
	"github.com/vmedium/vmedium/medium/nl80211"
)

// upHwsim builds the lab on kernel mac80211_hwsim radios with the real
// daemons: vmedium registers as the hwsim medium, creates one radio per
// configured node (destroyed when vmedium's socket closes), moves each wiphy
// into the node's namespace, names its interface after the node, gives it
// its address, and runs hostapd for APs and wpa_supplicant for stations
// (WPA2-PSK with the config's passphrase, an open network without one), with
// configurations generated in the state directory.
func upHwsim(ctx context.Context, l *Lab, cfg *Config, opt Options) error {
	var missing []string
	for bin, pkg := range map[string]string{"hostapd": "hostapd", "wpa_supplicant": "wpasupplicant"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", bin, pkg))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("the hwsim lab runs real Wi-Fi daemons; not found: %s: install them (apt-get install hostapd wpasupplicant) or use --backend tap",
			strings.Join(missing, ", "))
	}
	if n := len(cfg.Passphrase); n != 0 && (n < 8 || n > 63) {
		return fmt.Errorf("invalid passphrase of %d characters in the lab config: WPA2-PSK accepts 8 to 63 (none: an open network)", n)
	}
	b, err := hwsim.Open(l.m, hwsim.Options{Logger: l.log})
	if err != nil {
		return err
	}
	l.OnClose(b.Close) // runs last: the kernel then destroys the radios
	done := b.Start(l.Context())
	go func() {
		if err := <-done; err != nil {
			l.log.Error("hwsim medium stopped", "err", err)
		}
	}()
	l.AddBackend(newHwsimLabBackend(l, b))

	runDir := filepath.Join(opt.StateDir, "hwsim")
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return fmt.Errorf("run directory: %w", err)
	}
	for _, i := range cfg.APsFirst() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := upHwsimRadio(l, b, cfg, i, runDir); err != nil {
			return fmt.Errorf("radio %s: %w", cfg.Radios[i].Name, err)
		}
	}
	return nil
}

func upHwsimRadio(l *Lab, b *hwsim.Backend, cfg *Config, i int, runDir string) error {
	rc := cfg.Radios[i]
	cr, err := b.CreateRadio("vmedium-" + rc.Name)
	if err != nil {
		return err
	}
	radio, err := b.Attach(cr.ID, rc.Name, cr.HwAddr, cr.Vif)
	if err != nil {
		return err
	}
	l.OnClose(func() error { b.Detach(cr.ID); return nil })
	if rc.Position != nil {
		if err := l.m.SetPosition(rc.Name, *rc.Position); err != nil {
			return err
		}
	}
	idx, err := waitWiphy(cr.Wiphy)
	if err != nil {
		return err
	}
	if err := nl80211.SetWiphyNetns(idx, filepath.Join(netnsutil.Dir, rc.Netns)); err != nil {
		return err
	}
	if err := setupInterface(rc, net.HardwareAddr(cr.Vif[:])); err != nil {
		return err
	}
	ip := "no address"
	if p, ok := rc.Prefix(); ok {
		ip = p.String()
	}
	node := &Node{Config: rc, Index: i, Radio: radio}
	d := &daemon{name: rc.Name, ns: rc.Netns, dir: runDir}
	switch rc.Role {
	case RoleAP:
		err = d.startHostapd(rc, cfg.RadioPassphrase(i))
		node.Status = d.apStatus
	case RoleSTA:
		err = d.startWpa(rc, cfg.RadioPassphrase(i))
		node.Status = d.staStatus
		node.Wait = d.waitCompleted
	default:
		err = fmt.Errorf("invalid role %q", rc.Role)
	}
	if err != nil {
		return err
	}
	l.OnClose(d.stop)
	node.Host = d
	l.AddNode(node)
	l.Progressf("%s: %s on hwsim radio %d (%s) in %s, %s, channel %d, SSID %q", rc.Name, rc.Role, cr.ID, cr.Vif, rc.Netns, ip, rc.Channel, rc.SSID)
	return nil
}

// waitWiphy returns the index of the new wiphy (its sysfs entry appears
// with the radio).
func waitWiphy(name string) (int, error) {
	var err error
	for start := time.Now(); time.Since(start) < 2*time.Second; time.Sleep(20 * time.Millisecond) {
		var idx int
		if idx, err = nl80211.WiphyIndex(name); err == nil {
			return idx, nil
		}
	}
	return 0, err
}

// setupInterface renames the radio's interface (found by its MAC in the
// namespace) to the node's name while it is down, and adds its address.
func setupInterface(rc RadioConfig, mac net.HardwareAddr) error {
	// Only NETLINK_ROUTE: a handle for every family fails where xfrm_user
	// is not loaded (EPROTONOSUPPORT), as in the VM guest.
	ns, err := netns.GetFromName(rc.Netns)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", rc.Netns, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netlink handle in namespace %s: %w", rc.Netns, err)
	}
	defer h.Close()
	var link netlink.Link
	for start := time.Now(); link == nil && time.Since(start) < 2*time.Second; time.Sleep(20 * time.Millisecond) {
		links, err := h.LinkList()
		if err != nil {
			return fmt.Errorf("list interfaces in %s: %w", rc.Netns, err)
		}
		for _, ln := range links {
			if a := ln.Attrs(); a.HardwareAddr.String() == mac.String() && a.EncapType == "ether" {
				link = ln
			}
		}
	}
	if link == nil {
		return fmt.Errorf("no interface with address %s appeared in %s", mac, rc.Netns)
	}
	if err := h.LinkSetDown(link); err != nil {
		return fmt.Errorf("set %s down: %w", link.Attrs().Name, err)
	}
	if err := h.LinkSetName(link, rc.Name); err != nil {
		return fmt.Errorf("rename %s to %s in %s: %w", link.Attrs().Name, rc.Name, rc.Netns, err)
	}
	if p, ok := rc.Prefix(); ok {
		addr, err := netlink.ParseAddr(p.String())
		if err != nil {
			return err
		}
		if err := h.AddrAdd(link, addr); err != nil {
			return fmt.Errorf("add %s to %s: %w", p, rc.Name, err)
		}
	}
	return nil
}

// daemon is a hostapd or wpa_supplicant process of one node.
type daemon struct {
	name, ns, dir string
	cmd           *exec.Cmd
	ctrl          string // control socket
	exited        chan struct{}
	n             atomic.Uint64
}

func (d *daemon) start(bin string, args ...string) error {
	logf, err := os.Create(filepath.Join(d.dir, d.name+"-"+bin+".log"))
	if err != nil {
		return err
	}
	d.cmd = exec.Command(bin, args...)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	// The child inherits the namespace of the (locked) thread that forks it.
	err = netnsutil.Do(d.ns, d.cmd.Start)
	logf.Close()
	if err != nil {
		return fmt.Errorf("start %s in %s: %w", bin, d.ns, err)
	}
	d.exited = make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	return nil
}

func (d *daemon) stop() error {
	if d.cmd == nil || d.cmd.Process == nil {
		return nil
	}
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-d.exited:
	case <-time.After(3 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
	return nil
}

func (d *daemon) startHostapd(rc RadioConfig, pass string) error {
	d.ctrl = filepath.Join(d.dir, "hostapd")
	conf := fmt.Sprintf(`interface=%s
driver=nl80211
ctrl_interface=%s
ssid=%s
hw_mode=g
channel=%d
auth_algs=1
`, rc.Name, d.ctrl, rc.SSID, rc.Channel)
	if pass != "" {
		conf += fmt.Sprintf(`wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=%s
`, pass)
	}
	path := filepath.Join(d.dir, rc.Name+"-hostapd.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return err
	}
	if err := d.start("hostapd", path); err != nil {
		return err
	}
	// Wait until the AP is enabled (its control socket answers STATUS).
	var last string
	for start := time.Now(); time.Since(start) < 5*time.Second; time.Sleep(100 * time.Millisecond) {
		st, err := d.query("STATUS")
		if err == nil && strings.Contains(st, "state=ENABLED") {
			return nil
		}
		last = st
		select {
		case <-d.exited:
			return fmt.Errorf("hostapd exited; see %s", filepath.Join(d.dir, d.name+"-hostapd.log"))
		default:
		}
	}
	return fmt.Errorf("hostapd did not enable %s within 5s (%q); see %s", rc.Name, last, filepath.Join(d.dir, d.name+"-hostapd.log"))
}

func (d *daemon) startWpa(rc RadioConfig, pass string) error {
	d.ctrl = filepath.Join(d.dir, "wpa-"+rc.Name)
	freq := rc.FreqMHz()
	sec := "\tkey_mgmt=NONE\n"
	if pass != "" {
		sec = fmt.Sprintf("\tkey_mgmt=WPA-PSK\n\tproto=RSN\n\tpairwise=CCMP\n\tgroup=CCMP\n\tpsk=\"%s\"\n", pass)
	}
	conf := fmt.Sprintf(`ctrl_interface=%s
network={
	ssid="%s"
%s	scan_freq=%d
}
`, d.ctrl, rc.SSID, sec, freq)
	path := filepath.Join(d.dir, rc.Name+"-wpa_supplicant.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return err
	}
	return d.start("wpa_supplicant", "-i", rc.Name, "-D", "nl80211", "-c", path)
}

// query sends one command on the daemon's control socket (a unixgram
// socket named after the interface in its ctrl_interface directory).
func (d *daemon) query(cmd string) (string, error) {
	local := filepath.Join(os.TempDir(), fmt.Sprintf("vmedium-ctrl-%d-%s-%d", os.Getpid(), d.name, d.n.Add(1)))
	defer os.Remove(local)
	c, err := net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"},
		&net.UnixAddr{Name: filepath.Join(d.ctrl, d.name), Net: "unixgram"})
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte(cmd)); err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return "", err
		}
		if n > 0 && buf[0] == '<' {
			continue // an unsolicited event
		}
		return string(buf[:n]), nil
	}
}

func kv(status, key string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v
		}
	}
	return ""
}

// kvFreq is kv's value as a frequency in MHz (0 when absent or not a number).
func kvFreq(status, key string) uint32 {
	v, err := strconv.ParseUint(kv(status, key), 10, 32)
	if err != nil {
		return 0
	}
	return uint32(v)
}

func (d *daemon) waitCompleted(ctx context.Context) error {
	for {
		if st, err := d.query("STATUS"); err == nil && kv(st, "wpa_state") == "COMPLETED" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.exited:
			return errors.New("wpa_supplicant exited")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (d *daemon) staStatus() medium.MACStatus {
	st, err := d.query("STATUS")
	if err != nil {
		return medium.MACStatus{Role: "sta", State: "unknown"}
	}
	state := strings.ToLower(kv(st, "wpa_state"))
	if state == "completed" {
		state = "associated"
	}
	ms := medium.MACStatus{Role: "sta", State: state, SSID: kv(st, "ssid"), BSSID: kv(st, "bssid"), FreqMHz: kvFreq(st, "freq")}
	if state == "associated" {
		// SIGNAL_POLL: the signal of the AP's last frames as mac80211
		// saw it (what `iw dev vw1 link` prints), i.e. the link's.
		if sp, err := d.query("SIGNAL_POLL"); err == nil {
			if v, err := strconv.ParseInt(kv(sp, "RSSI"), 10, 32); err == nil {
				sig := int32(v)
				ms.SignalDBm = &sig
			}
		}
	}
	return ms
}

func (d *daemon) apStatus() medium.MACStatus {
	st, err := d.query("STATUS")
	if err != nil {
		return medium.MACStatus{Role: "ap", State: "unknown"}
	}
	ms := medium.MACStatus{Role: "ap", State: strings.ToLower(kv(st, "state")), SSID: kv(st, "ssid[0]"), BSSID: kv(st, "bssid[0]"), FreqMHz: kvFreq(st, "freq")}
	ms.Stations = d.stations()
	return ms
}

// stations lists the AP's associated stations (hostapd's STA-FIRST /
// STA-NEXT walk, as hostapd_cli all_sta does); each answer starts with the
// station's address, followed by its flags, which say whether it is
// associated (and, with WPA2, authorized).
func (d *daemon) stations() []string {
	var out []string
	r, err := d.query("STA-FIRST")
	for i := 0; err == nil && i < 2048; i++ {
		addr, rest, _ := strings.Cut(r, "\n")
		if _, perr := net.ParseMAC(addr); perr != nil {
			break // "FAIL" or empty: no (more) stations
		}
		if strings.Contains(kv(rest, "flags"), "[ASSOC]") {
			out = append(out, addr)
		}
		r, err = d.query("STA-NEXT " + addr)
	}
	return out
}
