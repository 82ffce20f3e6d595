// SPDX-License-Identifier: MIT

// Package vmnic is the host side of a VM's plain NIC on the air: a
// listening stream socket that QEMU's `-netdev stream` connects to. QEMU
// carries the guest NIC's Ethernet frames on that stream, each preceded by
// its length as a 4-byte big-endian number (the framing of QEMU's stream
// and socket netdevs); the Port hands them to a Go station (sta.STA) whose
// address is the NIC's, and writes what the station receives from the air
// back the same way. The VM needs no Wi-Fi driver: its Ethernet traffic
// crosses the medium as 802.11 data frames of that station.
//
// One VM at a time: a new connection (the VM rebooted, or QEMU reconnected
// after a vmedium restart with `reconnect=`) replaces the old one. While no
// VM is connected, frames from the air for it are dropped and counted.
// A length that cannot be a frame desynchronises the stream, so the
// connection is closed and counted; a frame too short for an Ethernet
// header is counted and skipped. Nothing from the VM can panic the Port.
package vmnic

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vmedium/vmedium/frames"
)

// Accepted names the listen address forms, for error messages.
const Accepted = "unix:PATH or tcp:HOST:PORT"

// lenSize is the size of the length that precedes each frame on the stream.
const lenSize = 4

// MaxFrame bounds one frame on the stream: an 802.11 MSDU carries at most
// 2304 bytes, plus the Ethernet header and a VLAN tag. QEMU's virtio-net
// without offloads never sends more than MTU + 18.
const MaxFrame = 2304 + frames.EthHeaderLen + 4

// ErrNoVM is returned by WriteEthernet while no VM is connected.
var ErrNoVM = errors.New("no VM connected")

// Addr is a parsed listen address.
type Addr struct {
	Network string // "unix" or "tcp"
	Address string // the path, or host:port
}

func (a Addr) String() string {
	if a.Network == "tcp" {
		return "tcp:" + a.Address
	}
	return "unix:" + a.Address
}

// ParseAddr parses `unix:PATH` or `tcp:HOST:PORT`.
func ParseAddr(s string) (Addr, error) {
	scheme, rest, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return Addr{}, fmt.Errorf("listen address %q has no scheme: accepted is %s", s, Accepted)
	case scheme == "unix":
		if rest == "" || strings.ContainsRune(rest, 0) {
			return Addr{}, fmt.Errorf("listen address %q: want a socket path after unix: (accepted is %s)", s, Accepted)
		}
		return Addr{Network: "unix", Address: rest}, nil
	case scheme == "tcp":
		_, port, err := net.SplitHostPort(rest)
		if err != nil {
			return Addr{}, fmt.Errorf("listen address %q: want HOST:PORT after tcp: ([v6]:PORT for IPv6; accepted is %s)", s, Accepted)
		}
		if p, err := strconv.ParseUint(port, 10, 16); err != nil || p == 0 {
			return Addr{}, fmt.Errorf("listen address %q: port %q: accepted is 1 to 65535", s, port)
		}
		return Addr{Network: "tcp", Address: rest}, nil
	default:
		return Addr{}, fmt.Errorf("listen address %q: unknown scheme %q: accepted is %s", s, scheme, Accepted)
	}
}

// Sender takes an Ethernet frame from the VM; sta.STA implements it. eth is
// only valid during the call.
type Sender interface {
	SendEthernet(eth []byte) error
}

// Config describes a Port.
type Config struct {
	Name string     // the radio's name, for logs
	Addr Addr       // where to listen
	MAC  frames.MAC // the radio's (and the VM NIC's) address, for the mismatch warning
	Log  *slog.Logger
	// Owner, when set, owns a unix socket (mode 0660) so that an
	// unprivileged QEMU can connect to a socket made by root.
	Owner *Owner
}

// Owner is a uid and gid.
type Owner struct{ UID, GID int }

// Stats are a Port's counters.
type Stats struct {
	Connected     bool   `json:"connected"`
	Connections   uint64 `json:"connections"`
	FromVMFrames  uint64 `json:"from_vm_frames"`
	FromVMBytes   uint64 `json:"from_vm_bytes"`
	FromVMErrors  uint64 `json:"from_vm_errors"` // the station refused the frame (not associated, foreign source, …)
	Runts         uint64 `json:"runts"`          // frames shorter than an Ethernet header, skipped
	BadLength     uint64 `json:"bad_length"`     // lengths no frame can have: the connection was closed
	ToVMFrames    uint64 `json:"to_vm_frames"`
	ToVMBytes     uint64 `json:"to_vm_bytes"`
	ToVMNoVM      uint64 `json:"to_vm_no_vm"` // frames from the air while no VM was connected, dropped
	ToVMErrors    uint64 `json:"to_vm_errors"`
	ForeignSource uint64 `json:"foreign_source"` // frames from another address than the radio's, dropped by the station
}

