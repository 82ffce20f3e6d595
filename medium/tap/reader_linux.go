package tap

import (
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// readLoop is a device's reader: it runs on its own locked OS thread, reads
// frames with non-blocking read(2) until the queue is empty, and only then
// sleeps in poll(2) on the TAP and the device's wake-up eventfd (Close).
// Only the sleep goes through the runtime's syscall bookkeeping
// (unix.Poll); the reads and the MAC work run as ordinary Go code
// holding the P, so the runtime never hands the P away in the middle of a
// burst of frames (see readFd).
func (d *Device) readLoop() {
	defer close(d.done)
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

// Each running reader keeps a P (the runtime's right to run Go code) for
// the whole of a burst of frames, then sleeps in poll(2) with its P marked
// as "in a syscall". With GOMAXPROCS = number of CPUs (2 here) there is
// then no idle P, so the runtime's monitor thread retakes the sleeping
// reader's P after 20 µs, hands it off, and polls every 20 µs instead of
// backing off; the reader must win a P back on every wake-up. Measured in
// the lab benchmark (BENCHMARKS.md) this cost 15–20 % of the process's
// CPU. So every started reader adds one P, and Close gives it back: the
// rest of the program keeps the Ps it had, and the OS, not the Go
// scheduler, shares the CPUs between the reader threads.
var procsMu sync.Mutex

func addProc(delta int) {
	procsMu.Lock()
	defer procsMu.Unlock()
	if n := runtime.GOMAXPROCS(0) + delta; n >= 1 {
		runtime.GOMAXPROCS(n)
	}
}
