// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// lanIfName is the LAN host's interface in its namespace.
const lanIfName = "eth0"

// upLANs builds the lans: behind tap station rc (radio index i) once
// its TAP and MAC are up: a bridge in its namespace (the station's MAC and
// address; the TAP, which carries no address then, as a port) and per LAN
// a namespace whose eth0 is a veth into that bridge. Namespaces and
// devices are recorded in lab.json before they are created and go at
// Close (or with the next run's cleanup after a crash).
func (l *Lab) upLANs(rc RadioConfig, i int, cfg *Config, opt Options) error {
	lans := cfg.LANsOf(rc.Name)
	if len(lans) == 0 {
		return nil
	}
	if err := l.upBridge(rc, i, cfg); err != nil {
		return err
	}
	for _, lan := range lans {
		if err := l.upLAN(rc, lan, cfg, opt); err != nil {
			return err
		}
	}
	return nil
}

// upBridge makes the bridge of station rc, with the station's MAC, MTU
// and address, and its TAP as the first port.
func (l *Lab) upBridge(rc RadioConfig, i int, cfg *Config) error {
	hw, err := rc.HWAddr(i)
	if err != nil {
		return err
	}
	name := bridgeName(rc.Name)
	if err := l.RecordDevice(rc.Netns, name); err != nil {
		return err
	}
	h, err := netnsutil.Handle(rc.Netns)
	if err != nil {
		return fmt.Errorf("bridge behind %s: %w", rc.Name, err)
	}
	defer h.Close()
	la := netlink.NewLinkAttrs()
	la.Name = name
	la.HardwareAddr = net.HardwareAddr(hw[:])
	la.MTU = cfg.EffectiveMTU()
	off := false
	br := &netlink.Bridge{LinkAttrs: la, MulticastSnooping: &off}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("bridge behind %s: create %s in %s: %w", rc.Name, name, rc.Netns, err)
	}
	l.OnClose(func() error { return delLink(rc.Netns, name) })
	// The bridge takes the station's MAC (set at creation: a bridge picks
	// the lowest port MAC otherwise) and its address: the TAP is a port.
	tapLink, err := h.LinkByName(rc.Name)
	if err != nil {
		return fmt.Errorf("bridge behind %s: find TAP: %w", rc.Name, err)
	}
	if err := h.LinkSetMaster(tapLink, br); err != nil {
		return fmt.Errorf("bridge behind %s: add TAP %s to %s: %w", rc.Name, rc.Name, name, err)
	}
	if p, ok := rc.Prefix(); ok {
		if err := h.AddrAdd(br, ipAddr(p)); err != nil {
			return fmt.Errorf("bridge behind %s: add address %s to %s: %w", rc.Name, p, name, err)
		}
	}
	if err := h.LinkSetUp(br); err != nil {
		return fmt.Errorf("bridge behind %s: set %s up: %w", rc.Name, name, err)
	}
	mode := "three-address: the AP drops what its hosts send"
	if rc.WDS {
		mode = "four-address (wds)"
	}
	l.Progressf("%s: bridge %s in %s holds the TAP and %s, station %s", rc.Name, name, rc.Netns, rc.Address, mode)
	return nil
}

