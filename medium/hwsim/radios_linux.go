package hwsim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/nl80211"
)

// SysfsClass lists one hwsimN device per kernel radio, whatever network
// namespace its wiphy lives in (the device class is not namespaced).
const SysfsClass = "/sys/class/mac80211_hwsim"

// RadioIDs returns the ids of every existing hwsim radio.
func RadioIDs() ([]int, error) {
	ents, err := os.ReadDir(SysfsClass)
	if err != nil {
		return nil, fmt.Errorf("hwsim: list radios: %w", err)
	}
	var ids []int
	for _, e := range ents {
		if n, err := strconv.Atoi(strings.TrimPrefix(e.Name(), "hwsim")); err == nil && strings.HasPrefix(e.Name(), "hwsim") {
			ids = append(ids, n)
		}
	}
	sort.Ints(ids)
	return ids, nil
}

// nsInterface is a wireless interface and the namespace it was found in
// ("" = the initial one, else a /run/netns path).
type nsInterface struct {
	nl80211.Interface
	ns string
}

// allInterfaces dumps the wireless interfaces of the initial namespace and
// of every named one (/run/netns/*), keyed by MAC.
func allInterfaces() map[frames.MAC]nsInterface {
	out := map[frames.MAC]nsInterface{}
	add := func(ns string, ifs []nl80211.Interface) {
		for _, i := range ifs {
			if _, dup := out[i.MAC]; !dup {
				out[i.MAC] = nsInterface{i, ns}
			}
		}
	}
	if ifs, err := nl80211.Interfaces(); err == nil {
		add("", ifs)
	}
	ents, _ := os.ReadDir("/run/netns")
	for _, e := range ents {
		p := filepath.Join("/run/netns", e.Name())
		if ifs, err := nl80211.InterfacesIn(p); err == nil {
			add(p, ifs)
		}
	}
	return out
}

// ifaceCache keeps one allInterfaces scan for ifaceCacheTTL: `vmctl radios`
// asks every attached radio for its status in turn, and each would
// otherwise dump the interfaces of every namespace again (radios ×
// namespaces dumps per call with many radios).
type ifaceCache struct {
	mu  sync.Mutex
	at  time.Time
	ifs map[frames.MAC]nsInterface
}

const ifaceCacheTTL = time.Second

func (c *ifaceCache) get() map[frames.MAC]nsInterface {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ifs == nil || time.Since(c.at) > ifaceCacheTTL {
		c.ifs, c.at = allInterfaces(), time.Now()
	}
	return c.ifs
}

// interfaceStatus describes, for `vmctl radios`, the MAC of an attached
// radio whose daemons vmedium does not run: its interface (the one with
// address vif, wherever it lives now) as cfg80211 reports it — the role
// from the interface type, the channel and SSID, and from a station dump
// the AP a station is associated with (with the signal mac80211 measured;
// the SSID from its scan results) or an AP's associated stations.
func interfaceStatus(ifs map[frames.MAC]nsInterface, vif frames.MAC) medium.MACStatus {
	i, ok := ifs[vif]
	if !ok {
		return medium.MACStatus{State: "no interface"}
	}
	st := medium.MACStatus{Role: nl80211.IftypeRole(i.Type), SSID: i.SSID, FreqMHz: i.FreqMHz}
	// Without a station dump (an error) the state stays idle or down.
	stas, _ := nl80211.StationsIn(i.ns, i.Index)
	switch i.Type {
	case nl80211.IftypeStation, nl80211.IftypeP2PClient:
		st.State = "idle"
		for _, s := range stas { // a station's one peer: its AP
			if !s.Associated {
				continue
			}
			st.State, st.BSSID = "associated", s.MAC.String()
			if s.HasSignal {
				sig := s.SignalDBm
				st.SignalDBm = &sig
			}
			if st.SSID == "" {
				if bss, ok, err := nl80211.AssociatedBSSIn(i.ns, i.Index); err == nil && ok {
					st.SSID = bss.SSID
				}
			}
			break
		}
	case nl80211.IftypeAP, nl80211.IftypeP2PGO:
		st.State = "down"
		if i.SSID != "" { // set while beaconing
			st.State, st.BSSID = "enabled", i.MAC.String()
		}
		for _, s := range stas {
			if s.Associated {
				st.Stations = append(st.Stations, s.MAC.String())
			}
		}
	}
	return st
}

