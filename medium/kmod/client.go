// SPDX-License-Identifier: MIT

package kmod

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
)

// ErrNoModule is returned by Dial when the VMEDIUM_RADIO family is not
// registered (vmedium.ko not loaded).
var ErrNoModule = errors.New("kmod: VMEDIUM_RADIO family not found (is vmedium.ko loaded?)")

// ErrBusy is returned by Register when another medium is registered.
var ErrBusy = errors.New("kmod: another medium is registered with vmedium.ko")

// Client talks to vmedium.ko over three generic netlink sockets:
//
//   - events: the registered socket; the module unicasts every event (TX
//     frames, scan/connect/AP requests) to it, and closing it unregisters.
//   - cmds: request/acknowledge control commands (Execute), so each gets
//     its error back.
//   - data: received frames injected without acknowledgement (one
//     writev per frame, through the dataConn seam); the module's error
//     replies for refused injections are read and counted by a goroutine
//     so they never pile up.
//
// The split exists because mdlayher/netlink's Execute matches replies by
// sequence number and would trip over unsolicited events or stray error
// replies on a shared socket.
//
// Every socket asks for extended acknowledgements, so the module's
// explanation of a refusal (GENL_SET_ERR_MSG) reaches the error the
// caller gets, as a *genlraw.AckError from "vmedium.ko".
type Client struct {
	events, cmds *genetlink.Conn
	data         *dataPath
	family       genetlink.Family

	overruns  atomic.Uint64
	closeOnce sync.Once
	closing   atomic.Bool

	// eventsMu guards the switch of the events socket to the raw loop
	// (events_linux.go) against Close.
	eventsMu  sync.Mutex
	eventsRaw bool          // events is closed; runRaw owns a duplicate
	rawDone   chan struct{} // closed when runRaw has closed the duplicate
}

// eventsReadBuffer is the receive buffer asked for on the events socket.
const eventsReadBuffer = 8 << 20

// Dial resolves the VMEDIUM_RADIO family and opens the client's sockets. It
// does not register: call Register, then Run.
func Dial() (*Client, error) {
	var conns [2]*genetlink.Conn
	closeAll := func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}
	for i := range conns {
		c, err := genetlink.Dial(nil)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("kmod: dial generic netlink: %w", err)
		}
		conns[i] = c
		// Best effort: without it errors lack the module's message.
		_ = c.SetOption(netlink.ExtendedAcknowledge, true)
	}
	// A deep queue for the events socket absorbs bursts of TX frames
	// (best effort: the kernel caps it at net.core.rmem_max).
	_ = conns[0].SetReadBuffer(eventsReadBuffer)
	data, err := dialDataSocket()
	if err != nil {
		closeAll()
		return nil, err
	}
	cl, err := newClient(conns[0], conns[1], data, data.close)
	if err != nil {
		closeAll()
		data.close()
		return nil, err
	}
	return cl, nil
}

// newClient builds a client on existing connections: events and cmds
// through the library (tests use genltest), injections through data
// (tests: a socketpair), closed by closeData.
func newClient(events, cmds *genetlink.Conn, data dataConn, closeData func() error) (*Client, error) {
	f, err := cmds.GetFamily(FamilyName)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, ErrNoModule
		}
		return nil, fmt.Errorf("kmod: resolve family %s: %w", FamilyName, err)
	}
	if f.Version != FamilyVersion {
		return nil, fmt.Errorf("kmod: family %s is version %d, this vmedium speaks version %d", FamilyName, f.Version, FamilyVersion)
	}
	return &Client{events: events, cmds: cmds, data: newDataPath(data, closeData), family: f}, nil
}

// FamilyID returns the resolved generic netlink family ID.
func (c *Client) FamilyID() uint16 { return c.family.ID }

// InjectErrors counts received frames the module refused (e.g. interface down).
func (c *Client) InjectErrors() uint64 { return c.data.refused.Load() }

// LastInjectError returns the module's latest refusal of an injection
// (with its message), nil if none.
func (c *Client) LastInjectError() error {
	if e := c.data.last.Load(); e != nil {
		return e
	}
	return nil
}

