// SPDX-License-Identifier: MIT

package kmod

import (
	"encoding/binary"
	"fmt"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/sta"
)

// WPA2 on module radios driven by hostapd and wpa_supplicant: the daemons
// run the handshakes over EAPOL frames on the interface (the plain data
// path) and install keys through cfg80211, which vmedium.ko hands to this
// backend (ADD_KEY, DEL_KEY, SET_DEFAULT_KEY, AUTHORIZE). The keys go into
// the running MAC's rsn.KeyTable; the Go AP and STA, set up with that
// table (ap.Config.Keys, sta.Config.Keys), protect and check every data
// frame with CCMP and keep the controlled port. The module advertises
// CCMP-128 only, so any other cipher is refused.

// cipherCCMP128 is the suite selector 00-0f-ac:4 as cfg80211 passes it.
const cipherCCMP128 = 0x000fac04

// heardBSS is what a scan heard of one BSS, beyond its SSID and rates.
type heardBSS struct {
	capability uint16
	rsn        []byte // RSN element, ID and length included
}

// newKeys returns r's key table for a MAC about to start on it. There is
// one table per interface, kept across MAC restarts: hostapd installs its
// group key before it starts the AP, and the daemons delete the keys
// they are done with.
func (r *radio) newKeys() *rsn.KeyTable {
	r.keys.CompareAndSwap(nil, new(rsn.KeyTable))
	return r.keys.Load()
}

// rsnElement returns the RSN element (ID and length included) found in
// ies, or nil.
func rsnElement(ies []byte) []byte {
	body, ok := frames.FindIE(ies, rsn.IERSN)
	if !ok {
		return nil
	}
	return append([]byte{rsn.IERSN, byte(len(body))}, body...)
}

// scanIEs are the IEs reported for a scanned BSS: SSID and rates, and its
// RSN element, remembered for the connect result.
func (r *radio) scanIEs(b sta.BSS) []byte {
	r.heardMu.Lock()
	if r.heard == nil {
		r.heard = map[frames.MAC]heardBSS{}
	}
	r.heard[b.BSSID] = heardBSS{capability: b.Capability, rsn: b.RSN}
	r.heardMu.Unlock()
	return append(bssIEs(b.SSID), b.RSN...)
}

// heardIEs completes the BSS of a connect result with what the scan
// heard: wpa_supplicant compares the RSN element of message 3 with the
// one cfg80211 holds for the BSS.
func (r *radio) heardIEs(b *BSS) {
	r.heardMu.Lock()
	h, ok := r.heard[b.BSSID]
	r.heardMu.Unlock()
	if !ok {
		return
	}
	b.Capability = h.capability
	b.IEs = append(b.IEs, h.rsn...)
}

// keyOp applies one of cfg80211's key operations to the running MAC's
// key table. Failures are counted and logged: cfg80211 has already
// answered the daemon.
func (r *radio) keyOp(e Event) {
	t := r.newKeys()
	k := e.Key
	var err error
	switch e.Cmd {
	case CmdAddKey:
		switch {
		case k.Cipher != cipherCCMP128:
			err = errCipher(k.Cipher)
		case k.Pairwise:
			err = t.SetPairwise(k.Peer, k.Key)
		default:
			err = t.SetGroup(k.Index, k.Key, keySeq(k.Seq))
		}
	case CmdDelKey:
		if k.Pairwise {
			t.DeletePairwise(k.Peer)
		} else {
			t.DeleteGroup(k.Index)
		}
	case CmdSetDefaultKey:
		// The transmit group key of an AP; a station's default key
		// choice (and a management key, no BIP here) changes nothing.
		if k.DefaultMulticast && !k.Mgmt && k.Index > 0 {
			err = t.SetDefaultGroup(k.Index)
		}
	}
	if err != nil {
		r.b.keyErrors.Add(1)
		r.b.log.Warn("key operation refused", "radio", r.name, "op", cmdName(e.Cmd), "index", k.Index, "err", err)
	}
}

// keySeq reads a receive sequence counter (little endian, up to 6 bytes
// for CCMP).
func keySeq(b []byte) uint64 {
	var v [8]byte
	copy(v[:], b[:min(len(b), 6)])
	return binary.LittleEndian.Uint64(v[:])
}

func errCipher(c uint32) error {
	return fmt.Errorf("cipher suite %02x-%02x-%02x:%d not supported: accepted is 00-0f-ac:4 (CCMP-128)", byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
}

// authorize opens or closes the controlled port of an AP's station
// (hostapd after the 4-way handshake). A station's own port follows its
// pairwise key, so wpa_supplicant's call needs nothing.
func (r *radio) authorize(peer frames.MAC, on bool) {
	r.mu.Lock()
	a := r.ap
	r.mu.Unlock()
	if a != nil && !a.Authorize(peer, on) {
		r.b.log.Debug("authorize: no such station", "radio", r.name, "sta", peer.String())
	}
}

// kick removes a station from the AP (hostapd's deauthentication; the
// broadcast address: every station).
func (r *radio) kick(peer frames.MAC, reason uint16) {
	r.mu.Lock()
	a := r.ap
	r.mu.Unlock()
	if a == nil {
		return
	}
	if reason == 0 {
		reason = frames.ReasonUnspecified
	}
	if !peer.IsGroup() {
		a.Deauth(peer, reason)
		return
	}
	for _, st := range a.Stations() {
		a.Deauth(st.Addr, reason)
	}
}
