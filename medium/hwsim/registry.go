// SPDX-License-Identifier: MIT

package hwsim

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// hwRadio is one served kernel radio.
type hwRadio struct {
	id     int
	name   string
	hwAddr frames.MAC // addresses[1]: the radio's netlink identity
	r      *medium.Radio
}

// registry is the backend's table of radios: the served ones by hwsim
// address and by id, the addresses each radio answers to (from
// ADD/DEL_MAC_ADDR, counted by reference), and the radios being created
// by CreateRadio. It changes with configuration, never per frame: the
// frame path reads served, a copy of byHw replaced on every change (copy
// on write), without a lock.
type registry struct {
	mu       sync.Mutex // guards the tables below
	byHw     map[frames.MAC]*hwRadio
	byID     map[int]*hwRadio
	refs     map[frames.MAC]map[frames.MAC]int // hwsim address → vif address → references
	expect   map[string]bool                   // radio names being created by us
	expectID map[string]int                    // … and their ids once known
	served   atomic.Pointer[map[frames.MAC]*hwRadio]
}

func (g *registry) init() {
	g.byHw, g.byID = map[frames.MAC]*hwRadio{}, map[int]*hwRadio{}
	g.refs = map[frames.MAC]map[frames.MAC]int{}
	g.expect, g.expectID = map[string]bool{}, map[string]int{}
	g.publishLocked()
}

// lookup returns the served radio whose hwsim address is hw (frame path).
func (g *registry) lookup(hw frames.MAC) *hwRadio { return (*g.served.Load())[hw] }

func (g *registry) publishLocked() {
	m := make(map[frames.MAC]*hwRadio, len(g.byHw))
	for k, v := range g.byHw {
		m[k] = v
	}
	g.served.Store(&m)
}

// HwAddr returns the default hwsim address (addresses[1]) of radio id:
// 42:00:00:HH:LL:00. VifAddr is addresses[0], 02:00:00:HH:LL:00, the
// address of the radio's first interface. Radios created with PERM_ADDR
// use that address for both.
func HwAddr(id int) frames.MAC { return frames.MAC{0x42, 0, 0, byte(id >> 8), byte(id), 0} }

// VifAddr returns the default address of radio id's first interface.
func VifAddr(id int) frames.MAC { return frames.MAC{0x02, 0, 0, byte(id >> 8), byte(id), 0} }

// Attach serves kernel radio id under name on the medium. hw is its hwsim
// address (netlink identity, addresses[1]); addr is the medium radio's own
// address, normally its interface's MAC (addresses[0]): the radio always
// answers to it, whatever ADD/DEL_MAC_ADDR say (the kernel removes a
// station's own address once more than it adds it around scans). Other
// addresses (scan, link, extra interfaces) follow ADD/DEL_MAC_ADDR.
func (b *Backend) Attach(id int, name string, hw, addr frames.MAC) (*medium.Radio, error) {
	g := &b.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	if hr, ok := g.byID[id]; ok {
		return nil, fmt.Errorf("hwsim: attach radio %d as %s: already served as %s", id, name, hr.name)
	}
	p := &port{b: b, hw: hw}
	r, err := b.m.AddRadio(medium.RadioConfig{Name: name, Kind: medium.KindHwsim, Addr: addr}, p)
	if err != nil {
		return nil, fmt.Errorf("hwsim: attach radio %d: %w", id, err)
	}
	hr := &hwRadio{id: id, name: name, hwAddr: hw, r: r}
	g.byID[id] = hr
	g.byHw[hw] = hr
	for a, n := range g.refs[hw] {
		for i := 0; i < n; i++ {
			r.AddAddr(a)
		}
	}
	g.publishLocked()
	b.log.Info("hwsim: serving radio", "id", id, "name", name, "hwaddr", hw.String(), "addr", addr.String())
	return r, nil
}

