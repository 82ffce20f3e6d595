// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/kmod"
	"github.com/vmedium/vmedium/medium/netnsutil"
	"github.com/vmedium/vmedium/medium/nl80211"
)

// kmodBeaconInterval is the beacon interval (TU) the kmod lab's APs are
// started with; the module hands it to the Go AP, which sends the beacons.
const kmodBeaconInterval = 100

// upKmod builds the lab on vmedium.ko's interfaces: vmedium registers as the
// module's medium (its interfaces become kmod radios driven by the Go
// sta/ap), each configured node takes the module interface of the same
// name (vw0, vw1, …), whose wiphy moves into the node's namespace; APs are
// started and stations connected through nl80211 (START_AP, CONNECT) in the
// node's namespace, as `iw` would, so cfg80211 state is the real one.
func upKmod(ctx context.Context, l *Lab, cfg *Config, opt Options) error {
	c, err := kmod.Dial()
	if err != nil {
		return fmt.Errorf("%w: build and load it (make -C kmod && insmod kmod/vmedium.ko)", err)
	}
	b, err := kmod.New(l.m, c, kmod.Options{Logger: l.log})
	if err != nil {
		c.Close()
		return err
	}
	l.OnClose(b.Close) // runs last: unregisters, every carrier drops
	l.AddBackend(newKmodLabBackend(l, b))
	go func() {
		if err := b.Run(l.Context()); err != nil && l.Context().Err() == nil {
			l.log.Error("kmod medium stopped", "err", err)
		}
	}()

	byName := map[string]*medium.Radio{}
	var names []string
	for _, r := range b.Radios() {
		byName[r.Name()] = r
		names = append(names, r.Name())
	}
	for _, i := range cfg.APsFirst() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc := cfg.Radios[i]
		r, ok := byName[rc.Name]
		if !ok {
			return fmt.Errorf("radio %s: vmedium.ko has no interface of that name (it has %s; load it with radios=N for more)",
				rc.Name, strings.Join(names, ", "))
		}
		if err := upKmodRadio(l, b, rc, i, r); err != nil {
			return fmt.Errorf("radio %s: %w", rc.Name, err)
		}
	}
	return nil
}

