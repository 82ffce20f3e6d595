// SPDX-License-Identifier: MIT

package lab

// The hwsim lab's daemons: hostapd for APs, wpa_supplicant for stations,
// run through medium/hostap and recorded in lab.json.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/hostap"
)

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
