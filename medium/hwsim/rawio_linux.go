package hwsim

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// The frame path reads and writes the medium socket's file descriptor with
// plain blocking system calls on one locked OS thread instead of through
// netlink.Conn. Why hand-written: measured in the QEMU/TCG guest,
// github.com/mdlayher/socket starts a cancellation-watcher goroutine and a
// channel for every read and every write (rwT), and each read parks in the
// runtime network poller; per frame that is two goroutine creations and
// several futex wake-ups, and the medium was latency-bound at 2 Mbit/s TCP
// against 18 Mbit/s in-kernel with a third of the CPU idle. The library
// still does everything else: dial, family lookup, REGISTER, message and
// attribute encoding/decoding (netlink.Message.UnmarshalBinary/
// MarshalBinary); only the datagram loop and the nlmsghdr splitting below
// are ours.

// rawRecvTimeout bounds each blocking recv so the loop notices ctx. The
// recv is a raw system call (the scheduler is not told, so no P hand-off
// and no spinning thread per frame — measured as a quarter of the
// medium's CPU in the guest); the price is that a stop-the-world waits for
// the recv to return, at most this long when the air is idle.
const rawRecvTimeout = 50 * time.Millisecond

// enableRaw switches b to raw I/O on nc's descriptor: blocking mode with a
// receive timeout. Called by Open only (tests keep the library path).
func (b *Backend) enableRaw() error {
	rc, err := b.nc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		b.rawFD = int(fd)
		if serr = unix.SetNonblock(int(fd), false); serr != nil {
			return
		}
		tv := unix.NsecToTimeval(rawRecvTimeout.Nanoseconds())
		serr = unix.SetsockoptTimeval(int(fd), unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		b.rawFD = -1
		return fmt.Errorf("hwsim: raw socket I/O: %w", err)
	}
	return nil
}

// runRaw is Run's loop on the raw descriptor.
func (b *Backend) runRaw(ctx context.Context) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(b.rawDone)
	buf := make([]byte, 64<<10)
	for ctx.Err() == nil && !b.closing.Load() {
		n, err := rawRecv(b.rawFD, buf)
		switch {
		case err == nil:
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOBUFS):
			b.c.overruns.Add(1)
			b.log.Warn("hwsim: receive buffer overrun: the kernel dropped messages")
			continue
		default:
			if ctx.Err() != nil || b.closing.Load() {
				return nil
			}
			return fmt.Errorf("hwsim: receive: %w", err)
		}
		// Drain what else is queued and answer it all with one write:
		// under load the kernel queues several frames per wake-up.
		b.sendMu.Lock()
		b.burst, b.batching = true, true
		b.sendMu.Unlock()
		b.handleDatagram(buf[:n])
		for i := 0; i < maxBurst; i++ {
			n, _, err := unix.Recvfrom(b.rawFD, buf, unix.MSG_DONTWAIT)
			if err != nil {
				if errors.Is(err, unix.ENOBUFS) {
					b.c.overruns.Add(1)
				}
				break
			}
			b.handleDatagram(buf[:n])
		}
		b.sendMu.Lock()
		b.flushLocked()
		b.burst, b.batching = false, false
		b.sendMu.Unlock()
	}
	return nil
}

// maxBurst bounds the messages drained per wake-up.
const maxBurst = 64

// maxWrite bounds one write: netlink refuses a message larger than the
// socket's send buffer (EMSGSIZE), 212992 bytes by default.
const maxWrite = 64 << 10

// handleDatagram splits a datagram into netlink messages (NLMSG_ALIGN'd
// nlmsghdr lengths) and handles each.
func (b *Backend) handleDatagram(d []byte) {
	for len(d) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(d))
		if l < unix.NLMSG_HDRLEN || l > len(d) {
			b.c.malformed.Add(1)
			return
		}
		al := nlmsgAlign(l)
		if al > len(d) {
			al = len(d)
		}
		var m netlink.Message
		// UnmarshalBinary wants an aligned slice; the header's length
		// still bounds Data.
		if err := m.UnmarshalBinary(d[:al]); err != nil {
			b.c.malformed.Add(1)
			return
		}
		if m.Header.Type == netlink.Error {
			b.handleAck(m)
		} else {
			b.handle(m)
		}
		d = d[al:]
	}
}

// handleAck routes an NLMSG_ERROR: an answer to a waiting request, else the
// kernel's refusal of an injection (EINVAL: receiver off channel or down).
func (b *Backend) handleAck(m netlink.Message) {
	if len(m.Data) < 4 {
		b.c.malformed.Add(1)
		return
	}
	code := int32(binary.NativeEndian.Uint32(m.Data))
	var err error
	if code != 0 {
		// Same form netlink.Conn gives, so radioIDFromAck reads both.
		err = &netlink.OpError{Op: "receive", Err: syscall.Errno(-code), Sequence: m.Header.Sequence}
	}
	if b.answer(m.Header.Sequence, err) {
		return
	}
	if code != 0 {
		b.c.rejected.Add(1)
	}
}

// sendRaw writes msgs in as few write(2)s as maxWrite allows (the kernel
// processes each message of a datagram in turn).
func (b *Backend) sendRaw(msgs []netlink.Message) error {
	b.rawBuf = b.rawBuf[:0]
	for i := range msgs {
		if len(b.rawBuf) > 0 && len(b.rawBuf)+unix.NLMSG_HDRLEN+len(msgs[i].Data) > maxWrite {
			if err := b.writeRaw(); err != nil {
				return err
			}
			b.rawBuf = b.rawBuf[:0]
		}
		m := &msgs[i]
		m.Header.Length = uint32(nlmsgAlign(unix.NLMSG_HDRLEN + len(m.Data)))
		if m.Header.Sequence == 0 {
			m.Header.Sequence = b.txSeq.Add(1) & 0x7fffffff
		}
		enc, err := m.MarshalBinary()
		if err != nil {
			return err
		}
		b.rawBuf = append(b.rawBuf, enc...)
	}
	return b.writeRaw()
}

func (b *Backend) writeRaw() error {
	for {
		// A normal system call: a raw one that blocked (full socket
		// buffer) would stall every stop-the-world indefinitely.
		_, err := unix.Write(b.rawFD, b.rawBuf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		return err
	}
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

// rawRecv is recv(2) as a raw system call on a blocking descriptor.
func rawRecv(fd int, buf []byte) (int, error) {
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
