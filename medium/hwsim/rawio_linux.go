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

	"github.com/vmedium/vmedium/medium/internal/genlraw"
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

// enableRaw switches b to raw I/O on its own descriptor for the medium
// socket: blocking mode with a receive timeout. Called by Open only (tests
// keep the library path).
//
// The descriptor is a dup of the library's, and the library's is then
// closed. The trap (in-guest CPU profile): netlink.Conn's descriptor is
// registered (edge-triggered) with Go's network poller, and that
// registration stays when the descriptor is only switched to blocking, so
// every message the kernel queued woke the runtime's epoll_wait thread as
// well as the receive loop: a second thread wake-up per frame, 40 % of
// vmedium's CPU. Closing the library's descriptor removes the registration;
// the socket itself (port id, registration as the medium,
// DESTROY_RADIO_ON_CLOSE radios) lives on in the dup, which the poller
// never saw. Everything after Open that needs an answer from the kernel
// then goes through the receive loop (Start first).
func (b *Backend) enableRaw() error {
	rc, err := b.nc.SyscallConn()
	if err != nil {
		return fmt.Errorf("hwsim: raw socket I/O: %w", err)
	}
	nfd, serr := -1, error(nil)
	err = rc.Control(func(fd uintptr) {
		nfd, serr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("hwsim: raw socket I/O: dup: %w", err)
	}
	tv := unix.NsecToTimeval(rawRecvTimeout.Nanoseconds())
	if err = unix.SetsockoptTimeval(nfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err == nil {
		// O_NONBLOCK belongs to the open file, shared with the library's
		// descriptor, which is closed next.
		err = unix.SetNonblock(nfd, false)
	}
	if err != nil {
		unix.Close(nfd)
		return fmt.Errorf("hwsim: raw socket I/O: %w", err)
	}
	if err := b.nc.Close(); err != nil {
		_ = unix.SetNonblock(nfd, true)
		unix.Close(nfd)
		return fmt.Errorf("hwsim: raw socket I/O: close the library's descriptor: %w", err)
	}
	b.rawFD = nfd
	return nil
}

// runRaw is Run's loop on the raw descriptor. One recvmmsg(2) with
// MSG_WAITFORONE sleeps for the first datagram and then takes whatever
// else is queued without sleeping (under load the kernel queues several
// frames per wake-up); everything received is answered with one write.
// Per wake-up that is two system calls, where a recv per datagram plus the
// recv that finds the queue empty made at least three.
func (b *Backend) runRaw(ctx context.Context) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(b.rawDone)
	slots, size := recvSlots, recvSlotSize
	if b.opts.recvSlots > 0 {
		slots, size = b.opts.recvSlots, b.opts.recvSlotSize
	}
	rb := newRecvBatch(slots, size)
	for ctx.Err() == nil && !b.closing.Load() {
		n, err := rb.recv(b.rawFD, unix.MSG_WAITFORONE)
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
		b.sendMu.Lock()
		b.burst, b.batching = true, true
		b.sendMu.Unlock()
		for got := 0; ; {
			b.handleRecvBatch(rb, n)
			got += n
			if n < len(rb.hdrs) || got >= maxBurst {
				break
			}
			// Every slot was filled: more may be queued.
			if n, err = rb.recv(b.rawFD, unix.MSG_DONTWAIT); err != nil {
				if errors.Is(err, unix.ENOBUFS) {
					b.c.overruns.Add(1)
				}
				break
			}
		}
		b.sendMu.Lock()
		b.flushLocked()
		b.burst, b.batching = false, false
		b.sendMu.Unlock()
	}
	return nil
}

// handleRecvBatch handles the first n datagrams of rb.
func (b *Backend) handleRecvBatch(rb *recvBatch, n int) {
	for i := 0; i < n; i++ {
		h := &rb.hdrs[i]
		if h.hdr.Flags&unix.MSG_TRUNC != 0 {
			b.c.malformed.Add(1) // larger than a slot: cannot be decoded
			continue
		}
		b.handleDatagram(rb.bufs[i][:h.n])
	}
}

// maxBurst bounds the messages drained per wake-up.
const maxBurst = 64

// recvSlots datagrams of up to recvSlotSize bytes each per recvmmsg (the
// kernel sends one message per datagram; the largest, a FRAME carrying a
// maximal A-MSDU, is below 16 KiB).
const (
	recvSlots    = 32
	recvSlotSize = 32 << 10
)

// mmsghdr is struct mmsghdr (x/sys/unix has no recvmmsg wrapper).
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32
}

