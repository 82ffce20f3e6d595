// SPDX-License-Identifier: MIT

package sta

import (
	"encoding/binary"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
)

// WPA2 run by a supplicant above the station (Config.Keys):
// wpa_supplicant on a vmedium.ko interface, whose "firmware" this station
// is. The station associates on the air with the RSN element the
// supplicant chose (SetAssocIEs); the 4-way handshake is EAPOL frames it
// carries between the AP and its stack; the keys the supplicant installs
// through cfg80211 land in Config.Keys. The controlled port opens when a
// pairwise key for the AP is installed.

// SetAssocIEs sets the IEs (the supplicant's RSN element) the next
// association requests carry; nil for none. Only with Config.Keys.
func (s *STA) SetAssocIEs(ies []byte) {
	if len(ies) == 0 {
		s.extIEs.Store(nil)
		return
	}
	cp := append([]byte(nil), ies...)
	s.extIEs.Store(&cp)
}

// extWantsRSN reports whether the supplicant's IEs carry an RSN element.
func (s *STA) extWantsRSN() bool {
	p := s.extIEs.Load()
	if p == nil {
		return false
	}
	_, ok := frames.FindIE(*p, rsn.IERSN)
	return ok
}

// isEAPOLEthernet reports whether an Ethernet frame carries EAPOL.
func isEAPOLEthernet(eth []byte) bool {
	return len(eth) >= frames.EthHeaderLen && binary.BigEndian.Uint16(eth[12:14]) == rsn.EtherTypeEAPOL
}

// extPortOpen reports whether the supplicant has installed the pairwise
// key of the association's AP.
func (a *association) extPortOpen() bool {
	_, ok := a.rsn.ext.Pairwise(a.bssid)
	return ok
}

// extReceive is rsnReceive with an external supplicant: protected frames
// are decrypted with the installed keys (group-addressed ones with the
// group key of their key ID; replays and bad MICs counted and dropped),
// EAPOL goes up to the supplicant, other data passes only protected and
// with the port open.
func (s *STA) extReceive(f frames.Frame, a *association) (out frames.Frame, bp *[bufSize]byte, ok bool) {
	protected := f.Protected()
	if protected {
		bp = bufPool.Get().(*[bufSize]byte)
		plain, err := a.rsn.ext.Decrypt(bp[:0], f.Bytes())
		if err == nil {
			f, err = frames.Parse(plain)
		}
		if err != nil {
			s.countCCMP(err)
			bufPool.Put(bp)
			return f, nil, false
		}
	}
	if _, isEAPOL := rsn.EAPOLPayload(f); isEAPOL {
		return f, bp, true
	}
	if !protected || !a.extPortOpen() {
		s.c.unauthorized.Add(1)
		if bp != nil {
			bufPool.Put(bp)
		}
		return f, nil, false
	}
	return f, bp, true
}