// Overruns counts receive-buffer overruns of the events socket: the module
// sent faster than the medium read, and the kernel dropped events (frames
// lost on the air, as far as the stack can tell).
func (c *Client) Overruns() uint64 { return c.overruns.Load() }

// Close closes all sockets; closing the events socket unregisters the medium,
// which drops every interface's carrier.
func (c *Client) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.eventsMu.Lock()
		c.closing.Store(true)
		raw, done := c.eventsRaw, c.rawDone
		c.eventsMu.Unlock()
		var eerr error
		if raw {
			<-done // within eventRecvTimeout: the loop sees closing and closes its descriptor
		} else {
			eerr = c.events.Close()
		}
		err = errors.Join(eerr, c.cmds.Close(), c.data.close())
	})
	return err
}

func (c *Client) msg(cmd uint8, ae *netlink.AttributeEncoder) (genetlink.Message, error) {
	var data []byte
	if ae != nil {
		var err error
		if data, err = ae.Encode(); err != nil {
			return genetlink.Message{}, fmt.Errorf("kmod: encode %s: %w", cmdName(cmd), err)
		}
	}
	return genetlink.Message{Header: genetlink.Header{Command: cmd, Version: FamilyVersion}, Data: data}, nil
}

// Register makes the events socket the module's medium. Events the module
// sends right after accepting (before its acknowledgement arrives) are kept
// for Run.
func (c *Client) Register() ([]Event, error) {
	m, _ := c.msg(CmdRegister, nil)
	req, err := c.events.Send(m, c.family.ID, netlink.Request|netlink.Acknowledge)
	if err != nil {
		return nil, fmt.Errorf("kmod: send REGISTER: %w", err)
	}
	var early []Event
	for {
		gms, nms, err := c.events.Receive()
		if err != nil {
			if errors.Is(err, unix.EBUSY) {
				return nil, ErrBusy
			}
			return nil, fmt.Errorf("kmod: REGISTER: %w", fromModule(err))
		}
		acked := false
		for i, nm := range nms {
			if nm.Header.Type == netlink.Error {
				if nm.Header.Sequence == req.Header.Sequence {
					acked = true
				}
				continue
			}
			if e, err := decodeEvent(gms[i].Header.Command, gms[i].Data); err == nil {
				early = append(early, e)
			}
		}
		if acked {
			return early, nil
		}
	}
}

// Unregister stops being the medium without closing the socket. Only
// before Run: Run takes a real events socket over from the library.
func (c *Client) Unregister() error {
	c.eventsMu.Lock()
	raw := c.eventsRaw
	c.eventsMu.Unlock()
	if raw {
		return errors.New("kmod: UNREGISTER: the events socket is being read by Run (close the client instead)")
	}
	m, _ := c.msg(CmdUnregister, nil)
	return c.execOn(c.events, m)
}

// Run reads events and calls h for each, in order, until ctx ends or the
// events socket is closed. Undecodable messages are counted in bad,
// receive-buffer overruns in Overruns.
func (c *Client) Run(ctx context.Context, h func(Event), bad *atomic.Uint64) error {
	if fd, ok, err := c.rawEvents(); err != nil {
		return err
	} else if ok {
		return c.runRaw(ctx, fd, h, bad)
	}
	stop := context.AfterFunc(ctx, func() { c.events.Close() })
	defer stop()
	for {
		gms, nms, err := c.events.Receive()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, unix.ENOBUFS) {
				// The module's events outran us; the dropped frames
				// count as lost on the medium. Keep going.
				c.overruns.Add(1)
				continue
			}
			return fmt.Errorf("kmod: receive events: %w", err)
		}
		for i, nm := range nms {
			if nm.Header.Type == netlink.Error || nm.Header.Type == netlink.Done {
				continue
			}
			e, err := decodeEvent(gms[i].Header.Command, gms[i].Data)
			if err != nil {
				if bad != nil {
					bad.Add(1)
				}
				continue
			}
			h(e)
		}
	}
}