func upKmodRadio(l *Lab, b *kmod.Backend, rc RadioConfig, i int, r *medium.Radio) error {
	if rc.RTSThreshold != nil {
		if err := r.SetRTSThreshold(*rc.RTSThreshold); err != nil {
			return err
		}
	}
	if rc.Position != nil {
		if err := l.m.SetPosition(rc.Name, *rc.Position); err != nil {
			return err
		}
	}
	phy, err := kmodPhy(rc.Name)
	if err != nil {
		return err
	}
	if err := moveWiphyHome(l, phy, filepath.Join(netnsutil.Dir, rc.Netns)); err != nil {
		return err
	}
	// The module's radios go back to init_net when the namespace is
	// deleted (they are NETNS_OK wiphys); nothing else to undo.
	hw := r.Addr()
	ifindex, err := setupInterface(rc, hw[:])
	if err != nil {
		return err
	}
	nsPath := filepath.Join(netnsutil.Dir, rc.Netns)
	ifUp := func() error {
		h, err := netnsutil.Handle(rc.Netns)
		if err != nil {
			return err
		}
		defer h.Close()
		link, err := h.LinkByIndex(ifindex)
		if err != nil {
			return fmt.Errorf("find %s in %s: %w", rc.Name, rc.Netns, err)
		}
		if err := h.LinkSetUp(link); err != nil {
			return fmt.Errorf("set %s up in %s: %w", rc.Name, rc.Netns, err)
		}
		return nil
	}
	freq, err := ChannelFreq(rc.Channel)
	if err != nil {
		return err
	}
	node := &Node{Config: rc, Index: i, Radio: r}
	if sr, ok := r.Port().(medium.StatusReporter); ok {
		node.Status = sr.MACStatus
	}
	switch rc.Role {
	case RoleAP:
		if err := nl80211.SetInterfaceType(nsPath, ifindex, nl80211.IftypeAP); err != nil {
			return err
		}
		if err := ifUp(); err != nil {
			return err
		}
		err := nl80211.StartAP(nsPath, ifindex, nl80211.APConfig{
			SSID: rc.SSID, FreqMHz: freq, BeaconInterval: kmodBeaconInterval, DTIMPeriod: 2,
			BeaconHead: frames.AppendBeaconHead(nil, r.Addr(), kmodBeaconInterval, frames.CapESS, rc.SSID),
		})
		if err != nil {
			return err
		}
	case RoleSTA:
		if err := nl80211.SetInterfaceType(nsPath, ifindex, nl80211.IftypeStation); err != nil {
			return err
		}
		if err := ifUp(); err != nil {
			return err
		}
		connect := func() error { return nl80211.Connect(nsPath, ifindex, rc.SSID, freq) }
		if err := connect(); err != nil {
			return err
		}
		state := func() string {
			if sr, ok := r.Port().(medium.StatusReporter); ok {
				return sr.MACStatus().State
			}
			return ""
		}
		// cfg80211 does not retry a failed or lost connection (a
		// supplicant does): the lab plays that part and connects
		// again whenever the station has gone idle, so a deny/allow
		// or a lost AP heals as with the other radio kinds.
		go func() {
			ctx := l.Context()
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				if state() == "idle" {
					if err := connect(); err != nil {
						l.log.Debug("kmod reconnect", "radio", rc.Name, "err", err)
					}
				}
			}
		}()
		node.Wait = func(ctx context.Context) error {
			for state() != "associated" {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
			return nil
		}
	default:
		return fmt.Errorf("invalid role %q", rc.Role)
	}
	node.Host = b
	l.AddNode(node)
	ip := "no address"
	if p, ok := rc.Prefix(); ok {
		ip = p.String()
	}
	l.Progressf("%s: %s on vmedium.ko interface (%s) in %s, %s, channel %d, SSID %q", rc.Name, rc.Role, r.Addr(), rc.Netns, ip, rc.Channel, rc.SSID)
	return nil
}

// WiphyReturnTimeout bounds how long the kmod lab waits for a module wiphy
// to come back to the initial namespace from a namespace that was just
// deleted (a crashed run's, removed as stale).
const WiphyReturnTimeout = 30 * time.Second

// moveWiphyHome moves wiphy phy into the namespace at nsPath. A wiphy that
// lives in a namespace being deleted (cleanStale has just removed a crashed
// run's ns1) is invisible from here until the kernel's netns cleanup work
// hands it back to init_net: that work runs asynchronously and takes
// seconds on a loaded machine. Meanwhile its sysfs entry is missing here
// (the ieee80211 class is namespace-tagged) and nl80211 answers ENODEV, so
// both are retried until WiphyReturnTimeout.
func moveWiphyHome(l *Lab, phy, nsPath string) error {
	deadline := time.Now().Add(WiphyReturnTimeout)
	said := false
	for {
		idx, err := nl80211.WiphyIndex(phy)
		if err == nil {
			err = nl80211.SetWiphyNetns(idx, nsPath)
			if err == nil {
				return nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, unix.ENODEV) {
			return fmt.Errorf("move wiphy %s to %s: %w", phy, nsPath, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wiphy %s is not in this network namespace after %v (is it in another namespace, e.g. moved there by hand? move it back or delete that namespace): %w",
				phy, WiphyReturnTimeout, err)
		}
		if !said {
			l.Progressf("waiting for %s to return from a deleted network namespace", phy)
			said = true
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kmodPhy returns the wiphy name of module interface vwN: vw_phyN.
func kmodPhy(ifname string) (string, error) {
	n, ok := strings.CutPrefix(ifname, "vw")
	if _, err := strconv.Atoi(n); !ok || err != nil {
		return "", fmt.Errorf("%q is not a vmedium.ko interface name (vw0, vw1, …)", ifname)
	}
	return "vw_phy" + n, nil
}