// Detach stops serving radio id and removes it from the medium.
func (b *Backend) Detach(id int) {
	g := &b.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	hr, ok := g.byID[id]
	if !ok {
		return
	}
	delete(g.byID, id)
	delete(g.byHw, hr.hwAddr)
	delete(g.refs, hr.hwAddr)
	b.m.RemoveRadio(hr.r)
	g.publishLocked()
}

// Served returns the names of the radios served, by radio id.
func (b *Backend) Served() map[int]string {
	g := &b.reg
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[int]string, len(g.byID))
	for id, hr := range g.byID {
		out[id] = hr.name
	}
	return out
}

// addRef counts one more reference of radio hw to address a.
func (g *registry) addRef(hw, a frames.MAC) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.refs[hw]
	if m == nil {
		m = map[frames.MAC]int{}
		g.refs[hw] = m
	}
	m[a]++
	if hr := g.byHw[hw]; hr != nil {
		hr.r.AddAddr(a)
	}
}

// delRef drops one reference of radio hw to address a.
func (g *registry) delRef(hw, a frames.MAC) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.refs[hw]
	if m[a] <= 0 {
		return
	}
	if m[a]--; m[a] == 0 {
		delete(m, a)
	}
	if hr := g.byHw[hw]; hr != nil {
		hr.r.DelAddr(a)
	}
}

// ours reports whether radio id (named name, "" if unknown) is served or
// being created by this backend.
func (g *registry) ours(id int, name string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.byID[id]; ok {
		return true
	}
	if name != "" && g.expect[name] {
		return true
	}
	for n := range g.expect {
		if eid, known := g.expectID[n]; known && eid == id {
			return true
		}
	}
	return false
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
// of the ACK (a positive value). The radio is not served until Attach.
func (b *Backend) CreateRadio(wiphy string) (CreatedRadio, error) {
	return b.CreateRadioWith(NewRadio{Wiphy: wiphy})
}

// NewRadio describes a radio for CreateRadioWith.
type NewRadio struct {
	Wiphy string // wiphy name (RADIO_NAME); "" lets the kernel name it phyN
	// PermAddr, when not zero, is the radio's permanent address
	// (PERM_ADDR): its first interface's and its hwsim address both. The
	// kernel refuses an address another radio has (EEXIST).
	PermAddr frames.MAC
	// Keep leaves the radio in the kernel when the backend closes (no
	// DESTROY_RADIO_ON_CLOSE): its interfaces, and the daemons on them,
	// outlive the medium.
	Keep bool
}

// CreateRadioWith makes a kernel radio as nr says (see CreateRadio).
func (b *Backend) CreateRadioWith(nr NewRadio) (CreatedRadio, error) {
	g := &b.reg
	wiphy := nr.Wiphy
	if wiphy != "" {
		g.mu.Lock()
		g.expect[wiphy] = true
		g.mu.Unlock()
	}
	ae := netlink.NewAttributeEncoder()
	if wiphy != "" {
		ae.String(AttrRadioName, wiphy)
	}
	if !nr.Keep {
		ae.Flag(AttrDestroyRadioOnClose, true)
	}
	if nr.PermAddr != (frames.MAC{}) {
		ae.Bytes(AttrPermAddr, nr.PermAddr[:])
	}
	ae.Uint32(AttrChannels, 1)
	attrs, err := ae.Encode()
	var id int32
	if err == nil {
		id, err = b.request(CmdNewRadio, attrs)
	}
	if err != nil {
		g.mu.Lock()
		delete(g.expect, wiphy)
		g.mu.Unlock()
		return CreatedRadio{}, fmt.Errorf("hwsim: create radio %s: %w", wiphy, err)
	}
	cr := CreatedRadio{ID: int(id), Wiphy: wiphy, HwAddr: HwAddr(int(id)), Vif: VifAddr(int(id))}
	if nr.PermAddr != (frames.MAC{}) {
		cr.HwAddr, cr.Vif = nr.PermAddr, nr.PermAddr
	}
	if wiphy != "" {
		g.mu.Lock()
		g.expectID[wiphy] = int(id)
		g.mu.Unlock()
	}
	return cr, nil
}
