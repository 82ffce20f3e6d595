// SPDX-License-Identifier: MIT

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

	"github.com/vmedium/vmedium/medium/hostap"
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
	l.AddBackend(newHwsimLabBackend(l, b))

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
	if rc.RTSThreshold != nil {
		return fmt.Errorf("radio %s: rts_threshold is for radios with a Go or vmedium.ko MAC (tap, vmnic, kmod): a hwsim radio's kernel decides (iw phy PHY set rts N in its namespace)", rc.Name)
	}
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
		d, err = startHostapd(l, rc, cfg.RadioPassphrase(i), runDir)
		if d != nil {
			node.Status = d.apStatus
		}
	case RoleSTA:
		d, err = startWpa(l, rc, cfg.RadioPassphrase(i), runDir)
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
