// SPDX-License-Identifier: MIT

package ap

import (
	"encoding/binary"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
)

// WPA2 run by an authenticator above the AP (Config.Keys): hostapd on a
// vmedium.ko interface, whose "firmware" this AP is. The AP associates
// stations on the air as always; the 4-way and group key handshakes are
// EAPOL frames it carries between the stations and its stack in the
// clear (protected once a pairwise key is installed); the keys hostapd
// installs through cfg80211 land in Config.Keys, and Authorize opens or
// closes a station's controlled port.

// newExtRSN is the AP's RSN state when the authenticator is external:
// only the announced element and the key table.
func newExtRSN(cfg *Config) *apRSN {
	return &apRSN{ie: cfg.RSNIE, ext: cfg.Keys, hs: map[frames.MAC]*handshake{}}
}

// isEAPOLEthernet reports whether an Ethernet frame carries EAPOL.
func isEAPOLEthernet(eth []byte) bool {
	return len(eth) >= frames.EthHeaderLen && binary.BigEndian.Uint16(eth[12:14]) == rsn.EtherTypeEAPOL
}

// Authorize opens (or closes) the controlled port of station addr, as
// the external authenticator decided. It reports whether the station is
// associated.
func (a *AP) Authorize(addr frames.MAC, on bool) bool {
	st := a.tbl.Load().byAddr[addr]
	if st == nil {
		return false
	}
	st.authorized.Store(on)
	return true
}

// extReceive is rsnReceive with an external authenticator: protected
// frames are decrypted with the installed keys (replays and bad MICs
// counted and dropped), EAPOL frames go up to the authenticator, and any
// other data from a station whose port is closed is dropped and counted.
func (a *AP) extReceive(f frames.Frame, st *station) (out frames.Frame, bp *[bufSize]byte, ok bool) {
	protected := f.Protected()
	if protected {
		bp = bufPool.Get().(*[bufSize]byte)
		plain, err := a.rsn.ext.Decrypt(bp[:0], f.Bytes())
		if err == nil {
			f, err = frames.Parse(plain)
		}
		if err != nil {
			a.countCCMP(err)
			bufPool.Put(bp)
			return f, nil, false
		}
	}
	if _, isEAPOL := rsn.EAPOLPayload(f); isEAPOL {
		return f, bp, true
	}
	if !protected || !st.authorized.Load() {
		a.c.unauthorized.Add(1)
		if bp != nil {
			bufPool.Put(bp)
		}
		return f, nil, false
	}
	return f, bp, true
}

// extProtect encrypts an outgoing data frame to dst (nil: group) with the
// installed keys. EAPOL (eapol true) goes in the clear while dst has no
// pairwise key yet; anything else needs an open port and a key. ok is
// false when the frame must not be sent (counted).
func (a *AP) extProtect(frm []byte, dst *station, eapol bool) ([]byte, bool) {
	if dst != nil && !eapol && !dst.authorized.Load() {
		a.c.unauthorized.Add(1)
		return frm, false
	}
	out, err := a.rsn.ext.Encrypt(frm)
	switch {
	case err == nil:
		return out, true
	case err == rsn.ErrNoKey && eapol:
		return frm, true
	case err == rsn.ErrNoKey:
		a.c.ccmpNoKey.Add(1)
		return frm, false
	default:
		a.c.malformed.Add(1)
		return frm, false
	}
}

// pairKey is station st's pairwise key: installed by the AP's own
// handshake, or by the external authenticator in Config.Keys.
func (a *AP) pairKey(st *station) *rsn.Key {
	if a.rsn.ext != nil {
		k, _ := a.rsn.ext.Pairwise(st.addr)
		return k
	}
	return st.ptk.Load()
}
