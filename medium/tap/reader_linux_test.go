// SPDX-License-Identifier: MIT

package tap

import (
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/internal/procs"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// TestReaderReservesP: a serving device holds one extra P (package procs)
// and Close gives it back before it returns.
func TestRootReaderReservesP(t *testing.T) {
	needRoot(t)
	ns := testNS(t)
	d, err := Open(Config{Name: "vwt1", Netns: ns, MAC: frames.MAC{0x02, 0, 0, 0, 0xaa, 0x03}, MTU: 1500})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base, procsBase := procs.Reserved(), runtime.GOMAXPROCS(0)
	d.Serve(make(chanSender, 64))
	// The reader reserves its P when it starts running.
	for deadline := time.Now().Add(5 * time.Second); procs.Reserved() != base+1; {
		if time.Now().After(deadline) {
			t.Fatalf("serving reader: %d reservations, want %d", procs.Reserved(), base+1)
		}
		time.Sleep(time.Millisecond)
	}
	if got := runtime.GOMAXPROCS(0); got != procsBase+1 {
		t.Fatalf("GOMAXPROCS while serving = %d, want %d", got, procsBase+1)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got := procs.Reserved(); got != base {
		t.Fatalf("after Close: %d reservations, want %d", got, base)
	}
	if got := runtime.GOMAXPROCS(0); got != procsBase {
		t.Fatalf("GOMAXPROCS after Close = %d, want %d", got, procsBase)
	}
}

// batchSender records the batches a BatchSender is handed.
type batchSender struct {
	mu      sync.Mutex
	frames  [][]byte
	largest int
}

func (b *batchSender) SendEthernet(eth []byte) error {
	b.SendEthernetBatch([][]byte{eth})
	return nil
}

func (b *batchSender) SendEthernetBatch(eths [][]byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.largest = max(b.largest, len(eths))
	for _, e := range eths {
		b.frames = append(b.frames, append([]byte(nil), e...))
	}
	return 0
}

// A BatchSender gets every frame the host sends, in order, in batches of
// at most readBatch.
func TestRootReaderBatches(t *testing.T) {
	needRoot(t)
	ns := testNS(t)
	d, err := Open(Config{Name: "vwt2", Netns: ns, MAC: frames.MAC{0x02, 0, 0, 0, 0xaa, 0x04}, Addrs: []netip.Prefix{netip.MustParsePrefix("10.99.1.1/24")}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rx := &batchSender{}
	d.Serve(rx)
	const n = 500
	if err := netnsutil.Do(ns, func() error {
		h, err := netnsutil.Handle(ns)
		if err != nil {
			return err
		}
		defer h.Close()
		l, err := h.LinkByName("vwt2")
		if err != nil {
			return err
		}
		// A static neighbour: the datagrams go out without ARP.
		if err := h.NeighAdd(&netlink.Neigh{LinkIndex: l.Attrs().Index, State: netlink.NUD_PERMANENT,
			IP: net.IPv4(10, 99, 1, 2), HardwareAddr: net.HardwareAddr{2, 0, 0, 0, 0xaa, 5}}); err != nil {
			return err
		}
		conn, err := net.Dial("udp4", "10.99.1.2:9")
		if err != nil {
			return err
		}
		defer conn.Close()
		for i := 0; i < n; i++ {
			if _, err := conn.Write(binary.BigEndian.AppendUint32(nil, uint32(i))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	var got []uint32
	for time.Now().Before(deadline) {
		rx.mu.Lock()
		got = got[:0]
		for _, f := range rx.frames {
			if len(f) >= 14+20+8+4 && binary.BigEndian.Uint16(f[12:]) == 0x0800 && f[14+9] == 17 {
				got = append(got, binary.BigEndian.Uint32(f[14+28:]))
			}
		}
		rx.mu.Unlock()
		if len(got) >= n {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(got) != n {
		t.Fatalf("%d datagrams reached the sender, want %d", len(got), n)
	}
	for i, v := range got {
		if v != uint32(i) {
			t.Fatalf("datagram %d is %d: out of order", i, v)
		}
	}
	if rx.largest > readBatch {
		t.Fatalf("a batch of %d frames, want at most %d", rx.largest, readBatch)
	}
	t.Logf("largest batch %d", rx.largest)
}
