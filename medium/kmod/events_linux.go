// SPDX-License-Identifier: MIT

package kmod

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

// The events socket carries every frame the module's interfaces transmit,
// so after REGISTER it is read by a loop of plain system calls on the
// socket's descriptor ("raw": not through the library). Measured in the QEMU/TCG guest with ftrace, one frame through
// netlink.Conn cost, before the frame was even decoded: the runtime's
// epoll thread woken by the socket, a futex wake-up of a second thread
// (the poller hands the ready goroutine to another P), and two recvmsg
// calls (the library peeks for the size first). The raw loop is one
// recvmmsg(2) (genlraw.RecvBatch) that sleeps on the locked OS thread and returns with the
// frame (and whatever else is queued), like the hwsim backend's loop.
const (
	// eventSlots datagrams of up to eventSlotSize bytes per recvmmsg: the
	// module sends one message per datagram, the largest (CONNECT or
	// START_AP with their IEs, TX with a MaxFrame frame) well below it.
	eventSlots    = 16
	eventSlotSize = 16 << 10
	// eventRecvTimeout bounds each blocking recvmmsg, so the loop notices
	// ctx and Close.
	eventRecvTimeout = 50 * time.Millisecond
)

// rawEvents takes the events socket out of the library: a duplicate of
// its descriptor, blocking with a receive timeout, and the library's
// descriptor closed, which removes it from the runtime's epoll set (its
// edge-triggered registration would otherwise wake the poller thread for
// every event) while the socket, and with it the registration as the
// medium, lives on in the duplicate. ok is false when the connection is
// not a real socket (the tests' genltest connections): Run then reads
// through the library.
func (c *Client) rawEvents() (fd int, ok bool, err error) {
	c.eventsMu.Lock()
	defer c.eventsMu.Unlock()
	if c.closing.Load() || c.eventsRaw {
		return -1, false, nil
	}
	sc, err := c.events.SyscallConn()
	if err != nil {
		return -1, false, nil
	}
	fd = -1
	var derr error
	if cerr := sc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); cerr != nil {
		return -1, false, nil
	}
	if derr != nil {
		return -1, false, fmt.Errorf("kmod: duplicate the events socket: %w", derr)
	}
	fail := func(what string, err error) (int, bool, error) {
		unix.Close(fd)
		return -1, false, fmt.Errorf("kmod: events socket: %s: %w", what, err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		return fail("blocking mode", err)
	}
	tv := unix.NsecToTimeval(eventRecvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return fail("receive timeout", err)
	}
	if err := c.events.Close(); err != nil {
		return fail("close the library's descriptor", err)
	}
	c.eventsRaw = true
	c.rawDone = make(chan struct{})
	return fd, true, nil
}

// runRaw is Run on the raw descriptor fd, which it closes when it returns
// (closing the events socket unregisters, as on the library path).
func (c *Client) runRaw(ctx context.Context, fd int, h func(Event), bad *atomic.Uint64) error {
	defer close(c.rawDone)
	defer unix.Close(fd)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rb := genlraw.NewRecvBatch(eventSlots, eventSlotSize)
	for ctx.Err() == nil && !c.closing.Load() {
		n, err := rb.Recv(fd, unix.MSG_WAITFORONE)
		switch {
		case err == nil:
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOBUFS):
			// The module's events outran us; the dropped frames count
			// as lost on the medium. Keep going.
			c.overruns.Add(1)
			continue
		default:
			if ctx.Err() != nil || c.closing.Load() {
				break
			}
			return fmt.Errorf("kmod: receive events: %w", err)
		}
		for i := 0; i < n; i++ {
			d, cut := rb.Datagram(i)
			if cut {
				countBad(bad) // larger than a slot: cannot be decoded
				continue
			}
			handleEventDatagram(d, h, bad)
		}
	}
	return ctx.Err()
}

// handleEventDatagram splits a datagram into netlink messages
// (NLMSG_ALIGN'd lengths) and calls h for each event; acknowledgements and
// error replies are skipped, undecodable messages counted in bad.
func handleEventDatagram(d []byte, h func(Event), bad *atomic.Uint64) {
	for len(d) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(d))
		if l < unix.NLMSG_HDRLEN || l > len(d) {
			countBad(bad)
			return
		}
		al := min(nlmsgAlign(l), len(d))
		var nm netlink.Message
		var gm genetlink.Message
		switch err := nm.UnmarshalBinary(d[:al]); {
		case err != nil:
			countBad(bad)
		case nm.Header.Type == netlink.Error || nm.Header.Type == netlink.Done:
		case gm.UnmarshalBinary(nm.Data) != nil:
			countBad(bad)
		default:
			if e, err := decodeEvent(gm.Header.Command, gm.Data); err != nil {
				countBad(bad)
			} else {
				h(e)
			}
		}
		d = d[al:]
	}
}

func countBad(bad *atomic.Uint64) {
	if bad != nil {
		bad.Add(1)
	}
}
