// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"net"
	"os"
	"strconv"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/vmnic"
)

// upVMNIC builds a lab's VM NIC radios: per radio a listening socket for
// QEMU's `-netdev stream` and a Go station, with the radio's address,
// standing in for the VM on the air. The stations associate at once (with
// WPA2 when the lab runs it); the VM's traffic flows from when it
// connects.
func upVMNIC(ctx context.Context, l *Lab, cfg *Config, opt Options) error {
	for i := range cfg.Radios {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := upVMNICRadio(l, cfg, i); err != nil {
			return err
		}
	}
	return nil
}

func upVMNICRadio(l *Lab, cfg *Config, i int) error {
	rc := cfg.Radios[i]
	hw, err := rc.HWAddr(i)
	if err != nil {
		return err
	}
	addr, err := vmnic.ParseAddr(rc.Listen)
	if err != nil {
		return err
	}
	port, err := vmnic.Listen(vmnic.Config{Name: rc.Name, Addr: addr, MAC: hw, Log: l.Logger(), Owner: sudoOwner()})
	if err != nil {
		return err
	}
	l.OnClose(port.Close)
	mac, node, err := upGoMAC(l, cfg, i, hw, medium.KindVMNIC, port)
	if err != nil {
		return err
	}
	port.Serve(mac)
	node.Host = port
	node.Status = func() medium.MACStatus {
		st := mac.MACStatus()
		if st.Counters == nil {
			st.Counters = map[string]uint64{}
		}
		for k, v := range port.Stats().Counters() {
			st.Counters[k] = v
		}
		return st
	}
	// vmctl radios asks the radio: its status is the station's plus the
	// NIC's counters.
	node.Radio.SetStatusSource(node.Status)
	l.AddNode(node)
	l.Progressf("%s: %s %s for a VM NIC on %s (QEMU: -netdev stream,server=off,%s -device virtio-net-pci,mac=%s), channel %d, SSID %q, %s",
		rc.Name, rc.Role, hw, addr, qemuAddrOpts(addr), hw, rc.Channel, rc.SSID, securityName(cfg, i))
	return nil
}

// qemuAddrOpts is the address part of QEMU's -netdev stream for addr.
func qemuAddrOpts(a vmnic.Addr) string {
	if a.Network == "unix" {
		return "addr.type=unix,addr.path=" + a.Address
	}
	host, port, _ := net.SplitHostPort(a.Address) // checked by vmnic.ParseAddr
	return "addr.type=inet,addr.host=" + host + ",addr.port=" + port
}

// sudoOwner is the user who ran `sudo vmedium run`, so that their
// unprivileged QEMU may connect to the sockets root creates; nil without
// sudo.
func sudoOwner() *vmnic.Owner {
	uid, err1 := strconv.Atoi(os.Getenv("SUDO_UID"))
	gid, err2 := strconv.Atoi(os.Getenv("SUDO_GID"))
	if err1 != nil || err2 != nil || os.Geteuid() != 0 {
		return nil
	}
	return &vmnic.Owner{UID: uid, GID: gid}
}
