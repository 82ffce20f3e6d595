// SPDX-License-Identifier: MIT

// Package tap is the host side of a userspace radio: a Linux TAP device,
// created inside the radio's network namespace, that carries Ethernet frames
// between the namespace's IP stack and the radio's Go MAC (sta or ap).
//
// Frames the kernel sends on the TAP are read by the device's reader (its
// own locked OS thread, see reader_linux.go) and handed to the MAC
// (Sender.SendEthernet), which turns them into 802.11 data frames on the
// medium. Frames the MAC receives from the medium come back as Ethernet
// through WriteEthernet, which the MAC uses as its uplink.
//
// The device is created by opening /dev/net/tun with IFF_TAP|IFF_NO_PI
// (plain Ethernet frames, no packet-information prefix) and configured with
// github.com/vishvananda/netlink through a handle bound to the namespace.
// It is not persistent: closing it removes the interface.
//
// Performance: frames are read and written with plain read(2) and write(2)
// on the raw, non-blocking descriptor; the reader sleeps in poll(2) only
// when the queue is empty. This is why the device is not opened with
// github.com/songgao/water, the library the issue names for TAPs: water
// wraps the descriptor in an *os.File, which registers it with Go's
// netpoller; reads then park and wake goroutines through the runtime's
// epoll thread and hand them between threads, a cost per burst of frames
// on top of the syscalls themselves. Measured in BENCHMARKS.md ("Lab
// throughput").
package tap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// DefaultMTU is the MTU of a radio's interface when none is configured.
const DefaultMTU = 1500

// MaxMTU is the largest accepted MTU: an 802.11 MSDU carries at most 2304
// bytes, so a larger Ethernet payload could not be sent as one data frame.
const MaxMTU = 2304

// MinMTU is the smallest accepted MTU (IPv4's minimum).
const MinMTU = 68

// ethHeaderLen is the length of an Ethernet II header.
const ethHeaderLen = 14

// readBufSize bounds one frame read from the TAP. Without IFF_VNET_HDR the
// kernel never hands us more than MTU + Ethernet header (+ a VLAN tag), so
// this is generous; it is allocated once per device.
const readBufSize = MaxMTU + ethHeaderLen + 4 + 64

// Config describes a TAP device.
type Config struct {
	Name  string         // interface name, e.g. vw1 (at most 15 bytes)
	Netns string         // named network namespace (as in `ip netns`); "" = the caller's
	MAC   frames.MAC     // the interface's hardware address (the radio's)
	MTU   int            // 0 = DefaultMTU; MinMTU..MaxMTU
	Addrs []netip.Prefix // addresses to add, e.g. 10.0.0.2/24
}

// Sender takes an Ethernet frame read from the host; the sta and ap MACs
// implement it. eth is only valid during the call.
type Sender interface {
	SendEthernet(eth []byte) error
}

// BatchSender is a Sender that can take several frames at once; the
// reader hands it the frames one wake-up finds queued, up to readBatch, in
// order (the sta MAC encrypts them together). It returns how many frames
// it refused. The frames are only valid during the call.
type BatchSender interface {
	Sender
	SendEthernetBatch(eths [][]byte) (refused int)
}

// readBatch is the most frames the reader hands a BatchSender at once
// (what the sta MAC's CCMP batch takes).
const readBatch = 4

// Stats are a device's counters, seen from the host: FromHost are frames
// the namespace's stack sent out on the interface (towards the air), ToHost
// are frames written up into the stack (from the air).
type Stats struct {
	FromHostFrames uint64 `json:"from_host_frames"`
	FromHostBytes  uint64 `json:"from_host_bytes"`
	FromHostErrors uint64 `json:"from_host_errors"` // the MAC refused the frame (e.g. not associated)
	Runts          uint64 `json:"runts"`            // reads shorter than an Ethernet header, dropped
	ToHostFrames   uint64 `json:"to_host_frames"`
	ToHostBytes    uint64 `json:"to_host_bytes"`
	ToHostErrors   uint64 `json:"to_host_errors"`
}

