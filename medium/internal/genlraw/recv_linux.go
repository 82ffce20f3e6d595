// SPDX-License-Identifier: MIT

package genlraw

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// mmsghdr is struct mmsghdr (x/sys/unix has no recvmmsg wrapper).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// RecvBatch is the receive vector of recvmmsg(2), built once: Slots
// datagrams of up to a fixed size each per call. The per-frame receive
// loops of the hwsim and kmod backends read their netlink socket with it
// on a locked OS thread: one call sleeps for the first datagram and takes
// what else is queued (MSG_WAITFORONE), with no runtime network poller and
// no thread hand-off in between.
type RecvBatch struct {
	hdrs []mmsghdr
	iovs []unix.Iovec
	bufs [][]byte
}

// NewRecvBatch makes a vector of slots buffers of size bytes.
func NewRecvBatch(slots, size int) *RecvBatch {
	rb := &RecvBatch{hdrs: make([]mmsghdr, slots), iovs: make([]unix.Iovec, slots), bufs: make([][]byte, slots)}
	mem := make([]byte, slots*size)
	for i := range rb.hdrs {
		rb.bufs[i] = mem[i*size : (i+1)*size : (i+1)*size]
		rb.iovs[i].Base = &rb.bufs[i][0]
		rb.iovs[i].SetLen(size)
		rb.hdrs[i].hdr.Iov = &rb.iovs[i]
		rb.hdrs[i].hdr.SetIovlen(1)
	}
	return rb
}

// Slots is the number of datagrams one Recv can return.
func (rb *RecvBatch) Slots() int { return len(rb.hdrs) }

// Datagram returns the i-th received datagram and whether it was cut
// (larger than a slot).
func (rb *RecvBatch) Datagram(i int) ([]byte, bool) {
	h := &rb.hdrs[i]
	return rb.bufs[i][:h.n], h.hdr.Flags&unix.MSG_TRUNC != 0
}

// Recv is recvmmsg(2) on fd as an ordinary system call (the scheduler is
// told). Not a raw one: a goroutine blocked in a raw system call counts
// as running, so sysmon signalled the receive loop every 10-20 ms of idle
// air and the next frame found it preempted (ftrace in the TCG guest: an
// EINTR, a trip through the scheduler and two futex wake-ups of other
// threads, ~0.4 ms, on the frame's path); and a stop-the-world waited for
// the blocked call. It returns the number of datagrams received.
func (rb *RecvBatch) Recv(fd, flags int) (int, error) {
	for i := range rb.hdrs {
		rb.hdrs[i].hdr.Flags = 0
	}
	n, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&rb.hdrs[0])),
		uintptr(len(rb.hdrs)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
