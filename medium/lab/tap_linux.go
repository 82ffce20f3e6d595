// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/tap"
	"github.com/vmedium/vmedium/sta"
)

// userMAC is what the tap backend needs from the userspace MACs (ap.AP,
// sta.STA): a medium port, a sender for frames from the TAP, and a lifecycle.
type userMAC interface {
	medium.Port
	tap.Sender
	Attach(*medium.Radio)
	Start(context.Context) error
	Close() error
	MACStatus() medium.MACStatus
}

var (
	_ userMAC = (*ap.AP)(nil)
	_ userMAC = (*sta.STA)(nil)
)

// upTap is the userspace backend: per radio a TAP device in its namespace
// and a Go MAC (ap or sta) on the medium. APs start first so stations find
// their beacons at once.
func upTap(ctx context.Context, l *Lab, cfg *Config, opt Options) error {
	for _, i := range cfg.APsFirst() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := upTapRadio(l, cfg, i, opt); err != nil {
			return err
		}
	}
	return nil
}

func upTapRadio(l *Lab, cfg *Config, i int, opt Options) error {
	rc := cfg.Radios[i]
	hw, err := rc.HWAddr(i)
	if err != nil {
		return err
	}
	var addrs []netip.Prefix
	if p, ok := rc.Prefix(); ok && len(cfg.LANsOf(rc.Name)) == 0 {
		addrs = append(addrs, p) // with LANs the bridge holds it (upLANs)
	}
	if err := l.RecordDevice(rc.Netns, rc.Name); err != nil {
		return err
	}
	dev, err := tap.Open(tap.Config{Name: rc.Name, Netns: rc.Netns, MAC: hw, MTU: cfg.EffectiveMTU(), Addrs: addrs})
	if err != nil {
		return err
	}
	l.OnClose(dev.Close)
	mac, node, err := upGoMAC(l, cfg, i, hw, medium.KindTap, dev)
	if err != nil {
		return err
	}
	dev.Serve(mac)
	node.Host = dev
	l.AddNode(node)
	ip := "no address"
	if len(addrs) > 0 {
		ip = addrs[0].String()
	}
	l.Progressf("%s: %s %s in %s, %s, channel %d, SSID %q, %s", rc.Name, rc.Role, hw, rc.Netns, ip, rc.Channel, rc.SSID, securityName(cfg, i))
	return l.upLANs(rc, i, cfg, opt)
}

// upGoMAC puts radio i on the medium driven by a Go MAC (ap or sta) whose
// host side is up (a TAP device, a VM's NIC) and starts the MAC. The
// caller starts feeding the MAC from its host side, completes the returned
// node (Host) and adds it.
func upGoMAC(l *Lab, cfg *Config, i int, hw frames.MAC, kind medium.Kind, up medium.Uplink) (userMAC, *Node, error) {
	rc := cfg.Radios[i]
	var mac userMAC
	var wait func(context.Context) error
	switch rc.Role {
	case RoleAP:
		a, err := ap.New(ap.Config{SSID: rc.SSID, Channel: uint8(rc.Channel), Addr: hw, Passphrase: cfg.RadioPassphrase(i), GroupRekey: cfg.GroupRekey, Log: l.Logger().With("radio", rc.Name), WDSSta: rc.WDSSta}, up)
		if err != nil {
			return nil, nil, fmt.Errorf("radio %s: %w", rc.Name, err)
		}
		mac = a
	case RoleSTA:
		s, err := sta.New(sta.Config{SSID: rc.SSID, Channel: uint8(rc.Channel), Addr: hw, Passphrase: cfg.RadioPassphrase(i), Log: l.Logger().With("radio", rc.Name), WDS: rc.WDS}, up)
		if err != nil {
			return nil, nil, fmt.Errorf("radio %s: %w", rc.Name, err)
		}
		mac, wait = s, s.WaitAssociated
	default:
		return nil, nil, fmt.Errorf("radio %s: invalid role %q", rc.Name, rc.Role)
	}
	radio, err := l.m.AddRadio(medium.RadioConfig{
		Name: rc.Name, Kind: kind, Addr: hw, FreqMHz: rc.FreqMHz(),
		Position: rc.Position, TxPowerDBm: rc.TxPower, RTSThreshold: rc.RTSThreshold,
	}, mac)
	if err != nil {
		mac.Close()
		return nil, nil, fmt.Errorf("radio %s: %w", rc.Name, err)
	}
	l.OnClose(func() error {
		l.m.RemoveRadio(radio)
		return nil
	})
	mac.Attach(radio)
	if err := mac.Start(l.Context()); err != nil {
		mac.Close()
		return nil, nil, fmt.Errorf("radio %s: start %s: %w", rc.Name, rc.Role, err)
	}
	l.OnClose(func() error {
		if err := mac.Close(); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("radio %s: stop %s: %w", rc.Name, rc.Role, err)
		}
		return nil
	})
	return mac, &Node{Config: rc, Index: i, Radio: radio, Status: mac.MACStatus, Wait: wait}, nil
}

// securityName says how radio i protects its data, for progress lines.
func securityName(cfg *Config, i int) string {
	if cfg.RadioPassphrase(i) != "" {
		return "WPA2-PSK/CCMP"
	}
	return "open"
}

// Tap returns the TAP device of a tap-backend radio.
func (n *Node) Tap() (*tap.Device, bool) {
	d, ok := n.Host.(*tap.Device)
	return d, ok
}