// Port is a listening VM NIC endpoint.
type Port struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener

	// wmu serialises writes to the current connection and guards conn
	// and wbuf; it is the radio's own lock, never shared between radios.
	wmu  sync.Mutex
	conn net.Conn
	wbuf []byte

	closed atomic.Bool
	wg     sync.WaitGroup

	connected                              atomic.Bool
	conns, fromFrames, fromBytes, fromErrs atomic.Uint64
	runts, badLen, foreign                 atomic.Uint64
	toFrames, toBytes, toNoVM, toErrs      atomic.Uint64
}

// Listen opens the listening socket. A unix socket path that exists is
// taken over only when it is a socket nobody listens on (left by a crashed
// run); anything else there is an error.
func Listen(cfg Config) (*Port, error) {
	lg := cfg.Log
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	if cfg.Addr.Network == "unix" {
		if err := os.MkdirAll(filepath.Dir(cfg.Addr.Address), 0o755); err != nil {
			return nil, fmt.Errorf("vmnic %s: directory for %s: %w", cfg.Name, cfg.Addr, err)
		}
		if err := clearStaleSocket(cfg.Addr.Address); err != nil {
			return nil, fmt.Errorf("vmnic %s: %w", cfg.Name, err)
		}
	}
	ln, err := net.Listen(cfg.Addr.Network, cfg.Addr.Address)
	if err != nil {
		return nil, fmt.Errorf("vmnic %s: listen on %s: %w", cfg.Name, cfg.Addr, err)
	}
	if cfg.Addr.Network == "unix" && cfg.Owner != nil {
		if err := os.Chown(cfg.Addr.Address, cfg.Owner.UID, cfg.Owner.GID); err != nil {
			ln.Close()
			return nil, fmt.Errorf("vmnic %s: give %s to uid %d: %w", cfg.Name, cfg.Addr, cfg.Owner.UID, err)
		}
		if err := os.Chmod(cfg.Addr.Address, 0o660); err != nil {
			ln.Close()
			return nil, fmt.Errorf("vmnic %s: chmod %s: %w", cfg.Name, cfg.Addr, err)
		}
	}
	return &Port{cfg: cfg, log: lg, ln: ln, wbuf: make([]byte, lenSize+MaxFrame)}, nil
}

// clearStaleSocket removes a socket file nobody listens on.
func clearStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket: remove it or choose another listen path", path)
	}
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s is in use: another process listens on it (another vmedium?)", path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("check %s: %w", path, err)
	}
	return os.Remove(path)
}

// Addr returns the address the Port listens on (for tcp:HOST:0, the port
// the kernel chose).
func (p *Port) Addr() net.Addr { return p.ln.Addr() }

// Serve accepts VMs and hands their frames to s, until Close.
func (p *Port) Serve(s Sender) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		p.acceptLoop(s)
	}()
}

func (p *Port) acceptLoop(s Sender) {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if p.closed.Load() {
				return
			}
			p.log.Warn("vmnic: accept failed", "radio", p.cfg.Name, "err", err)
			continue
		}
		p.wmu.Lock()
		if p.closed.Load() { // Close ran between Accept and here
			p.wmu.Unlock()
			c.Close()
			return
		}
		old := p.conn
		p.conn = c
		p.wmu.Unlock()
		if old != nil {
			old.Close() // its reader returns on its own
			p.log.Info("vmnic: a new VM connection replaces the old one", "radio", p.cfg.Name)
		}
		p.conns.Add(1)
		p.connected.Store(true)
		p.log.Info("vmnic: VM connected", "radio", p.cfg.Name, "from", c.RemoteAddr().String())
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			err := p.readLoop(c, s)
			p.wmu.Lock()
			if p.conn == c {
				p.conn = nil
				p.connected.Store(false)
			}
			p.wmu.Unlock()
			c.Close()
			if !p.closed.Load() {
				p.log.Info("vmnic: VM disconnected", "radio", p.cfg.Name, "reason", err)
			}
		}()
	}
}

