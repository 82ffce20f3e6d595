// SPDX-License-Identifier: MIT

package ap

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// Four-address (WDS) stations, Config.WDSSta.
//
// A three-address To-DS frame names its source only as the transmitter,
// so the AP can tell one address per station: a frame whose source is not
// an associated station is a class-3 frame from an unassociated one and
// is dropped (class3_from_unassociated), and an AP without WDSSta drops
// every four-address frame (wds_dropped), as mac80211 does on an AP
// interface.
//
// With WDSSta, like hostapd's wds_sta=1 (which moves such a station to an
// AP_VLAN interface of its own that can join a bridge):
//   - the first four-address frame from an associated station (the Go STA
//     and mac80211 send a four-address null-data frame right after
//     associating) marks it as a WDS station until it leaves;
//   - the source address (A4) of its four-address frames is learned in
//     the forwarding table: that address is behind that station;
//   - everything for a WDS station, or for an address learned behind it,
//     goes to it as a four-address unicast frame (RA=station, TA=BSSID,
//     DA, SA);
//   - group frames go out once as usual (three-address, for the ordinary
//     stations) and to each WDS station as a four-address unicast copy,
//     except to the station the frame came from; a WDS station drops
//     three-address group frames, so it sees each group frame once.
//
// The forwarding table is one map for the whole AP (an address is behind
// one station at a time) read from an immutable snapshot like the station
// table: a lookup is lock and allocation free, learning a new address or
// a move copies the map (rare; bounded by MaxLearnedPerStation and
// MaxLearned). An entry refreshes its timestamp atomically on every frame
// and ages out after LearnedAge without one; it goes with its station.

// Bounds and ageing of the forwarding table (0 in Config = these).
const (
	DefaultMaxLearnedPerStation = 64
	DefaultMaxLearned           = 1024
	DefaultLearnedAge           = 300 * time.Second // the Linux bridge's default ageing time
)

// fdbEntry is one address learned behind a WDS station.
type fdbEntry struct {
	sta      *station
	lastSeen atomic.Int64 // coarse clock (unix ns)
}

// fdbEmpty is the forwarding table before anything is learned.
var fdbEmpty = map[frames.MAC]*fdbEntry{}

// fourAddrFrom decides on a four-address frame from associated station
// st: dropped (counted) without WDSSta, else st becomes a WDS station.
func (a *AP) fourAddrFrom(st *station) bool {
	if !a.cfg.WDSSta {
		a.c.wdsDropped.Add(1)
		return false
	}
	if !st.wds.Load() && st.wds.CompareAndSwap(false, true) {
		a.c.wdsStations.Add(1)
		a.log.Info("station talks four-address: WDS station", "sta", st.addr.String())
	}
	a.c.wdsRx.Add(1)
	return true
}

// behind returns the WDS station an address was learned behind, if that
// station is still associated.
func (a *AP) behind(t *table, m frames.MAC) *station {
	e := (*a.fdb.Load())[m]
	if e == nil || t.byAddr[e.sta.addr] != e.sta {
		return nil
	}
	return e.sta
}

