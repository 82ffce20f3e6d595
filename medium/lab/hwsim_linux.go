package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hostap"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/netnsutil"
	"github.com/vmedium/vmedium/medium/nl80211"
)

func init() { backends[BackendHwsim] = upHwsim }

// Hwsim returns the lab's mac80211_hwsim backend (for its metrics
// collector, hwsim.NewCollector), if the lab runs on hwsim.
func (l *Lab) Hwsim() (*hwsim.Backend, bool) {
	b, ok := l.handle(BackendHwsim)
	if !ok {
		return nil, false
	}
	return b.(*hwsim.Backend), true
}

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
	if err := hostap.ValidatePassphrase(cfg.Passphrase); err != nil {
		return fmt.Errorf("lab config: %w", err)
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
	l.setHandle(BackendHwsim, b)

	runDir := filepath.Join(opt.StateDir, hwsimRunDir)
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
	wiphy := "vmedium-" + rc.Name
	if err := l.RecordRadio(BackendHwsim, wiphy); err != nil {
		return err
	}
	cr, err := b.CreateRadio(wiphy)
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
	if _, err := setupInterface(rc, net.HardwareAddr(cr.Vif[:])); err != nil {
		return err
	}
	ip := "no address"
	if p, ok := rc.Prefix(); ok {
		ip = p.String()
	}
	node := &Node{Config: rc, Index: i, Radio: radio}
	var d *labDaemon
	switch rc.Role {
	case RoleAP:
		d, err = startHostapd(l, rc, cfg.Passphrase, runDir)
		if d != nil {
			node.Status = d.apStatus
		}
	case RoleSTA:
		d, err = startWpa(l, rc, cfg.Passphrase, runDir)
		if d != nil {
			node.Status, node.Wait = d.staStatus, d.waitCompleted
		}
	default:
		err = fmt.Errorf("invalid role %q", rc.Role)
	}
	if err != nil {
		return err
	}
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
// namespace) to the node's name while it is down, adds its address, and
// returns its index.
func setupInterface(rc RadioConfig, mac net.HardwareAddr) (int, error) {
	h, err := netnsutil.Handle(rc.Netns)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	var link netlink.Link
	for start := time.Now(); link == nil && time.Since(start) < 2*time.Second; time.Sleep(20 * time.Millisecond) {
		links, err := h.LinkList()
		if err != nil {
			return 0, fmt.Errorf("list interfaces in %s: %w", rc.Netns, err)
		}
		for _, ln := range links {
			if a := ln.Attrs(); a.HardwareAddr.String() == mac.String() && a.EncapType == "ether" {
				link = ln
			}
		}
	}
	if link == nil {
		return 0, fmt.Errorf("no interface with address %s appeared in %s", mac, rc.Netns)
	}
	if err := h.LinkSetDown(link); err != nil {
		return 0, fmt.Errorf("set %s down: %w", link.Attrs().Name, err)
	}
	if err := h.LinkSetName(link, rc.Name); err != nil {
		return 0, fmt.Errorf("rename %s to %s in %s: %w", link.Attrs().Name, rc.Name, rc.Netns, err)
	}
	if p, ok := rc.Prefix(); ok {
		addr, err := netlink.ParseAddr(p.String())
		if err != nil {
			return 0, err
		}
		if err := h.AddrAdd(link, addr); err != nil {
			return 0, fmt.Errorf("add %s to %s: %w", p, rc.Name, err)
		}
	}
	return link.Attrs().Index, nil
}

// hwsimRunDir is the directory in the state directory that holds the
// daemons' configurations, logs and control sockets.
const hwsimRunDir = "hwsim"

// hostapdEnableTimeout bounds how long an AP may take to come up: about
// 2 s in an emulated guest, several times that when its host is loaded.
const hostapdEnableTimeout = 20 * time.Second

// daemonStopTimeout bounds a daemon's orderly exit at Close.
const daemonStopTimeout = 3 * time.Second

// labDaemon is the hostapd or wpa_supplicant of one node.
type labDaemon struct {
	*hostap.Daemon
	ctrl hostap.Client
}

// startDaemon writes conf and starts bin for node rc in its namespace,
// restarted if it dies, each process recorded in lab.json as soon as it
// runs.
func startDaemon(l *Lab, rc RadioConfig, runDir, bin string, conf []byte, ctrlDir string, args ...string) (*labDaemon, error) {
	confPath := filepath.Join(runDir, rc.Name+"-"+bin+".conf")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", confPath, err)
	}
	ctrl := filepath.Join(ctrlDir, rc.Name)
	// A socket left by a process that is gone would only be refused
	// (the daemon removes it itself when nothing answers); a live one
	// has been killed by the stale cleanup before.
	name := bin + " " + rc.Name
	d, err := hostap.Start(hostap.DaemonConfig{
		Name: name, Netns: rc.Netns, Bin: bin, Args: append(args, confPath),
		Log: filepath.Join(runDir, rc.Name+"-"+bin+".log"), Restart: true, Logger: l.log,
		OnStart: func(p hostap.Process) {
			if err := l.RecordProcess(name, ctrl, p); err != nil {
				l.log.Error("record daemon in lab state", "daemon", name, "err", err)
			}
		},
	})
	if err != nil {
		return nil, err
	}
	l.OnClose(func() error { return d.Stop(daemonStopTimeout) })
	return &labDaemon{Daemon: d, ctrl: hostap.Client{Path: ctrl, LocalDir: runDir}}, nil
}