// Radios dumps the module's radios.
func (c *Client) Radios() ([]RadioInfo, error) {
	m, _ := c.msg(CmdGetRadio, nil)
	gms, err := c.cmds.Execute(m, c.family.ID, netlink.Request|netlink.Dump)
	if err != nil {
		return nil, fmt.Errorf("kmod: dump radios: %w", fromModule(err))
	}
	out := make([]RadioInfo, 0, len(gms))
	for _, gm := range gms {
		e, err := decodeEvent(CmdGetRadio, gm.Data)
		if err != nil {
			return nil, err
		}
		out = append(out, e.Radio)
	}
	return out, nil
}

func (c *Client) execOn(conn *genetlink.Conn, m genetlink.Message) error {
	if _, err := conn.Execute(m, c.family.ID, netlink.Request|netlink.Acknowledge); err != nil {
		return fmt.Errorf("kmod: %s: %w", cmdName(m.Header.Command), fromModule(err))
	}
	return nil
}

func (c *Client) exec(cmd uint8, radio uint32, fill func(ae *netlink.AttributeEncoder)) error {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrRadio, radio)
	if fill != nil {
		fill(ae)
	}
	m, err := c.msg(cmd, ae)
	if err != nil {
		return err
	}
	return c.execOn(c.cmds, m)
}

// Inject hands a received Ethernet frame to interface radio (netif_rx). It
// does not wait for the module: refusals are counted in InjectErrors (the
// latest in LastInjectError).
func (c *Client) Inject(radio uint32, eth []byte) error {
	if len(eth) < 14 || len(eth) > MaxFrame {
		return fmt.Errorf("kmod: inject: frame of %d bytes, want 14..%d", len(eth), MaxFrame)
	}
	return c.data.inject(c.family.ID, radio, eth)
}

// ScanResult reports one BSS heard during radio's scan.
func (c *Client) ScanResult(radio uint32, b BSS) error {
	return c.exec(CmdScanResult, radio, b.encode)
}

// ScanDone completes radio's pending scan.
func (c *Client) ScanDone(radio uint32, aborted bool) error {
	return c.exec(CmdScanDone, radio, func(ae *netlink.AttributeEncoder) {
		if aborted {
			ae.Flag(AttrAborted, true)
		}
	})
}

// ConnectResult completes radio's pending connect: status 0 with the BSS it
// joined (bss must be non-nil), or an 802.11 status code on failure.
func (c *Client) ConnectResult(radio uint32, status uint16, bss *BSS) error {
	if status == 0 && bss == nil {
		return fmt.Errorf("kmod: connect result for radio %d: success needs the BSS", radio)
	}
	return c.exec(CmdConnectResult, radio, func(ae *netlink.AttributeEncoder) {
		ae.Uint16(AttrStatus, status)
		if bss != nil {
			bss.encode(ae)
		}
	})
}

// Disconnected tells radio's cfg80211 that the link is gone.
func (c *Client) Disconnected(radio uint32, reason uint16) error {
	return c.exec(CmdDisconnected, radio, func(ae *netlink.AttributeEncoder) {
		ae.Uint16(AttrReason, reason)
	})
}

// Station updates a cached station's information.
func (c *Client) Station(radio uint32, s StationInfo) error {
	return c.exec(CmdStation, radio, s.encode)
}

// NewStation announces a station that associated with radio's AP.
// assocIEs are the station's association request IEs (nil: none), from
// which hostapd reads its RSN element.
func (c *Client) NewStation(radio uint32, s StationInfo, assocIEs []byte) error {
	return c.exec(CmdNewStation, radio, func(ae *netlink.AttributeEncoder) {
		s.encode(ae)
		if len(assocIEs) > 0 {
			ae.Bytes(AttrAssocIEs, assocIEs)
		}
	})
}

// DelStation announces that a station left radio's AP.
func (c *Client) DelStation(radio uint32, addr frames.MAC) error {
	return c.exec(CmdDelStation, radio, func(ae *netlink.AttributeEncoder) {
		putMAC(ae, AttrStaAddr, addr)
	})
}

// SetCarrier turns radio's carrier on or off.
func (c *Client) SetCarrier(radio uint32, on bool) error {
	return c.exec(CmdCarrier, radio, func(ae *netlink.AttributeEncoder) {
		var v uint8
		if on {
			v = 1
		}
		ae.Uint8(AttrCarrier, v)
	})
}
