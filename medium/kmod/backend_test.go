// SPDX-License-Identifier: MIT

package kmod

import (
	"bytes"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

var (
	vw0 = frames.MAC{2, 'v', 'w', 0, 0, 0}
	vw1 = frames.MAC{2, 'v', 'w', 0, 0, 1}
)

func ev(t *testing.T, cmd uint8, fill func(ae *netlink.AttributeEncoder)) []genetlink.Message {
	return []genetlink.Message{{Header: genetlink.Header{Command: cmd, Version: 1}, Data: encode(t, fill)}}
}

// waitCmd waits until the fake module has received a command matching ok.
func waitCmd(t *testing.T, f *fakeModule, what string, ok func(gm genetlink.Message, a map[uint16][]byte) bool) map[uint16][]byte {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		f.mu.Lock()
		cmds := append([]genetlink.Message(nil), f.cmds...)
		f.mu.Unlock()
		for _, gm := range cmds {
			if a := decodeCmd(t, gm); ok(gm, a) {
				return a
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("module never got %s", what)
	return nil
}

// TestBackendAPAndStation runs two module interfaces through the real
// medium with the real sta and ap MACs: vw0 starts an AP, vw1 connects to
// it, the AP's station appears in the module's cache, and an Ethernet frame
// vw1's stack sends comes out of vw0's stack.
func TestBackendAPAndStation(t *testing.T) {
	f := &fakeModule{radios: []RadioInfo{
		{Index: 0, Ifname: "vw0", Addr: vw0, Iftype: IftypeAP},
		{Index: 1, Ifname: "vw1", Addr: vw1, Iftype: IftypeStation},
	}}
	c := newTestClient(t, f)
	m := medium.New(medium.Options{Seed: 1})
	b, err := New(m, c, Options{StationSync: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := m.KindCounts()[medium.KindKmod]; got != 2 {
		t.Fatalf("kmod radios on the medium = %d, want 2", got)
	}
	if s := b.Summary(); s != "kmod: live, 2 radios" {
		t.Errorf("Summary = %q", s)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(f.ctx) }()

	f.events <- ev(t, CmdStartAP, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 0)
		ae.Bytes(AttrSSID, []byte("vmedium"))
		ae.Uint32(AttrFreq, 2437)
		ae.Uint32(AttrBeaconInt, 100)
		ae.Uint32(AttrDTIM, 2)
	})
	f.events <- ev(t, CmdConnect, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 1)
		ae.Bytes(AttrSSID, []byte("vmedium"))
	})
	a := waitCmd(t, f, "CONNECT_RESULT for vw1", func(gm genetlink.Message, a map[uint16][]byte) bool {
		return gm.Header.Command == CmdConnectResult && bytes.Equal(a[AttrRadio], le32(1))
	})
	if !bytes.Equal(a[AttrStatus], []byte{0, 0}) || !bytes.Equal(a[AttrBSSID], vw0[:]) || !bytes.Equal(a[AttrFreq], le32(2437)) {
		t.Errorf("connect result = %v, want success to %s on 2437 MHz", a, vw0)
	}
	if !bytes.Contains(a[AttrIEs], append([]byte{0, 7}, "vmedium"...)) {
		t.Errorf("connect result IEs %x lack the SSID element", a[AttrIEs])
	}
	waitCmd(t, f, "NEW_STATION vw1 on vw0", func(gm genetlink.Message, a map[uint16][]byte) bool {
		return gm.Header.Command == CmdNewStation && bytes.Equal(a[AttrRadio], le32(0)) && bytes.Equal(a[AttrStaAddr], vw1[:])
	})
	waitCmd(t, f, "STATION (vw0 as seen by vw1)", func(gm genetlink.Message, a map[uint16][]byte) bool {
		return gm.Header.Command == CmdStation && bytes.Equal(a[AttrRadio], le32(1)) && bytes.Equal(a[AttrStaAddr], vw0[:])
	})

	// vw1's stack sends to vw0: it must come out of vw0's interface.
	eth := append(append(append([]byte{}, vw0[:]...), vw1[:]...), 0x08, 0x00)
	eth = append(eth, bytes.Repeat([]byte{0x5a}, 46)...)
	f.events <- []genetlink.Message{txEvent(t, 1, eth)}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		var got bool
		for i, fr := range f.rx {
			if f.rxRadio[i] == 0 && bytes.Equal(fr, eth) {
				got = true
			}
		}
		f.mu.Unlock()
		if got {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("frame from vw1 never injected into vw0; counters %v", b.Counters())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The user disconnects vw1: the AP loses its station.
	f.events <- ev(t, CmdDisconnect, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 1)
		ae.Uint16(AttrReason, 3)
	})
	waitCmd(t, f, "DEL_STATION vw1 on vw0", func(gm genetlink.Message, a map[uint16][]byte) bool {
		return gm.Header.Command == CmdDelStation && bytes.Equal(a[AttrRadio], le32(0)) && bytes.Equal(a[AttrStaAddr], vw1[:])
	})

	f.cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if b.Live() {
		t.Error("backend still live after Run returned")
	}
}

// TestBackendScan: a scan request is answered with the BSS the station
// hears, at the signal the medium assigns to that link, then SCAN_DONE.
func TestBackendScan(t *testing.T) {
	f := &fakeModule{radios: []RadioInfo{
		{Index: 0, Ifname: "vw0", Addr: vw0, Iftype: IftypeAP, SSID: nil},
		{Index: 1, Ifname: "vw1", Addr: vw1, Iftype: IftypeStation},
	}}
	c := newTestClient(t, f)
	m := medium.New(medium.Options{Seed: 1})
	b, err := New(m, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sig := -61.0
	if err := m.SetLink("vw0", "vw1", &sig, nil); err != nil {
		t.Fatal(err)
	}
	go b.Run(f.ctx)
	f.events <- ev(t, CmdStartAP, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 0)
		ae.Bytes(AttrSSID, []byte("vmedium"))
		ae.Uint32(AttrFreq, 2412)
	})
	time.Sleep(50 * time.Millisecond)
	f.events <- ev(t, CmdScan, func(ae *netlink.AttributeEncoder) { ae.Uint32(AttrRadio, 1) })
	a := waitCmd(t, f, "SCAN_RESULT", func(gm genetlink.Message, a map[uint16][]byte) bool {
		return gm.Header.Command == CmdScanResult && bytes.Equal(a[AttrRadio], le32(1))
	})
	if !bytes.Equal(a[AttrBSSID], vw0[:]) || !bytes.Equal(a[AttrSSID], []byte("vmedium")) ||
		!bytes.Equal(a[AttrSignal], le32(uint32(0xffffffc3))) || !bytes.Equal(a[AttrFreq], le32(2412)) {
		t.Errorf("scan result = %v, want vw0 'vmedium' at -61 dBm on 2412", a)
	}
	a = waitCmd(t, f, "SCAN_DONE", func(gm genetlink.Message, a map[uint16][]byte) bool {
		return gm.Header.Command == CmdScanDone && bytes.Equal(a[AttrRadio], le32(1))
	})
	if _, aborted := a[AttrAborted]; aborted {
		t.Error("scan reported aborted")
	}
}
