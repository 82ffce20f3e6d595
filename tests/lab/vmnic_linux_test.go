// SPDX-License-Identifier: MIT

package labtest

import (
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/tap"
)

// fakeQEMU stands in for `qemu -netdev stream,server=off,...`: a TAP
// device in its own namespace (the "VM's" NIC and IP stack) whose frames
// it carries to and from the lab's vmnic socket in QEMU's framing (a
// 4-byte big-endian length before each frame). The real QEMU is in the
// VM test (tests/vm/scenarios/vmnic.sh); this proves the lab side with a
// real IP stack behind the NIC.
type fakeQEMU struct {
	dev  *tap.Device
	mu   sync.Mutex
	conn net.Conn
	wbuf []byte
}

func (q *fakeQEMU) SendEthernet(eth []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.conn == nil {
		return io.ErrClosedPipe
	}
	q.wbuf = binary.BigEndian.AppendUint32(q.wbuf[:0], uint32(len(eth)))
	q.wbuf = append(q.wbuf, eth...)
	_, err := q.conn.Write(q.wbuf)
	return err
}

// connect dials the lab's socket and relays frames from it into the TAP
// until the connection ends.
func (q *fakeQEMU) connect(t *testing.T, path string) (done chan struct{}) {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	q.mu.Lock()
	q.conn = c
	q.mu.Unlock()
	done = make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4+4096)
		for {
			if _, err := io.ReadFull(c, buf[:4]); err != nil {
				return
			}
			n := binary.BigEndian.Uint32(buf[:4])
			if _, err := io.ReadFull(c, buf[4:4+n]); err != nil {
				return
			}
			q.dev.WriteEthernet(buf[4 : 4+n])
		}
	}()
	return done
}

func (q *fakeQEMU) disconnect(done chan struct{}) {
	q.mu.Lock()
	q.conn.Close()
	q.conn = nil
	q.mu.Unlock()
	<-done
}

// TestRootVMNIC: a vmnic radio in the default (WPA2) tap lab; its "VM"
// pings the AP and a tap station, a deny rule cuts it, clearing restores
// it, and a VM that reconnects is back on the air.
func TestRootVMNIC(t *testing.T) {
	needRoot(t)
	cfg := labConfig("vmn")
	sock := filepath.Join(t.TempDir(), "vm1.sock")
	cfg.Radios = append(cfg.Radios, lab.RadioConfig{Name: "vw3", Kind: "vmnic", Role: lab.RoleSTA, SSID: "vmedium", Channel: 6, Listen: "unix:" + sock})
	r := up(t, cfg, false)
	n, ok := r.lab.Node("vw3")
	if !ok {
		t.Fatal("no node vw3")
	}
	hw, _ := cfg.Radios[3].HWAddr(3)
	if st := n.Status(); st.State != "associated" || st.Cipher != "CCMP" || st.Counters["vmnic_connected"] != 0 {
		t.Fatalf("vw3 before the VM: %+v, want associated with CCMP and no VM", st)
	}

	vmns := testutil.NewNetns(t, "vmnvm").Name
	dev, err := tap.Open(tap.Config{Name: "eth0", Netns: vmns, MAC: frames.MAC(hw), Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.4/24")}})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	q := &fakeQEMU{dev: dev}
	dev.Serve(q)
	done := q.connect(t, sock)
	if !waitFor(5e9, func() bool { return n.Status().Counters["vmnic_connected"] == 1 }) {
		t.Fatalf("lab did not see the VM: %+v", n.Status())
	}
	wantPing(t, vmns, "10.0.0.1", 5, true)
	wantPing(t, vmns, "10.0.0.2", 5, true)
	wantPing(t, "vmn1", "10.0.0.4", 3, true)

	if _, err := r.m.Deny("vw0", "vw3"); err != nil {
		t.Fatal(err)
	}
	wantPing(t, vmns, "10.0.0.1", 5, false)
	if r.m.ClearDeny() != 1 {
		t.Fatal("deny not listed")
	}
	// A second of lost beacons drops the station; it comes back by
	// itself once it hears the AP again.
	if !waitFor(10e9, func() bool { return n.Status().State == "associated" }) {
		t.Fatalf("vw3 did not re-associate after deny -c: %+v", n.Status())
	}
	wantPing(t, vmns, "10.0.0.1", 5, true)

	// The VM goes away (frames for it are dropped and counted) and comes
	// back on a new connection.
	q.disconnect(done)
	wantPing(t, "vmn1", "10.0.0.4", 2, false)
	if n.Status().Counters["vmnic_to_vm_no_vm"] == 0 {
		t.Errorf("frames for an absent VM not counted: %v", n.Status().Counters)
	}
	done = q.connect(t, sock)
	defer q.disconnect(done)
	if !waitFor(5e9, func() bool { return n.Status().Counters["vmnic_connections"] == 2 }) {
		t.Fatal("reconnect not seen")
	}
	wantPing(t, vmns, "10.0.0.2", 5, true)
	rd, _ := r.m.Radio("vw3")
	if rd.Kind() != medium.KindVMNIC {
		t.Errorf("vw3 kind %s, want vmnic", rd.Kind())
	}
	// What vmctl radios shows: the station's state and the NIC's counters.
	if st, ok := rd.MACStatus(); !ok || st.Counters["vmnic_connected"] != 1 || st.Cipher != "CCMP" {
		t.Errorf("vw3 radio status %+v, want the NIC connected on a CCMP station", st)
	}
	t.Logf("vw3 counters: %v", n.Status().Counters)
}
