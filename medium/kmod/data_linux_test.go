// SPDX-License-Identifier: MIT

package kmod

import (
	"bytes"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/internal/testutil"
)

// rawClient is a client whose data socket is one end of a datagram
// socketpair; the other end is returned to read what Inject wrote.
func rawClient(t testing.TB) (*Client, int) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(dataRecvTimeout))
	if err := unix.SetsockoptTimeval(fds[0], unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[1]) })
	c := &Client{family: testFamily, data: newDataPath(dataFD(fds[0]), dataFD(fds[0]).close)}
	t.Cleanup(func() { c.data.close() })
	return c, fds[1]
}

// TestRawInjectMatchesLibrary: the datagram Inject writes on the data
// socket is byte for byte the message the library path sends (same
// command, version, attributes), apart from the sequence number.
func TestRawInjectMatchesLibrary(t *testing.T) {
	c, peer := rawClient(t)
	for _, n := range []int{14, 61, 1514, MaxFrame} {
		eth := bytes.Repeat([]byte{byte(n)}, n)
		if err := c.Inject(3, eth); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 8192)
		k, err := unix.Read(peer, got)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:k]
		ae := netlink.NewAttributeEncoder()
		ae.Uint32(AttrRadio, 3)
		ae.Bytes(AttrFrame, eth)
		gm, err := (&Client{}).msg(CmdRx, ae)
		if err != nil {
			t.Fatal(err)
		}
		gb, err := gm.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var nm netlink.Message
		if err := nm.UnmarshalBinary(got); err != nil {
			t.Fatalf("%d-byte frame: not a netlink message: %v", n, err)
		}
		if nm.Header.Type != testFamilyID || nm.Header.Flags != netlink.Request || int(nm.Header.Length) != len(got) || nm.Header.PID != 0 {
			t.Fatalf("%d-byte frame: header %+v (datagram %d bytes)", n, nm.Header, len(got))
		}
		if !bytes.Equal(nm.Data, gb) {
			t.Fatalf("%d-byte frame: generic netlink payload differs from the library's", n)
		}
	}
	c.data.close()
	if err := c.Inject(3, make([]byte, 14)); err == nil {
		t.Fatal("Inject after close: no error")
	}
}

// BenchmarkInjectRaw is Inject on the production path: encode and one
// writev into a socketpair, drained by the benchmark.
func BenchmarkInjectRaw(b *testing.B) {
	c, peer := rawClient(b)
	eth := bytes.Repeat([]byte{0x42}, 1514)
	buf := make([]byte, 4096)
	b.ReportAllocs()
	b.SetBytes(int64(len(eth)))
	for b.Loop() {
		if err := c.Inject(1, eth); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Read(peer, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInjectAllocs pins the allocation budget of Inject (as
// BenchmarkInjectRaw): the attribute encoder and its output. It may only
// go down.
func TestInjectAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	c, peer := rawClient(t)
	eth := bytes.Repeat([]byte{0x42}, 1514)
	buf := make([]byte, 4096)
	const budget = 4
	n := testing.AllocsPerRun(200, func() {
		if err := c.Inject(1, eth); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Read(peer, buf); err != nil {
			t.Fatal(err)
		}
	})
	if n > budget {
		t.Errorf("%.1f allocations per injection, budget %d", n, budget)
	}
}