// readLoop reads length-prefixed frames from one connection into one
// reused buffer until the connection ends or its framing breaks.
func (p *Port) readLoop(c net.Conn, s Sender) error {
	buf := make([]byte, lenSize+MaxFrame)
	warned := false
	for {
		if _, err := io.ReadFull(c, buf[:lenSize]); err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(buf[:lenSize])
		if n == 0 || n > MaxFrame {
			p.badLen.Add(1)
			return fmt.Errorf("frame length %d: accepted is 1 to %d: stream out of step, closed", n, MaxFrame)
		}
		frame := buf[lenSize : lenSize+int(n)]
		if _, err := io.ReadFull(c, frame); err != nil {
			return err
		}
		if n < frames.EthHeaderLen {
			p.runts.Add(1)
			continue
		}
		p.fromFrames.Add(1)
		p.fromBytes.Add(uint64(n))
		if err := s.SendEthernet(frame); err != nil {
			p.fromErrs.Add(1)
			if src := frames.MAC(frame[6:12]); src != p.cfg.MAC {
				p.foreign.Add(1)
				if !warned {
					warned = true
					p.log.Warn("vmnic: the VM's NIC sends from another address than the radio's: its frames are dropped; give QEMU the radio's address (-device virtio-net-pci,...,mac=RADIO) or set the radio's mac: to the NIC's",
						"radio", p.cfg.Name, "nic", src.String(), "radio_mac", p.cfg.MAC.String())
				}
			}
		}
	}
}

// WriteEthernet sends a frame from the air to the VM. It is the station's
// uplink; ErrNoVM while no VM is connected.
func (p *Port) WriteEthernet(eth []byte) error {
	if len(eth) > MaxFrame {
		p.toErrs.Add(1)
		return fmt.Errorf("vmnic %s: %d-byte frame: larger than %d", p.cfg.Name, len(eth), MaxFrame)
	}
	p.wmu.Lock()
	c := p.conn
	if c == nil {
		p.wmu.Unlock()
		p.toNoVM.Add(1)
		return ErrNoVM
	}
	binary.BigEndian.PutUint32(p.wbuf[:lenSize], uint32(len(eth)))
	n := copy(p.wbuf[lenSize:], eth)
	_, err := c.Write(p.wbuf[:lenSize+n])
	p.wmu.Unlock()
	if err != nil {
		p.toErrs.Add(1)
		return fmt.Errorf("vmnic %s: write to VM: %w", p.cfg.Name, err)
	}
	p.toFrames.Add(1)
	p.toBytes.Add(uint64(len(eth)))
	return nil
}

// Stats returns the Port's counters.
func (p *Port) Stats() Stats {
	return Stats{
		Connected: p.connected.Load(), Connections: p.conns.Load(),
		FromVMFrames: p.fromFrames.Load(), FromVMBytes: p.fromBytes.Load(), FromVMErrors: p.fromErrs.Load(),
		Runts: p.runts.Load(), BadLength: p.badLen.Load(),
		ToVMFrames: p.toFrames.Load(), ToVMBytes: p.toBytes.Load(), ToVMNoVM: p.toNoVM.Load(), ToVMErrors: p.toErrs.Load(),
		ForeignSource: p.foreign.Load(),
	}
}

// Counters returns the counters by name, for `vmctl radios`.
func (s Stats) Counters() map[string]uint64 {
	b := uint64(0)
	if s.Connected {
		b = 1
	}
	return map[string]uint64{
		"vmnic_connected": b, "vmnic_connections": s.Connections,
		"vmnic_from_vm_frames": s.FromVMFrames, "vmnic_from_vm_errors": s.FromVMErrors,
		"vmnic_runts": s.Runts, "vmnic_bad_length": s.BadLength, "vmnic_foreign_source": s.ForeignSource,
		"vmnic_to_vm_frames": s.ToVMFrames, "vmnic_to_vm_no_vm": s.ToVMNoVM, "vmnic_to_vm_errors": s.ToVMErrors,
	}
}

// Close stops listening, drops the VM's connection and waits for the
// Port's goroutines. A unix socket file is removed.
func (p *Port) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	err := p.ln.Close()
	p.wmu.Lock()
	if p.conn != nil {
		p.conn.Close()
	}
	p.wmu.Unlock()
	p.wg.Wait()
	return err
}
