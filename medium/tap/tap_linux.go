// Package tap is the host side of a userspace radio: a Linux TAP device,
// created inside the radio's network namespace, that carries Ethernet frames
// between the namespace's IP stack and the radio's Go MAC (sta or ap).
//
// Frames the kernel sends on the TAP are read by one goroutine per device
// and handed to the MAC (Sender.SendEthernet), which turns them into 802.11
// data frames on the medium. Frames the MAC receives from the medium come
// back as Ethernet through WriteEthernet, which the MAC uses as its uplink.
//
// The device is created with github.com/songgao/water (IFF_TAP|IFF_NO_PI:
// plain Ethernet frames, no packet-information prefix) and configured with
// github.com/vishvananda/netlink through a handle bound to the namespace.
// It is not persistent: closing it removes the interface.
package tap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/songgao/water"
	"github.com/vishvananda/netlink"

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
	cfg  Config
	ifce *water.Interface
	f    *os.File

	fromFrames, fromBytes, fromErrs, runts atomic.Uint64
	toFrames, toBytes, toErrs              atomic.Uint64

	closed    atomic.Bool
	serveOnce sync.Once
	done      chan struct{} // closed when the reader exits (if started)
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
	var ifce *water.Interface
	create := func() error {
		var err error
		// The TAP is created in the namespace of the thread that opens
		// /dev/net/tun and issues TUNSETIFF, hence netnsutil.Do.
		ifce, err = water.New(water.Config{
			DeviceType:             water.TAP,
			PlatformSpecificParams: water.PlatformSpecificParams{Name: cfg.Name},
		})
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
	f, ok := ifce.ReadWriteCloser.(*os.File)
	if !ok {
		ifce.Close()
		return nil, fmt.Errorf("create tap %s: unexpected device handle %T", cfg.Name, ifce.ReadWriteCloser)
	}
	d := &Device{cfg: cfg, ifce: ifce, f: f, done: make(chan struct{})}
	if err := d.configure(); err != nil {
		ifce.Close()
		return nil, err
	}
	return d, nil
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
	if _, err := d.f.Write(eth); err != nil {
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
		d.started.Store(true)
		go d.readLoop(s)
	})
}

func (d *Device) readLoop(s Sender) {
	defer close(d.done)
	// One buffer for the device's lifetime: SendEthernet is synchronous
	// and copies what it keeps, so the next read may reuse it.
	buf := make([]byte, readBufSize)
	for {
		n, err := d.f.Read(buf)
		if err != nil {
			if d.closed.Load() || errors.Is(err, os.ErrClosed) {
				return
			}
			d.fromErrs.Add(1)
			// A device that was unregistered under us (its namespace
			// deleted) answers EBADFD or EIO forever: stop reading.
			if errors.Is(err, syscall.EBADFD) || errors.Is(err, syscall.EIO) {
				return
			}
			continue
		}
		if n < ethHeaderLen {
			d.runts.Add(1)
			continue
		}
		d.fromFrames.Add(1)
		d.fromBytes.Add(uint64(n))
		if err := s.SendEthernet(buf[:n]); err != nil {
			d.fromErrs.Add(1)
		}
	}
}

// Stats returns the device's counters.
func (d *Device) Stats() Stats {
	return Stats{
		FromHostFrames: d.fromFrames.Load(), FromHostBytes: d.fromBytes.Load(),
		FromHostErrors: d.fromErrs.Load(), Runts: d.runts.Load(),
		ToHostFrames: d.toFrames.Load(), ToHostBytes: d.toBytes.Load(), ToHostErrors: d.toErrs.Load(),
	}
}

// Close removes the interface and stops the reader (waiting for it).
func (d *Device) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	err := d.ifce.Close()
	if d.started.Load() {
		<-d.done
	}
	if err != nil {
		return fmt.Errorf("close tap %s: %w", d.cfg.Name, err)
	}
	return nil
}