// recvBatch is the receive vector of recvmmsg, built once.
type recvBatch struct {
	hdrs []mmsghdr
	iovs []unix.Iovec
	bufs [][]byte
}

func newRecvBatch(slots, size int) *recvBatch {
	rb := &recvBatch{hdrs: make([]mmsghdr, slots), iovs: make([]unix.Iovec, slots), bufs: make([][]byte, slots)}
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

// recv is recvmmsg(2) as a raw system call (see rawRecvTimeout): it
// returns the number of datagrams received.
func (rb *recvBatch) recv(fd, flags int) (int, error) {
	for i := range rb.hdrs {
		rb.hdrs[i].hdr.Flags = 0
	}
	n, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, uintptr(fd), uintptr(unsafe.Pointer(&rb.hdrs[0])),
		uintptr(len(rb.hdrs)), uintptr(flags), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

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

// genlMsgHdrLen is struct nlmsghdr + struct genlmsghdr.
const genlMsgHdrLen = genlraw.HeaderLen

// maxIov bounds the vector of one writev (UIO_MAXIOV is 1024).
const maxIov = 1024

// writeBatchRaw writes a batch with writev(2): per message one 20-byte
// header (nlmsghdr + genlmsghdr) and the attributes as Encode returned
// them, so the kernel reads the frame straight from the encoder's output.
// Hand-written headers instead of genetlink.Message.MarshalBinary and
// netlink.Message.MarshalBinary: each of those allocates and copies the
// whole message, which made three extra copies of every injected frame
// (measured with BenchmarkFrameRaw). The headers are the same bytes (pinned
// by TestBatchHeadersMatchLibrary). Called with sendMu held.
func (b *Backend) writeBatchRaw(msgs []outMsg) error {
	need := len(msgs) * genlMsgHdrLen
	if cap(b.hdrBuf) < need {
		b.hdrBuf = make([]byte, need, 2*need)
	}
	hdrs := b.hdrBuf[:need]
	iov, size := b.iov[:0], 0
	var err error
	for i := range msgs {
		m := &msgs[i]
		// Encoded attributes are NLA_ALIGN'd, so l is NLMSG_ALIGN'd.
		l := genlMsgHdrLen + len(m.attrs)
		if len(iov) > 0 && (size+l > maxWrite || len(iov)+2 > maxIov) {
			if err = genlraw.Writev(b.rawFD, iov); err != nil {
				break
			}
			clear(iov)
			iov, size = iov[:0], 0
		}
		h := hdrs[i*genlMsgHdrLen : (i+1)*genlMsgHdrLen]
		genlraw.PutHeader(h, uint32(l), b.family.ID, uint16(netlink.Request), b.txSeq.Add(1)&0x7fffffff, m.cmd, FamilyVersion)
		iov = append(iov, unix.Iovec{Base: &h[0], Len: uint64(len(h))})
		if len(m.attrs) > 0 {
			iov = append(iov, unix.Iovec{Base: &m.attrs[0], Len: uint64(len(m.attrs))})
		}
		size += l
	}
	if err == nil && len(iov) > 0 {
		err = genlraw.Writev(b.rawFD, iov)
	}
	clear(iov) // drop the references to the encoded messages
	b.iov = iov[:0]
	return err
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
