// SPDX-License-Identifier: MIT

package hwsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/mdlayher/genetlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

// conn is the medium socket as the backend uses it: datagrams in, datagrams
// out. Every byte between the backend and the kernel goes through it —
// REGISTER, NEW_RADIO and their answers, the frame stream, the "config"
// multicast, injections and TX status. In production it is the netlink
// socket (dialMediumSocket); the tests use one end of an AF_UNIX datagram
// socketpair and play the kernel on the other end with netlink-encoded
// datagrams, so they drive the same receive loop, splitting, decoding,
// batching and header encoding as production.
type conn interface {
	// recv fills rb with the datagrams queued (at least one unless an
	// error is returned; recvmmsg(2) flags) and returns how many.
	recv(rb *recvBatch, flags int) (int, error)
	// send writes one datagram gathered from iov.
	send(iov []unix.Iovec) error
}

// fdConn is a conn on a blocking datagram descriptor with a receive
// timeout (rawRecvTimeout): the netlink socket in production, a
// socketpair end in tests.
//
// The descriptor is read and written with plain system calls on the
// receive loop's locked OS thread instead of through netlink.Conn. Why
// hand-written: measured in the QEMU/TCG guest, github.com/mdlayher/socket
// starts a cancellation-watcher goroutine and a channel for every read and
// every write, and each read parks in the runtime network poller; per
// frame that was two goroutine creations and several futex wake-ups, and
// the medium was latency-bound at 2 Mbit/s TCP against 18 Mbit/s
// in-kernel with a third of the CPU idle. A descriptor registered with the
// poller (edge-triggered) also woke the runtime's epoll thread for every
// message the kernel queued: 40 % of vmedium's CPU. So the medium socket
// is made with socket(2) directly and never handed to the poller.
type fdConn int

func (c fdConn) recv(rb *recvBatch, flags int) (int, error) { return rb.Recv(int(c), flags) }

func (c fdConn) send(iov []unix.Iovec) error { return genlraw.Writev(int(c), iov) }

func (c fdConn) close() error { return unix.Close(int(c)) }

// rawRecvTimeout bounds each blocking recv so the loop notices ctx and
// Close.
const rawRecvTimeout = 50 * time.Millisecond

// setRecvTimeout makes fd's blocking reads return EAGAIN after
// rawRecvTimeout.
func setRecvTimeout(fd int) error {
	tv := unix.NsecToTimeval(rawRecvTimeout.Nanoseconds())
	return unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
}

// resolveFamily looks up MAC80211_HWSIM on a short-lived library
// connection (the medium socket only carries the family's own messages).
func resolveFamily() (genetlink.Family, error) {
	gc, err := genetlink.Dial(nil)
	if err != nil {
		return genetlink.Family{}, fmt.Errorf("hwsim: dial generic netlink: %w", err)
	}
	defer gc.Close()
	fam, err := gc.GetFamily(FamilyName)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return fam, fmt.Errorf("hwsim: resolve family %s: %w", FamilyName, ErrNoFamily)
		}
		return fam, fmt.Errorf("hwsim: resolve family %s: %w", FamilyName, err)
	}
	return fam, nil
}

// dialMediumSocket opens the medium's netlink socket: blocking with a
// receive timeout, readBuffer bytes of receive buffer, short error replies
// (NETLINK_CAP_ACK: a rejected injection's error does not carry a copy of
// the frame) with the kernel's error message (NETLINK_EXT_ACK), member of
// multicast group (0: none), bound to a port id no autobound socket gets.
//
// The port id trap (measured in the 6.1 guest): hwsim's NETLINK_URELEASE
// notifier compares only the port id, not the protocol nor the namespace,
// so when ANY netlink socket with the medium's port id closes (the
// process's first rtnetlink socket in another namespace also gets port id
// = PID by autobind), the kernel destroys the DESTROY_RADIO_ON_CLOSE radios
// and drops the registration. Autobind uses the PID (< 2^22) or negative
// ids, so an explicit id in [2^30, 2^31) cannot collide with it.
func dialMediumSocket(readBuffer int, group uint32) (fdConn, uint32, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return -1, 0, fmt.Errorf("hwsim: open generic netlink socket: %w", err)
	}
	fail := func(what string, err error) (fdConn, uint32, error) {
		unix.Close(fd)
		return -1, 0, fmt.Errorf("hwsim: medium socket: %s: %w", what, err)
	}
	var pid uint32
	for try := 0; try < 8; try++ {
		pid = uint32(1<<30) | rand.Uint32()&(1<<30-1)
		if err = unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: pid}); !errors.Is(err, unix.EADDRINUSE) {
			break
		}
	}
	if err != nil {
		return fail("bind", err)
	}
	for _, o := range []int{unix.NETLINK_CAP_ACK, unix.NETLINK_EXT_ACK} {
		// Best effort: without them, replies are only longer or terser.
		_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, o, 1)
	}
	// SO_RCVBUFFORCE: root may exceed net.core.rmem_max.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, readBuffer) != nil {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, readBuffer); err != nil {
			return fail(fmt.Sprintf("receive buffer of %d bytes", readBuffer), err)
		}
	}
	if err := setRecvTimeout(fd); err != nil {
		return fail("receive timeout", err)
	}
	if group != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_ADD_MEMBERSHIP, int(group)); err != nil {
			return fail(fmt.Sprintf("join multicast group %q", MulticastConfig), err)
		}
	}
	return fdConn(fd), pid, nil
}

// recvSlots datagrams of up to recvSlotSize bytes each per recvmmsg (the
// kernel sends one message per datagram; the largest, a FRAME carrying a
// maximal A-MSDU, is below 16 KiB).
const (
	recvSlots    = 32
	recvSlotSize = 32 << 10
)

// recvBatch is the receive vector (package genlraw).
type recvBatch = genlraw.RecvBatch

func newRecvBatch(slots, size int) *recvBatch { return genlraw.NewRecvBatch(slots, size) }
