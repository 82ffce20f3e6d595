package kmod

import (
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

// rawData is a dup of the data socket's descriptor, on which Inject writes
// each CMD_RX message with one writev(2): the hand-written 20-byte header
// and the attributes as AttributeEncoder.Encode returned them (package
// genlraw says why). The library's descriptor stays open: drainData reads
// the module's error replies on it, and they reach the same socket.
type rawData struct {
	mu  sync.RWMutex // writers share it; close takes it alone, so fd is never reused under a write
	fd  int          // -1 once closed
	seq atomic.Uint32
}

// openRawData returns the data socket's raw descriptor, or nil when the
// connection has none (the genltest fakes of the tests): Inject then goes
// through the library.
func openRawData(c *genetlink.Conn) *rawData {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil || derr != nil {
		return nil
	}
	return &rawData{fd: fd}
}

func (r *rawData) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return err
}

// inject writes one CMD_RX message for family.
func (r *rawData) inject(family uint16, radio uint32, eth []byte) error {
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
	var h [genlraw.HeaderLen]byte
	genlraw.PutHeader(h[:], uint32(genlraw.HeaderLen+len(attrs)), family, uint16(netlink.Request), r.seq.Add(1)&0x7fffffff, CmdRx, FamilyVersion)
	iov := [2]unix.Iovec{{Base: &h[0], Len: genlraw.HeaderLen}, {Base: &attrs[0], Len: uint64(len(attrs))}}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.fd < 0 {
		return fmt.Errorf("kmod: inject into radio %d: client closed", radio)
	}
	if err := genlraw.Writev(r.fd, iov[:]); err != nil {
		return fmt.Errorf("kmod: inject into radio %d: %w", radio, err)
	}
	return nil
}
