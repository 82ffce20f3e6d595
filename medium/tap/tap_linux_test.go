// SPDX-License-Identifier: MIT

package tap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

func needRoot(t testing.TB) {
	t.Helper()
	testutil.NeedRoot(t, "creates network namespaces and TAP devices", "/dev/net/tun")
}

// testNS creates a uniquely named namespace removed at the end of the test.
func testNS(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("vmtap%d", os.Getpid())
	if err := netnsutil.Create(name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := netnsutil.Delete(name); err != nil {
			t.Error(err)
		}
	})
	return name
}

type chanSender chan []byte

func (c chanSender) SendEthernet(eth []byte) error {
	c <- append([]byte(nil), eth...)
	return nil
}

func TestValidation(t *testing.T) {
	for _, cfg := range []Config{
		{Name: "", MAC: frames.MAC{2, 0, 0, 0, 0, 1}},
		{Name: "a-very-long-interface-name", MAC: frames.MAC{2, 0, 0, 0, 0, 1}},
		{Name: "vw0", MAC: frames.MAC{2, 0, 0, 0, 0, 1}, MTU: 3000},
		{Name: "vw0", MAC: frames.MAC{2, 0, 0, 0, 0, 1}, MTU: 20},
		{Name: "vw0", MAC: frames.MAC{1, 0, 0, 0, 0, 1}},
		{Name: "vw0"},
	} {
		if _, err := Open(cfg); err == nil {
			t.Errorf("Open(%+v) succeeded, want a validation error", cfg)
		} else {
			t.Logf("%+v: %v", cfg, err)
		}
	}
}

// TestDevice creates a TAP in a fresh namespace, checks its configuration,
// and exchanges real frames with the namespace's stack: an outgoing UDP
// datagram makes the kernel ARP (read side), our ARP reply written up
// (write side) resolves the neighbour, and the queued datagram then comes
// out addressed to the MAC we answered with.
func TestRootDevice(t *testing.T) {
	needRoot(t)
	ns := testNS(t)
	hw := frames.MAC{0x02, 0, 0, 0, 0xaa, 0x01}
	d, err := Open(Config{Name: "vwt0", Netns: ns, MAC: hw, MTU: 1400, Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.0.1/24")}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	h, err := netnsutil.Handle(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := h.LinkByName("vwt0")
	if err != nil {
		t.Fatal(err)
	}
	a := l.Attrs()
	if !bytes.Equal(a.HardwareAddr, hw[:]) || a.MTU != 1400 || a.Flags&net.FlagUp == 0 {
		t.Fatalf("link: mac %s mtu %d flags %v; want %s 1400 up", a.HardwareAddr, a.MTU, a.Flags, hw)
	}
	addrs, err := h.AddrList(l, 2 /* AF_INET */)
	if err != nil || len(addrs) != 1 || addrs[0].IPNet.String() != "10.99.0.1/24" {
		t.Fatalf("addresses: %v %v; want 10.99.0.1/24", addrs, err)
	}

	rx := make(chanSender, 64)
	d.Serve(rx)
	var conn net.Conn
	if err := netnsutil.Do(ns, func() error {
		var err error
		conn, err = net.Dial("udp4", "10.99.0.2:9")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	payload := []byte("vmedium tap test")
	if _, err := conn.Write(payload); err != nil {
		t.Fatal(err)
	}
	arp := waitFrame(t, rx, func(f []byte) bool { return binary.BigEndian.Uint16(f[12:]) == 0x0806 })
	if !bytes.Equal(arp[0:6], frames.Broadcast[:]) || !bytes.Equal(arp[6:12], hw[:]) {
		t.Fatalf("ARP request dst %x src %x; want broadcast from %s", arp[0:6], arp[6:12], hw)
	}
	peer := frames.MAC{0x02, 0, 0, 0, 0xaa, 0x02}
	if err := d.WriteEthernet(arpReply(hw, peer, [4]byte{10, 99, 0, 1}, [4]byte{10, 99, 0, 2})); err != nil {
		t.Fatal(err)
	}
	ip := waitFrame(t, rx, func(f []byte) bool { return binary.BigEndian.Uint16(f[12:]) == 0x0800 })
	if !bytes.Equal(ip[0:6], peer[:]) || !bytes.HasSuffix(ip, payload) {
		t.Fatalf("IPv4 frame to %x (want %s) ending %q", ip[0:6], peer, ip[len(ip)-len(payload):])
	}
	st := d.Stats()
	if st.ToHostFrames != 1 || st.FromHostFrames < 2 {
		t.Fatalf("stats %+v: want 1 frame to host and ≥2 from host", st)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.WriteEthernet(ip); err == nil {
		t.Fatal("WriteEthernet after Close succeeded")
	}
	if _, err := h.LinkByName("vwt0"); err == nil {
		t.Fatal("vwt0 still exists after Close")
	}
}

func waitFrame(t *testing.T, rx chanSender, match func([]byte) bool) []byte {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-rx:
			if len(f) >= 14 && match(f) {
				return f
			}
		case <-deadline:
			t.Fatal("timeout waiting for a frame from the TAP")
			return nil
		}
	}
}

func arpReply(dst, src frames.MAC, dstIP, srcIP [4]byte) []byte {
	b := make([]byte, 0, 42)
	b = append(b, dst[:]...)
	b = append(b, src[:]...)
	b = append(b, 0x08, 0x06)             // ARP
	b = append(b, 0, 1, 8, 0, 6, 4, 0, 2) // Ethernet/IPv4, reply
	b = append(b, src[:]...)              // sender MAC
	b = append(b, srcIP[:]...)            // sender IP
	b = append(b, dst[:]...)              // target MAC
	b = append(b, dstIP[:]...)            // target IP
	return b
}

// BenchmarkWriteEthernet measures the uplink write path (one TAP write per
// frame, a 1500-byte UDP datagram to an address nobody listens on); it must
// not allocate.
func BenchmarkRootWriteEthernet(b *testing.B) {
	needRoot(b)
	ns := testNS(b)
	hw := frames.MAC{0x02, 0, 0, 0, 0xaa, 0x01}
	d, err := Open(Config{Name: "vwt0", Netns: ns, MAC: hw, Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.0.1/24")}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	frame := make([]byte, 14+1500)
	copy(frame, hw[:])
	copy(frame[6:], []byte{2, 0, 0, 0, 0xaa, 2})
	frame[12], frame[13] = 0x08, 0x00
	ip := frame[14:]
	ip[0], ip[8], ip[9] = 0x45, 64, 17
	binary.BigEndian.PutUint16(ip[2:], 1500)
	copy(ip[12:], []byte{10, 99, 0, 2})
	copy(ip[16:], []byte{10, 99, 0, 1})
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.WriteEthernet(frame); err != nil {
			b.Fatal(err)
		}
	}
}