func startHostapd(l *Lab, rc RadioConfig, pass, runDir string) (*labDaemon, error) {
	ctrlDir := filepath.Join(runDir, "hostapd")
	conf, err := hostap.APConfig{Interface: rc.Name, CtrlDir: ctrlDir, SSID: rc.SSID, Channel: rc.Channel, Passphrase: pass}.Render()
	if err != nil {
		return nil, err
	}
	d, err := startDaemon(l, rc, runDir, "hostapd", conf, ctrlDir)
	if err != nil {
		return nil, err
	}
	// Wait until the AP is enabled (its control socket answers STATUS).
	var last hostap.KV
	var lastErr error
	ctx, cancel := context.WithTimeout(l.Context(), hostapdEnableTimeout)
	defer cancel()
	err = d.Wait(ctx, 100*time.Millisecond, func() bool {
		last, lastErr = d.ctrl.Status()
		return lastErr == nil && last["state"] == "ENABLED"
	})
	if err != nil {
		if lastErr != nil {
			err = fmt.Errorf("%w (last STATUS: %v)", err, lastErr)
		}
		return nil, fmt.Errorf("hostapd did not enable %s within %v (state %q): %w; see %s", rc.Name, hostapdEnableTimeout, last["state"], err,
			filepath.Join(runDir, rc.Name+"-hostapd.log"))
	}
	return d, nil
}

func startWpa(l *Lab, rc RadioConfig, pass, runDir string) (*labDaemon, error) {
	ctrlDir := filepath.Join(runDir, "wpa-"+rc.Name)
	conf, err := hostap.STAConfig{CtrlDir: ctrlDir, SSID: rc.SSID, Passphrase: pass, FreqMHz: int(rc.FreqMHz())}.Render()
	if err != nil {
		return nil, err
	}
	return startDaemon(l, rc, runDir, "wpa_supplicant", conf, ctrlDir, "-i", rc.Name, "-D", "nl80211", "-c")
}

func (d *labDaemon) waitCompleted(ctx context.Context) error {
	return d.Wait(ctx, 100*time.Millisecond, func() bool {
		st, err := d.ctrl.Status()
		return err == nil && st["wpa_state"] == "COMPLETED"
	})
}

// freqOf is a STATUS frequency in MHz (0 when absent or not a number).
func freqOf(kv hostap.KV, key string) uint32 {
	v, ok := kv.Int(key)
	if !ok || v < 0 {
		return 0
	}
	return uint32(v)
}

func (d *labDaemon) staStatus() medium.MACStatus {
	st, err := d.ctrl.Status()
	if err != nil {
		return medium.MACStatus{Role: "sta", State: "unknown"}
	}
	state := strings.ToLower(st["wpa_state"])
	if state == "completed" {
		state = "associated"
	}
	ms := medium.MACStatus{Role: "sta", State: state, SSID: st["ssid"], BSSID: st["bssid"], FreqMHz: freqOf(st, "freq")}
	if state == "associated" {
		// SIGNAL_POLL: the signal of the AP's last frames as mac80211
		// saw it (what `iw dev vw1 link` prints), i.e. the link's.
		if sp, err := d.ctrl.SignalPoll(); err == nil {
			if v, ok := sp.Int("RSSI"); ok {
				sig := int32(v)
				ms.SignalDBm = &sig
			}
		}
	}
	return ms
}

func (d *labDaemon) apStatus() medium.MACStatus {
	st, err := d.ctrl.Status()
	if err != nil {
		return medium.MACStatus{Role: "ap", State: "unknown"}
	}
	ms := medium.MACStatus{Role: "ap", State: strings.ToLower(st["state"]), SSID: st["ssid[0]"], BSSID: st["bssid[0]"], FreqMHz: freqOf(st, "freq")}
	// Associated stations, from hostapd's STA-FIRST / STA-NEXT walk.
	sts, _ := d.ctrl.Stations()
	for _, s := range sts {
		if s.Associated() {
			ms.Stations = append(ms.Stations, s.Addr.String())
		}
	}
	return ms
}