// upLAN creates LAN lan's namespace and its veth into station rc's bridge.
func (l *Lab) upLAN(rc RadioConfig, lan LANConfig, cfg *Config, opt Options) error {
	idx := -1
	for i, c := range cfg.LANs {
		if c.Name == lan.Name {
			idx = i
		}
	}
	hw, err := lan.HWAddr(idx)
	if err != nil {
		return err
	}
	p, err := parseAddress(lan.Address)
	if err != nil {
		return err
	}
	if netnsutil.Exists(lan.Name) {
		if !opt.ReuseNetns {
			return fmt.Errorf("LAN %s: network namespace %s already exists: delete it (ip netns delete %s) or pass --reuse-netns: %w", lan.Name, lan.Name, lan.Name, netnsutil.ErrExists)
		}
	} else {
		l.mu.Lock()
		l.state.Namespaces = append(l.state.Namespaces, lan.Name)
		err := WriteStateFile(l.stateDir, l.state)
		l.mu.Unlock()
		if err != nil {
			return err
		}
		l.Progressf("creating namespace %s (LAN behind %s)", lan.Name, rc.Name)
		if err := netnsutil.Create(lan.Name); err != nil {
			return fmt.Errorf("LAN %s: %w", lan.Name, err)
		}
		l.mu.Lock()
		l.createdNS = append(l.createdNS, lan.Name)
		l.mu.Unlock()
	}
	veth := lanVethName(lan.Name)
	if err := l.RecordDevice(rc.Netns, veth); err != nil {
		return err
	}
	lanFD, err := unix.Open(filepath.Join(netnsutil.Dir, lan.Name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("LAN %s: open its namespace: %w", lan.Name, err)
	}
	defer unix.Close(lanFD)
	h, err := netnsutil.Handle(rc.Netns)
	if err != nil {
		return fmt.Errorf("LAN %s: %w", lan.Name, err)
	}
	defer h.Close()
	la := netlink.NewLinkAttrs()
	la.Name = veth
	la.MTU = cfg.EffectiveMTU()
	v := &netlink.Veth{LinkAttrs: la, PeerName: lanIfName, PeerHardwareAddr: net.HardwareAddr(hw[:]), PeerNamespace: netlink.NsFd(lanFD)}
	if err := h.LinkAdd(v); err != nil {
		return fmt.Errorf("LAN %s: create veth %s in %s: %w", lan.Name, veth, rc.Netns, err)
	}
	l.OnClose(func() error { return delLink(rc.Netns, veth) })
	br, err := h.LinkByName(bridgeName(rc.Name))
	if err != nil {
		return fmt.Errorf("LAN %s: find bridge: %w", lan.Name, err)
	}
	end, err := h.LinkByName(veth)
	if err != nil {
		return fmt.Errorf("LAN %s: find veth %s: %w", lan.Name, veth, err)
	}
	if err := h.LinkSetMaster(end, br); err != nil {
		return fmt.Errorf("LAN %s: add %s to %s: %w", lan.Name, veth, bridgeName(rc.Name), err)
	}
	if err := h.LinkSetUp(end); err != nil {
		return fmt.Errorf("LAN %s: set %s up: %w", lan.Name, veth, err)
	}
	lh, err := netnsutil.Handle(lan.Name)
	if err != nil {
		return fmt.Errorf("LAN %s: %w", lan.Name, err)
	}
	defer lh.Close()
	eth, err := lh.LinkByName(lanIfName)
	if err != nil {
		return fmt.Errorf("LAN %s: find %s: %w", lan.Name, lanIfName, err)
	}
	if err := lh.AddrAdd(eth, ipAddr(p)); err != nil {
		return fmt.Errorf("LAN %s: add address %s: %w", lan.Name, p, err)
	}
	if err := lh.LinkSetUp(eth); err != nil {
		return fmt.Errorf("LAN %s: set %s up: %w", lan.Name, lanIfName, err)
	}
	l.Progressf("%s: LAN host %s %s in %s, bridged behind %s", lan.Name, hw, p, lan.Name, rc.Name)
	return nil
}

// delLink removes a device the lab made in a namespace that may outlive
// the lab (--reuse-netns); a device already gone is fine.
func delLink(ns, name string) error {
	if !netnsutil.Exists(ns) {
		return nil
	}
	h, err := netnsutil.Handle(ns)
	if err != nil {
		return nil
	}
	defer h.Close()
	link, err := h.LinkByName(name)
	if err != nil {
		return nil // gone already (a namespace deleted, a veth's peer gone)
	}
	if err := h.LinkDel(link); err != nil {
		return fmt.Errorf("remove %s in %s: %w", name, ns, err)
	}
	return nil
}

func ipAddr(p netip.Prefix) *netlink.Addr {
	return &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
}
