// SPDX-License-Identifier: MIT

// Package genlraw writes generic netlink messages whose attributes were
// encoded with netlink.AttributeEncoder straight to a netlink socket with
// writev(2): a 20-byte header (struct nlmsghdr + struct genlmsghdr) written
// by hand, then the encoded attributes as they are. genetlink.Message and
// netlink.Message MarshalBinary each allocate and copy the whole message
// (the frame included) before the library's sendmsg; on the per-frame
// paths of the hwsim and kmod backends those two copies were most of the
// Go side's cost. The header bytes are pinned against the library's
// marshalling by TestHeaderMatchesLibrary.
package genlraw

import (
	"encoding/binary"
	"unsafe"

	"golang.org/x/sys/unix"
)

// HeaderLen is struct nlmsghdr + struct genlmsghdr.
const HeaderLen = unix.NLMSG_HDRLEN + unix.GENL_HDRLEN

// PutHeader writes the header of a message of length bytes in all (header
// included; NLMSG_ALIGN'd attributes keep it aligned) into h: nlmsghdr with
// port id 0 (the kernel), then genlmsghdr with cmd and version.
func PutHeader(h []byte, length uint32, family, flags uint16, seq uint32, cmd, version uint8) {
	_ = h[HeaderLen-1]
	binary.NativeEndian.PutUint32(h[0:], length)
	binary.NativeEndian.PutUint16(h[4:], family)
	binary.NativeEndian.PutUint16(h[6:], flags)
	binary.NativeEndian.PutUint32(h[8:], seq)
	binary.NativeEndian.PutUint32(h[12:], 0)
	h[16], h[17], h[18], h[19] = cmd, version, 0, 0
}

// Writev writes one datagram from iov. A normal system call (not a raw
// one): a write that blocked on a full socket buffer must not hold its P
// and stall every stop-the-world.
func Writev(fd int, iov []unix.Iovec) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(len(iov)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}
