// SPDX-License-Identifier: MIT

package kmod

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

// dataConn is the module's data socket as the client uses it: Inject
// writes one CMD_RX datagram per received frame, and the module's error
// replies to the injections it refuses are read back. In production it is
// a netlink socket (dialDataSocket); the tests use one end of an AF_UNIX
// datagram socketpair and play the module on the other end, so they drive
// the same encoder, header and writev as production.
type dataConn interface {
	// send writes one datagram gathered from iov.
	send(iov []unix.Iovec) error
	// recv reads one datagram into buf; EAGAIN after a receive timeout.
	recv(buf []byte) (int, error)
}

// dataFD is a dataConn on a blocking datagram descriptor with a receive
// timeout (dataRecvTimeout).
type dataFD int

func (d dataFD) send(iov []unix.Iovec) error { return genlraw.Writev(int(d), iov) }

func (d dataFD) recv(buf []byte) (int, error) {
	n, _, err := unix.Recvfrom(int(d), buf, 0)
	return n, err
}

func (d dataFD) close() error { return unix.Close(int(d)) }

// dataRecvTimeout bounds each read of the error-reply reader so it notices
// Close (closing a descriptor does not wake a read blocked on it).
const dataRecvTimeout = 100 * time.Millisecond

// dialDataSocket opens the data socket: a generic netlink socket written
// with writev(2) (each CMD_RX: the hand-written 20-byte header and the
// attributes as AttributeEncoder.Encode returned them; package genlraw
// says why), blocking, with short error replies that carry the module's
// message (NETLINK_CAP_ACK: no copy of the refused frame;
// NETLINK_EXT_ACK: the message set with GENL_SET_ERR_MSG).
func dialDataSocket() (dataFD, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return -1, fmt.Errorf("kmod: open the data socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("kmod: bind the data socket: %w", err)
	}
	for _, o := range []int{unix.NETLINK_CAP_ACK, unix.NETLINK_EXT_ACK} {
		_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, o, 1) // best effort: replies are only longer or terser
	}
	tv := unix.NsecToTimeval(dataRecvTimeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("kmod: data socket receive timeout: %w", err)
	}
	return dataFD(fd), nil
}

// dataPath is the client's injection path on its data socket.
type dataPath struct {
	conn    dataConn
	closeFn func() error // closes conn's descriptor
	mu      sync.RWMutex // senders share it; close takes it alone, so the descriptor is never reused under a send
	closed  bool
	stop    atomic.Bool
	done    chan struct{} // closed when the error-reply reader returns
	seq     atomic.Uint32

	refused atomic.Uint64
	last    atomic.Pointer[genlraw.AckError] // the latest refusal
}

func newDataPath(conn dataConn, closeFn func() error) *dataPath {
	d := &dataPath{conn: conn, closeFn: closeFn, done: make(chan struct{})}
	go d.readReplies()
	return d
}

// inject writes one CMD_RX message for family.
func (d *dataPath) inject(family uint16, radio uint32, eth []byte) error {
	// The radio index through ae.Bytes from a 4-byte array (ae.Uint32
	// would allocate a slice for it as well).
	var rv [4]byte
	binary.NativeEndian.PutUint32(rv[:], radio)
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(AttrRadio, rv[:])
	ae.Bytes(AttrFrame, eth)
	attrs, err := ae.Encode()
	if err != nil {
		return fmt.Errorf("kmod: encode %s: %w", cmdName(CmdRx), err)
	}
	sc := scratchPool.Get().(*scratch)
	defer func() {
		sc.iov[1] = unix.Iovec{} // drop the reference to the frame
		scratchPool.Put(sc)
	}()
	genlraw.PutHeader(sc.h[:], uint32(genlraw.HeaderLen+len(attrs)), family, uint16(netlink.Request), d.seq.Add(1)&0x7fffffff, CmdRx, FamilyVersion)
	sc.iov = [2]unix.Iovec{{Base: &sc.h[0], Len: genlraw.HeaderLen}, {Base: &attrs[0], Len: uint64(len(attrs))}}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return fmt.Errorf("kmod: inject into radio %d: client closed", radio)
	}
	if err := d.conn.send(sc.iov[:]); err != nil {
		return fmt.Errorf("kmod: inject into radio %d: %w", radio, err)
	}
	return nil
}

// scratch is an injection's header and write vector. Through the dataConn
// interface they would escape to the heap on every call (two allocations
// per frame); MACs inject from several goroutines, so each call takes its
// own from a pool.
type scratch struct {
	h   [genlraw.HeaderLen]byte
	iov [2]unix.Iovec
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// readReplies reads the data socket until close: the module answers a
// refused injection (e.g. interface down) with an error message even
// without an acknowledgement request; each is counted, the latest kept.
func (d *dataPath) readReplies() {
	defer close(d.done)
	buf := make([]byte, 4096) // capped replies: header + message
	for !d.stop.Load() {
		n, err := d.conn.recv(buf)
		if err != nil {
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
				continue
			}
			if errors.Is(err, unix.ENOBUFS) {
				// Replies were dropped: refusals, at least one.
				d.refused.Add(1)
				continue
			}
			return
		}
		d.handleReplies(buf[:n])
	}
}

// handleReplies counts the refusals in one datagram.
func (d *dataPath) handleReplies(b []byte) {
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.NativeEndian.Uint32(b))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			return
		}
		flags := binary.NativeEndian.Uint16(b[6:])
		if binary.NativeEndian.Uint16(b[4:]) == unix.NLMSG_ERROR {
			if a, err := genlraw.ParseAck(flags, b[unix.NLMSG_HDRLEN:l]); err == nil && a.Code < 0 {
				d.refused.Add(1)
				d.last.Store(moduleError(a))
			}
		}
		b = b[min(nlmsgAlign(l), len(b)):]
	}
}

// close stops the reader and closes the socket.
func (d *dataPath) close() error {
	d.stop.Store(true)
	select {
	case <-d.done:
	case <-time.After(3 * dataRecvTimeout):
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.closeFn()
}

// moduleError is the error for the module's refusal a.
func moduleError(a genlraw.Ack) *genlraw.AckError {
	return &genlraw.AckError{From: "vmedium.ko", Message: a.Message, Errno: unix.Errno(-a.Code)}
}

// fromModule turns the library's error for a refused request into the
// module's error (its extended-ack message with the errno), so the user
// reads e.g. "vmedium.ko: no scan in progress on this radio: no such file
// or directory". Other errors are returned as they are.
func fromModule(err error) error {
	var oe *netlink.OpError
	var en unix.Errno
	if errors.As(err, &oe) && errors.As(oe.Err, &en) {
		return &genlraw.AckError{From: "vmedium.ko", Message: oe.Message, Errno: en}
	}
	return err
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