// Device is an open TAP device.
type Device struct {
	cfg Config
	fd  int // the /dev/net/tun descriptor (non-blocking); -1 after Close

	sender Sender        // set by Serve
	wake   int           // eventfd that wakes the reader for Close
	done   chan struct{} // closed when the reader has returned (if started)

	// fdMu guards fd against Close: writers hold it shared so that the
	// descriptor number is never closed (and possibly reused) under a
	// write in progress.
	fdMu sync.RWMutex

	fromFrames, fromBytes, fromErrs, runts atomic.Uint64
	toFrames, toBytes, toErrs              atomic.Uint64

	closed    atomic.Bool
	serveOnce sync.Once
	started   atomic.Bool
}

// ErrClosed is returned by WriteEthernet after Close.
var ErrClosed = errors.New("tap device closed")

// ValidateMTU checks an MTU value.
func ValidateMTU(mtu int) error {
	if mtu != 0 && (mtu < MinMTU || mtu > MaxMTU) {
		return fmt.Errorf("invalid mtu %d: accepted is %d to %d (an 802.11 MSDU carries at most %d bytes)", mtu, MinMTU, MaxMTU, MaxMTU)
	}
	return nil
}

// Open creates the TAP device in cfg.Netns and configures it: hardware
// address, MTU, addresses, and link up.
func Open(cfg Config) (*Device, error) {
	if cfg.Name == "" || len(cfg.Name) > 15 {
		return nil, fmt.Errorf("invalid interface name %q: accepted is 1 to 15 bytes", cfg.Name)
	}
	if err := ValidateMTU(cfg.MTU); err != nil {
		return nil, err
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.MAC.IsGroup() || cfg.MAC.IsZero() {
		return nil, fmt.Errorf("invalid hardware address %s for %s: accepted is a unicast, non-zero address", cfg.MAC, cfg.Name)
	}
	fd := -1
	create := func() error {
		// The TAP is created in the namespace of the thread that opens
		// /dev/net/tun and issues TUNSETIFF, hence netnsutil.Do.
		var err error
		fd, err = openTap(cfg.Name)
		return err
	}
	var err error
	if cfg.Netns != "" {
		err = netnsutil.Do(cfg.Netns, create)
	} else {
		err = create()
	}
	if err != nil {
		return nil, fmt.Errorf("create tap %s in namespace %q: %w", cfg.Name, cfg.Netns, err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("create tap %s: eventfd: %w", cfg.Name, err)
	}
	d := &Device{cfg: cfg, fd: fd, wake: wake, done: make(chan struct{})}
	if err := d.configure(); err != nil {
		syscall.Close(fd)
		syscall.Close(wake)
		return nil, err
	}
	return d, nil
}

// openTap creates the TAP device name in the calling thread's namespace and
// returns its non-blocking descriptor (close-on-exec, never registered with
// Go's netpoller; see the package comment for why).
func openTap(name string) (int, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return -1, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err == nil {
		ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI)
		err = unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("TUNSETIFF %s: %w", name, err)
	}
	return fd, nil
}

func (d *Device) configure() error {
	var h *netlink.Handle
	var err error
	if d.cfg.Netns != "" {
		h, err = netnsutil.Handle(d.cfg.Netns)
	} else {
		h, err = netlink.NewHandle()
	}
	if err != nil {
		return fmt.Errorf("configure tap %s: %w", d.cfg.Name, err)
	}
	defer h.Close()
	l, err := h.LinkByName(d.cfg.Name)
	if err != nil {
		return fmt.Errorf("configure tap %s: find link: %w", d.cfg.Name, err)
	}
	if err := h.LinkSetHardwareAddr(l, net.HardwareAddr(d.cfg.MAC[:])); err != nil {
		return fmt.Errorf("configure tap %s: set address %s: %w", d.cfg.Name, d.cfg.MAC, err)
	}
	if err := h.LinkSetMTU(l, d.cfg.MTU); err != nil {
		return fmt.Errorf("configure tap %s: set mtu %d: %w", d.cfg.Name, d.cfg.MTU, err)
	}
	for _, p := range d.cfg.Addrs {
		a := &netlink.Addr{IPNet: &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}}
		if err := h.AddrAdd(l, a); err != nil {
			return fmt.Errorf("configure tap %s: add address %s: %w", d.cfg.Name, p, err)
		}
	}
	if err := h.LinkSetUp(l); err != nil {
		return fmt.Errorf("configure tap %s: set up: %w", d.cfg.Name, err)
	}
	return nil
}