// Discover attaches every existing hwsim radio not served yet (attach mode:
// radios from `modprobe mac80211_hwsim radios=N`, possibly moved into
// namespaces with `iw phy … set netns`). A radio is named after its first
// interface (the one with its default address 02:00:00:HH:LL:00, found by an
// nl80211 dump of the initial and every named namespace), else hwsimN. It
// returns how many radios it attached.
func (b *Backend) Discover() (int, error) {
	ids, err := RadioIDs()
	if err != nil {
		return 0, err
	}
	served := b.Served()
	var ifs map[frames.MAC]nsInterface
	n := 0
	for _, id := range ids {
		if _, ok := served[id]; ok {
			continue
		}
		b.mu.Lock()
		ours := false
		for name := range b.expect {
			if b.expectID[name] == id {
				ours = true
			}
		}
		b.mu.Unlock()
		if ours {
			continue
		}
		if ifs == nil {
			ifs = allInterfaces()
		}
		name, addr := fmt.Sprintf("hwsim%d", id), HwAddr(id)
		if i, ok := ifs[VifAddr(id)]; ok {
			name, addr = i.Name, i.MAC
		}
		if _, taken := b.m.Radio(name); taken {
			name = fmt.Sprintf("%s-hwsim%d", name, id)
		}
		r, err := b.Attach(id, name, HwAddr(id), addr)
		if err != nil {
			return n, err
		}
		vif := addr
		r.SetStatusSource(func() medium.MACStatus { return interfaceStatus(b.ifaces.get(), vif) })
		n++
	}
	return n, nil
}

// CreatedRadio is a radio made by CreateRadio.
type CreatedRadio struct {
	ID     int
	Wiphy  string // wiphy name (RADIO_NAME)
	HwAddr frames.MAC
	Vif    frames.MAC // address of its first interface
}

// CreateRadio makes a kernel radio with HWSIM_CMD_NEW_RADIO named wiphy,
// destroyed when the backend closes (DESTROY_RADIO_ON_CLOSE on the medium's
// socket). The kernel answers with the new radio's id in the "error" field
// of the ACK (a positive value); that quirk is handled here. The radio is not
// served until Attach.
func (b *Backend) CreateRadio(wiphy string) (CreatedRadio, error) {
	b.mu.Lock()
	b.expect[wiphy] = true
	b.mu.Unlock()
	ae := netlink.NewAttributeEncoder()
	ae.String(AttrRadioName, wiphy)
	ae.Flag(AttrDestroyRadioOnClose, true)
	ae.Uint32(AttrChannels, 1)
	data, err := ae.Encode()
	if err != nil {
		return CreatedRadio{}, err
	}
	id, err := b.newRadio(data)
	if err != nil {
		b.mu.Lock()
		delete(b.expect, wiphy)
		b.mu.Unlock()
		return CreatedRadio{}, fmt.Errorf("hwsim: create radio %s: %w", wiphy, err)
	}
	b.mu.Lock()
	b.expectID[wiphy] = id
	b.mu.Unlock()
	return CreatedRadio{ID: id, Wiphy: wiphy, HwAddr: HwAddr(id), Vif: VifAddr(id)}, nil
}

// newRadio sends NEW_RADIO and waits for its answer. The answer comes on
// the medium socket, whose receive loop may be running, so the request is
// sent with a sequence number and the loop hands the matching ACK over.
func (b *Backend) newRadio(attrs []byte) (int, error) {
	gm := genetlink.Message{Header: genetlink.Header{Command: CmdNewRadio, Version: FamilyVersion}, Data: attrs}
	if !b.running.Load() {
		if b.rawFD >= 0 {
			// Raw I/O: the library's descriptor is closed (enableRaw),
			// answers arrive through the receive loop only.
			return 0, errors.New("hwsim: create a radio after Start (its answer arrives through the receive loop)")
		}
		_, err := b.gc.Execute(gm, b.family.ID, netlink.Request|netlink.Acknowledge)
		return radioIDFromAck(err)
	}
	ch := make(chan error, 1)
	b.waitMu.Lock()
	seq := b.nextSeq()
	b.waiters[seq] = ch
	b.waitMu.Unlock()
	data, err := gm.MarshalBinary()
	if err != nil {
		return 0, err
	}
	msg := netlink.Message{Header: netlink.Header{Type: netlink.HeaderType(b.family.ID),
		Flags: netlink.Request | netlink.Acknowledge, Sequence: seq}, Data: data}
	b.sendMu.Lock()
	err = b.sendLocked([]netlink.Message{msg})
	b.sendMu.Unlock()
	if err != nil {
		b.waitMu.Lock()
		delete(b.waiters, seq)
		b.waitMu.Unlock()
		return 0, err
	}
	return radioIDFromAck(<-ch)
}

// radioIDFromAck decodes NEW_RADIO's answer: the id is the positive
// "error" of the ACK (0 arrives as a plain ACK).
func radioIDFromAck(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var oe *netlink.OpError
	if errors.As(err, &oe) {
		var en syscall.Errno
		if errors.As(oe.Err, &en) {
			if id := -int(en); id > 0 {
				return id, nil
			}
		}
	}
	return 0, err
}
