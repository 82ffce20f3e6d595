// SPDX-License-Identifier: MIT

package genlraw

import (
	"bytes"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// TestHeaderMatchesLibrary: a header from PutHeader followed by encoded
// attributes, written with Writev, is byte for byte the datagram the
// library marshals for the same message.
func TestHeaderMatchesLibrary(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	for _, n := range []int{0, 1, 31, 1514} { // unaligned lengths too
		ae := netlink.NewAttributeEncoder()
		ae.Uint32(1, 7)
		ae.Bytes(2, bytes.Repeat([]byte{0x42}, n))
		attrs, err := ae.Encode()
		if err != nil {
			t.Fatal(err)
		}
		const family, seq, cmd, version = 0x1234, 99, 5, 2
		h := make([]byte, HeaderLen)
		PutHeader(h, uint32(HeaderLen+len(attrs)), family, uint16(netlink.Request), seq, cmd, version)
		if err := Writev(fds[0], []unix.Iovec{{Base: &h[0], Len: HeaderLen}, {Base: &attrs[0], Len: uint64(len(attrs))}}); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, 4096)
		k, err := unix.Read(fds[1], got)
		if err != nil {
			t.Fatal(err)
		}
		gm, err := (&genetlink.Message{Header: genetlink.Header{Command: cmd, Version: version}, Data: attrs}).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		nm := netlink.Message{Header: netlink.Header{Type: family, Flags: netlink.Request, Sequence: seq}, Data: gm}
		nm.Header.Length = uint32(unix.NLMSG_HDRLEN + len(gm))
		want, err := nm.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:k], want) {
			t.Fatalf("%d-byte attribute: datagram\n% x\nwant\n% x", n, got[:k], want)
		}
	}
}
