// SPDX-License-Identifier: MIT

package sta

import (
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// Four-address (WDS) mode, Config.WDS.
//
// An infrastructure data frame to the AP carries three addresses: BSSID,
// the station's own address as the source, and the destination. A host
// bridged behind the station has nowhere to put its source address, so a
// station in the default mode refuses its frames (ErrForeignSource,
// counted as tx_foreign_source), and the AP would refuse a frame
// transmitted with the host's address as an unassociated station's.
//
// In four-address mode, like mac80211 with `iw dev X set 4addr on`:
//   - every data frame the station sends is ToDS+FromDS with
//     A1=BSSID (RA), A2=the station (TA), A3=DA, A4=SA, so any source
//     behind the station passes;
//   - right after associating it sends a four-address null-data frame,
//     which tells the AP (hostapd wds_sta=1; ap.Config.WDSSta) that it
//     talks four-address before any data flows;
//   - it accepts four-address frames from its AP addressed to it (RA) for
//     any destination (A3) behind it, with their source in A4;
//   - it drops three-address group frames: a four-address AP sends it
//     group traffic as four-address unicast copies, and taking both would
//     deliver everything twice.
//
// The handshake's EAPOL frames stay three-address: they are between the
// station's own address and the AP. There is no negotiation in the
// association (real stacks have none either, short of the Multi-AP
// element): both ends are configured.

// sendNull4 sends a four-address null-data frame to the AP: A1=A3=BSSID,
// A2=A4=the station. mac80211 sends the same after association so that
// hostapd moves the station to a four-address interface (AP_VLAN).
func (s *STA) sendNull4(bssid frames.MAC) {
	var b [frames.DataHeaderLen4]byte
	frm := frames.AppendDataHeader(b[:0], frames.DataHeader{ToDS: true, FromDS: true,
		Addr1: bssid, Addr2: s.cfg.Addr, Addr3: bssid, Addr4: s.cfg.Addr, Seq: s.nextSeq()})
	frm[0] = frames.SubtypeNull<<4 | frames.TypeData<<2 // the codec builds subtype Data only
	s.radio.Load().Transmit(frm, medium.TxOptions{MaxAttempts: dataAttempts})
	s.c.tx4Addr.Add(1)
}

// acceptFourAddr checks a ToDS+FromDS frame heard while associated: taken
// only in four-address mode, from our AP (TA), to us (RA), and not our
// own group frame coming back. It counts what it refuses.
func (s *STA) acceptFourAddr(f frames.Frame, a *association) bool {
	if !s.cfg.WDS {
		s.c.rx4AddrDropped.Add(1)
		return false
	}
	if f.Addr2() != a.bssid || f.Addr1() != s.cfg.Addr {
		s.c.rxOtherBSS.Add(1)
		return false
	}
	if f.Addr3().IsGroup() && f.Addr4() == s.cfg.Addr {
		s.c.rxOwnEcho.Add(1)
		return false
	}
	s.c.rx4Addr.Add(1)
	return true
}
