// SPDX-License-Identifier: MIT

package tap

import (
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/internal/procs"
)

// readLoop is a device's reader: it runs on its own locked OS thread, reads
// frames with non-blocking read(2) until the queue is empty, and only then
// sleeps in poll(2) on the TAP and the device's wake-up eventfd (Close).
// Only the sleep goes through the runtime's syscall bookkeeping
// (unix.Poll); the reads and the MAC work run as ordinary Go code
// holding the P, so the runtime never hands the P away in the middle of a
// burst of frames (see readFd).
//
// While it runs the reader reserves one extra P (package procs): it holds
// its P through a burst and then sleeps in poll(2), and without a spare P
// the runtime's monitor retakes and hands off the sleeping reader's P
// every 20 µs, 15–20 % of the process's CPU in the lab benchmark. The P
// is given back before done is closed, so it is back when Close returns.
func (d *Device) readLoop() {
	defer close(d.done)
	defer procs.Reserve()()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	// One buffer for the device's lifetime: SendEthernet is synchronous
	// and copies what it keeps, so the next read may reuse it.
	buf := make([]byte, readBufSize)
	pfd := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}, {Fd: int32(d.wake), Events: unix.POLLIN}}
	for !d.closed.Load() {
		if gone := d.drain(buf); gone {
			return
		}
		if d.closed.Load() {
			return
		}
		if _, err := unix.Poll(pfd, -1); err != nil && err != unix.EINTR {
			d.fromErrs.Add(1)
		}
		if pfd[0].Revents&unix.POLLNVAL != 0 {
			return // descriptor closed under us: cannot happen before Close
		}
	}
}

// drain reads frames until the queue is empty and hands them to the
// device's Sender. It reports whether the device is gone (unregistered
// under us, e.g. its namespace deleted): it answers EBADFD, EIO or EFAULT
// from then on.
func (d *Device) drain(buf []byte) (gone bool) {
	for {
		n, err := readFd(d.fd, buf)
		if err != nil {
			switch err {
			case syscall.EAGAIN:
				return false
			case syscall.EINTR:
				continue
			case syscall.EBADFD, syscall.EIO, syscall.EFAULT:
				d.fromErrs.Add(1)
				return true
			}
			d.fromErrs.Add(1)
			return false
		}
		if n < ethHeaderLen {
			d.runts.Add(1)
			continue
		}
		d.fromFrames.Add(1)
		d.fromBytes.Add(uint64(n))
		if err := d.sender.SendEthernet(buf[:n]); err != nil {
			d.fromErrs.Add(1)
		}
	}
}