// Name returns the interface name.
func (d *Device) Name() string { return d.cfg.Name }

// Netns returns the namespace the device lives in ("" = the creator's).
func (d *Device) Netns() string { return d.cfg.Netns }

// MTU returns the configured MTU.
func (d *Device) MTU() int { return d.cfg.MTU }

// WriteEthernet writes one Ethernet frame up into the host stack. It is the
// MAC's uplink; safe for concurrent use.
func (d *Device) WriteEthernet(eth []byte) error {
	if d.closed.Load() {
		return ErrClosed
	}
	d.fdMu.RLock()
	if d.fd < 0 {
		d.fdMu.RUnlock()
		return ErrClosed
	}
	_, err := writeFd(d.fd, eth)
	if err == syscall.EAGAIN {
		// The descriptor is non-blocking for the reader; a TAP write
		// only fails so when its socket's send buffer is full (INT_MAX
		// by default, so practically never): wait once.
		unix.Poll([]unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLOUT}}, 100)
		_, err = writeFd(d.fd, eth)
	}
	d.fdMu.RUnlock()
	if err != nil {
		d.toErrs.Add(1)
		return fmt.Errorf("write to tap %s: %w", d.cfg.Name, err)
	}
	d.toFrames.Add(1)
	d.toBytes.Add(uint64(len(eth)))
	return nil
}

// Serve starts the reader goroutine that hands every frame the host sends
// to s. It may be called once; frames sent before it are queued by the
// kernel (up to the interface's txqueuelen).
func (d *Device) Serve(s Sender) {
	d.serveOnce.Do(func() {
		d.sender = s
		d.started.Store(true)
		go d.readLoop()
	})
}

// Stats returns the device's counters.
func (d *Device) Stats() Stats {
	return Stats{
		FromHostFrames: d.fromFrames.Load(), FromHostBytes: d.fromBytes.Load(),
		FromHostErrors: d.fromErrs.Load(), Runts: d.runts.Load(),
		ToHostFrames: d.toFrames.Load(), ToHostBytes: d.toBytes.Load(), ToHostErrors: d.toErrs.Load(),
	}
}

// Close stops the reader (waking it and waiting for it) and closes the
// descriptor, which removes the interface.
func (d *Device) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	if d.started.Load() {
		unix.Write(d.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0}) // eventfd += 1 (little-endian u64)
		<-d.done
	}
	d.fdMu.Lock()
	err := syscall.Close(d.fd)
	d.fd = -1
	d.fdMu.Unlock()
	syscall.Close(d.wake)
	if err != nil {
		return fmt.Errorf("close tap %s: %w", d.cfg.Name, err)
	}
	return nil
}

// readFd and writeFd are read(2) and write(2) on the raw descriptor,
// without *os.File's poller and locking. They use syscall.RawSyscall: the
// descriptor is non-blocking, so they never sleep, and skipping the
// runtime's syscall bookkeeping keeps the P with the reader for a whole
// burst of frames (the runtime would otherwise hand it to another thread
// during a long write, which runs the receiver's TCP stack, and the reader
// would have to win a P back).
func readFd(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func writeFd(fd int, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}
