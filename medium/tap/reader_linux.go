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
	// Buffers for the device's lifetime: SendEthernet is synchronous
	// and copies what it keeps, so the next read may reuse them.
	buf := make([]byte, readBufSize)
	bs, batch := d.sender.(BatchSender)
	var bufs [readBatch][]byte
	if batch {
		for i := range bufs {
			bufs[i] = make([]byte, readBufSize)
		}
	}
	pfd := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}, {Fd: int32(d.wake), Events: unix.POLLIN}}
	for !d.closed.Load() {
		var gone bool
		if batch {
			gone = d.drainBatch(bs, &bufs)
		} else {
			gone = d.drain(buf)
		}
		if gone {
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

// read reads one frame into buf: n > 0 is a frame of at least an
// Ethernet header (runts are counted and skipped); n == 0 with gone false
// means the queue is empty.
func (d *Device) read(buf []byte) (n int, gone bool) {
	for {
		n, err := readFd(d.fd, buf)
		if err != nil {
			switch err {
			case syscall.EAGAIN:
				return 0, false
			case syscall.EINTR:
				continue
			case syscall.EBADFD, syscall.EIO, syscall.EFAULT:
				d.fromErrs.Add(1)
				return 0, true
			}
			d.fromErrs.Add(1)
			return 0, false
		}
		if n < ethHeaderLen {
			d.runts.Add(1)
			continue
		}
		d.fromFrames.Add(1)
		d.fromBytes.Add(uint64(n))
		return n, false
	}
}

// drainBatch is drain for a BatchSender: it reads up to readBatch frames
// and hands them over together whenever the batch is full or the queue is
// empty, so no frame waits for a later one.
func (d *Device) drainBatch(bs BatchSender, bufs *[readBatch][]byte) (gone bool) {
	var fs [readBatch][]byte
	for {
		k := 0
		for k < readBatch {
			n, g := d.read(bufs[k])
			if n == 0 {
				gone = g
				break
			}
			fs[k] = bufs[k][:n]
			k++
		}
		if k > 0 {
			if refused := bs.SendEthernetBatch(fs[:k]); refused > 0 {
				d.fromErrs.Add(uint64(refused))
			}
		}
		if k < readBatch {
			return gone
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