// learn records that sa is behind WDS station st (a four-address frame
// from st had source sa). Refreshing a known entry is one atomic store;
// a new address or a move copies the table under a.mu.
func (a *AP) learn(sa frames.MAC, st *station) {
	if sa == st.addr || sa.IsGroup() || sa.IsZero() || sa == a.cfg.Addr {
		return
	}
	now := a.clock.Load()
	if e := (*a.fdb.Load())[sa]; e != nil && e.sta == st {
		if e.lastSeen.Load() != now {
			e.lastSeen.Store(now)
		}
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tbl.Load()
	if t.byAddr[sa] != nil {
		return // an associated station's own address is never behind another
	}
	old := *a.fdb.Load()
	if e := old[sa]; e != nil && e.sta == st {
		return // learned meanwhile
	}
	if st.learned.Load() >= int32(a.cfg.MaxLearnedPerStation) || len(old) >= a.cfg.MaxLearned {
		a.c.wdsLearnFull.Add(1)
		return
	}
	nt := make(map[frames.MAC]*fdbEntry, len(old)+1)
	for m, e := range old {
		nt[m] = e
	}
	if prev := old[sa]; prev != nil {
		prev.sta.learned.Add(-1) // moved from behind another station
		a.c.wdsMoves.Add(1)
	}
	e := &fdbEntry{sta: st}
	e.lastSeen.Store(now)
	nt[sa] = e
	st.learned.Add(1)
	a.fdb.Store(&nt)
	a.c.wdsLearned.Add(1)
}

// expireLearnedLocked drops entries older than LearnedAge before now and
// entries whose station is gone. Called with a.mu held.
func (a *AP) expireLearnedLocked(now time.Time) {
	old := *a.fdb.Load()
	if len(old) == 0 {
		return
	}
	limit := now.Add(-a.cfg.LearnedAge).UnixNano()
	t := a.tbl.Load()
	var nt map[frames.MAC]*fdbEntry
	for m, e := range old {
		if e.lastSeen.Load() >= limit && t.byAddr[e.sta.addr] == e.sta {
			continue
		}
		if nt == nil {
			nt = make(map[frames.MAC]*fdbEntry, len(old))
			for m2, e2 := range old {
				nt[m2] = e2
			}
		}
		delete(nt, m)
		e.sta.learned.Add(-1)
		a.c.wdsAged.Add(1)
	}
	if nt != nil {
		a.fdb.Store(&nt)
	}
}

// sendFour sends body (an LLC/SNAP MSDU, plaintext) to WDS station dst as
// a four-address frame from the BSSID with final destination da and
// original source sa. It reports whether the frame went out.
func (a *AP) sendFour(r *medium.Radio, dst *station, da, sa frames.MAC, body []byte) bool {
	if frames.DataHeaderLen4+len(body) > frames.MaxMPDU {
		a.c.malformed.Add(1)
		return false
	}
	bp := bufPool.Get().(*[bufSize]byte)
	defer bufPool.Put(bp)
	b := frames.AppendDataHeader(bp[:0], a.fourHeader(dst, da, sa))
	return a.txFour(r, dst, append(b, body...))
}

func (a *AP) fourHeader(dst *station, da, sa frames.MAC) frames.DataHeader {
	return frames.DataHeader{ToDS: true, FromDS: true, Addr1: dst.addr, Addr2: a.cfg.Addr, Addr3: da, Addr4: sa, Seq: a.nextSeq()}
}

// txFour protects a four-address frame b (in a pooled buffer with room
// for the CCMP overhead) with dst's pairwise key on a WPA2 network and
// transmits it.
func (a *AP) txFour(r *medium.Radio, dst *station, b []byte) bool {
	if a.rsn != nil && a.rsn.ext != nil {
		var ok bool
		if b, ok = a.extProtect(b, dst, false); !ok {
			return false
		}
	} else if a.rsn != nil {
		k, ok := a.txKey(dst)
		if !ok {
			return false
		}
		var err error
		if b, err = k.Encrypt(b); err != nil {
			a.c.malformed.Add(1)
			return false
		}
	}
	res := r.Transmit(b, medium.TxOptions{MaxAttempts: dataAttempts})
	a.c.wdsTx.Add(1)
	a.account(dst, len(b), res)
	return true
}

// wdsDest returns the WDS station a unicast frame for da goes to: da
// itself, or the station da was learned behind; nil when neither.
func (a *AP) wdsDest(t *table, da frames.MAC) *station {
	dst := t.byAddr[da]
	if dst == nil {
		dst = a.behind(t, da)
	}
	if dst == nil || !dst.wds.Load() {
		return nil
	}
	return dst
}

// sendEthernetFour sends an Ethernet frame of the AP's stack to da as a
// four-address frame when da is a WDS station or behind one; it reports
// whether it was (the frame is then handled).
func (a *AP) sendEthernetFour(r *medium.Radio, t *table, da, sa frames.MAC, eth []byte) bool {
	dst := a.wdsDest(t, da)
	if dst == nil {
		return false
	}
	bp := bufPool.Get().(*[bufSize]byte)
	defer bufPool.Put(bp)
	b, err := frames.EthernetToData(bp[:0], a.fourHeader(dst, da, sa), eth)
	if err != nil {
		a.c.malformed.Add(1)
		return true
	}
	if a.txFour(r, dst, b) {
		a.c.fromStack.Add(1)
	}
	return true
}

// floodEthernetFour sends a group-addressed Ethernet frame of the AP's
// stack to every WDS station as a four-address copy.
func (a *AP) floodEthernetFour(r *medium.Radio, t *table, da, sa frames.MAC, eth []byte) {
	if len(eth) < frames.EthHeaderLen {
		return
	}
	bp := bufPool.Get().(*[bufSize]byte)
	defer bufPool.Put(bp)
	// The MSDU once (LLC/SNAP and payload), behind a scratch header.
	b, err := frames.EthernetToData(bp[:0], frames.DataHeader{}, eth)
	if err != nil {
		return
	}
	a.floodFour(r, t, nil, da, sa, b[frames.DataHeaderLen:])
}

// floodFour sends a group frame's body as a four-address copy to every
// WDS station but except (the station it came from; nil for frames of
// the AP's own stack).
func (a *AP) floodFour(r *medium.Radio, t *table, except *station, da, sa frames.MAC, body []byte) {
	if !a.cfg.WDSSta {
		return
	}
	for _, st := range t.list {
		if st != except && st.wds.Load() {
			if a.sendFour(r, st, da, sa, body) {
				a.c.wdsGroupCopies.Add(1)
			}
		}
	}
}

// unicastFour relays a frame between stations to da when da is a WDS
// station or learned behind one, as a four-address frame. It reports
// whether da was such a destination (handled, sent or not); a frame for
// an address behind its own source station src is dropped, as a bridge
// never sends a frame back out of the port it came in on.
func (a *AP) unicastFour(t *table, src *station, da, sa frames.MAC, body []byte) bool {
	if !a.cfg.WDSSta {
		return false
	}
	dst := a.wdsDest(t, da)
	if dst == nil {
		return false
	}
	if dst == src {
		a.c.wdsHairpin.Add(1)
		return true
	}
	if r := a.radio.Load(); r != nil && a.sendFour(r, dst, da, sa, body) {
		a.c.relayedUnicast.Add(1)
	}
	return true
}

// checkWDS fills the forwarding table's defaults and checks its bounds.
func (c *Config) checkWDS() error {
	if c.MaxLearnedPerStation == 0 {
		c.MaxLearnedPerStation = DefaultMaxLearnedPerStation
	}
	if c.MaxLearned == 0 {
		c.MaxLearned = DefaultMaxLearned
	}
	if c.LearnedAge == 0 {
		c.LearnedAge = DefaultLearnedAge
	}
	if c.MaxLearnedPerStation < 0 || c.MaxLearned < 0 {
		return &medium.InvalidValueError{What: "forwarding table size", Value: fmt.Sprintf("%d per station, %d in all", c.MaxLearnedPerStation, c.MaxLearned), Accepted: "positive counts (0 = 64 per station, 1024 in all)"}
	}
	if c.LearnedAge < 0 {
		return &medium.InvalidValueError{What: "forwarding table ageing", Value: c.LearnedAge.String(), Accepted: "a positive duration (0 = 300 s)"}
	}
	return nil
}

// wdsCounters adds the four-address counters to a Counters map.
func (a *AP) wdsCounters(m map[string]uint64) {
	c := &a.c
	m["wds_dropped"] = c.wdsDropped.Load()
	m["wds_stations"] = c.wdsStations.Load()
	m["wds_rx"] = c.wdsRx.Load()
	m["wds_tx"] = c.wdsTx.Load()
	m["wds_group_copies"] = c.wdsGroupCopies.Load()
	m["wds_learned"] = c.wdsLearned.Load()
	m["wds_moves"] = c.wdsMoves.Load()
	m["wds_aged"] = c.wdsAged.Load()
	m["wds_learn_full"] = c.wdsLearnFull.Load()
	m["wds_hairpin_dropped"] = c.wdsHairpin.Load()
}

// Learned returns the forwarding table: each address learned behind a
// WDS station, with that station's address.
func (a *AP) Learned() map[frames.MAC]frames.MAC {
	t := a.tbl.Load()
	out := map[frames.MAC]frames.MAC{}
	for m, e := range *a.fdb.Load() {
		if t.byAddr[e.sta.addr] == e.sta {
			out[m] = e.sta.addr
		}
	}
	return out
}
