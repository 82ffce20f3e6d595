// SPDX-License-Identifier: MIT

package sta

import (
	"errors"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
)

// WPA2-PSK on the station: the supplicant side of the 4-way and group key
// handshakes, run on the MAC goroutine, and the controlled port of the
// data path (until the 4-way handshake completes only EAPOL passes; then
// unicast data is CCMP-protected with the PTK, and group-addressed data
// from the AP is decrypted with the GTK of its key ID).

// ErrNotAuthorized: the station is associated with a WPA2 network but its
// 4-way handshake has not completed; the frame is dropped.
var ErrNotAuthorized = errors.New("sta: not authorized yet (4-way handshake not complete)")

// assocRSN is the WPA2 state of one association. The keys are read by
// the data path; sup and tk belong to the MAC goroutine.
type assocRSN struct {
	ptk        atomic.Pointer[rsn.Key]
	gtk        [4]atomic.Pointer[rsn.Key]
	authorized atomic.Bool

	sup rsn.Supplicant
	tk  [16]byte // the installed TK: a retransmitted message 3 does not reinstall it

	ext *rsn.KeyTable // non-nil: an external supplicant (extrsn.go)
}

// pmk returns the PSK of ssid, derived once per SSID (4096 PBKDF2
// iterations are not free).
func (s *STA) pmk(ssid string) ([]byte, error) {
	if p, ok := s.pmks[ssid]; ok {
		return p, nil
	}
	p, err := rsn.PSK(s.cfg.Passphrase, ssid)
	if err != nil {
		return nil, err
	}
	s.pmks[ssid] = p[:]
	return p[:], nil
}

// securityMatches reports whether the station can join bss with its
// configuration: WPA2-PSK/CCMP when it has a passphrase, an open network
// (no Privacy bit) when it has none.
func (s *STA) securityMatches(b BSS) bool {
	if s.cfg.Keys != nil {
		// The supplicant above chose the network: it asked for RSN when
		// its IEs carry an RSN element.
		if s.extWantsRSN() {
			return len(b.RSN) >= 2
		}
		return b.Capability&frames.CapPrivacy == 0
	}
	if s.cfg.Passphrase == "" {
		return b.Capability&frames.CapPrivacy == 0
	}
	if len(b.RSN) < 2 {
		return false
	}
	in, err := rsn.ParseIE(b.RSN[2:])
	return err == nil && in.SupportsWPA2PSK()
}

// sendEAPOL sends an EAPOL frame to the AP, protected with the PTK once it
// is installed (group key handshake).
func (s *STA) sendEAPOL(a *association, eapol []byte) {
	frm := rsn.AppendEAPOLData(nil, frames.DataHeader{ToDS: true, Addr1: a.bssid, Addr2: s.cfg.Addr, Addr3: a.bssid, Seq: s.nextSeq()}, eapol)
	if k := a.rsn.ptk.Load(); k != nil {
		var err error
		if frm, err = k.Encrypt(frm); err != nil {
			return
		}
	}
	s.radio.Load().Transmit(frm, medium.TxOptions{MaxAttempts: dataAttempts})
	s.c.eapolTx.Add(1)
}

// handleEAPOL answers the AP's EAPOL-Key messages and installs keys (MAC
// goroutine). It reports whether the 4-way handshake just completed.
func (s *STA) handleEAPOL(a *association, payload []byte) (completed bool) {
	s.c.eapolRx.Add(1)
	r := a.rsn
	k, err := rsn.ParseEAPOLKey(payload)
	if err != nil {
		s.c.malformed.Add(1)
		return false
	}
	switch k.Kind() {
	case rsn.Msg1:
		m2, err := r.sup.HandleMessage1(&k)
		if err != nil {
			s.c.eapolUnexpected.Add(1)
			return false
		}
		s.sendEAPOL(a, m2)
	case rsn.Msg3:
		m4, keys, err := r.sup.HandleMessage3(&k, payload)
		if err != nil {
			if errors.Is(err, rsn.ErrMICFailure) {
				s.c.micFailures.Add(1)
				s.log.Warn("4-way handshake: MIC failure on message 3", "bssid", a.bssid.String(), "ssid", a.ssid)
			} else {
				s.c.eapolUnexpected.Add(1)
			}
			return false
		}
		s.sendEAPOL(a, m4) // before installing the PTK: message 4 goes in the clear
		if r.ptk.Load() != nil && r.tk == keys.PTK.TK {
			return false // retransmitted message 3: keys already installed
		}
		ptk, _ := rsn.NewKey(keys.PTK.TK[:], 0)
		r.tk = keys.PTK.TK
		r.ptk.Store(ptk)
		s.installGTK(r, keys)
		completed = !r.authorized.Load()
		r.authorized.Store(true)
	case rsn.Group1:
		g2, keys, err := r.sup.HandleGroupMessage1(&k, payload)
		if err != nil {
			if errors.Is(err, rsn.ErrMICFailure) {
				s.c.micFailures.Add(1)
			} else {
				s.c.eapolUnexpected.Add(1)
			}
			return false
		}
		s.installGTK(r, keys)
		s.c.groupRekeys.Add(1)
		s.sendEAPOL(a, g2)
		s.log.Info("group key installed", "bssid", a.bssid.String(), "key_id", keys.GTKID)
	default:
		s.c.eapolUnexpected.Add(1)
	}
	return completed
}

func (s *STA) installGTK(r *assocRSN, keys rsn.Keys) {
	if keys.GTKID == 0 || len(keys.GTK) != rsn.GTKLen {
		s.c.eapolUnexpected.Add(1)
		return
	}
	g, err := rsn.NewKey(keys.GTK, keys.GTKID)
	if err != nil {
		return
	}
	g.SetRxPN(keys.GTKRSC)
	r.gtk[keys.GTKID].Store(g)
}

// rsnReceive applies the controlled port and CCMP to a data frame from the
// AP: the plaintext frame to process (in a pooled buffer the caller
// returns when bp is not nil), or ok=false when the frame was consumed
// (EAPOL, queued) or dropped (counted). No allocation for data frames.
func (s *STA) rsnReceive(f frames.Frame, r *assocRSN) (out frames.Frame, bp *[bufSize]byte, ok bool) {
	if !f.Protected() {
		return s.rsnPort(f, r, nil)
	}
	k, ok := s.rxKey(f, r)
	if !ok {
		return f, nil, false
	}
	bp = bufPool.Get().(*[bufSize]byte)
	plain, err := k.Decrypt(bp[:0], f.Bytes())
	return s.rsnDecrypted(plain, err, r, bp)
}

// rxKey returns the key a protected frame from the AP is decrypted with
// (the PTK, or the GTK its key ID names), or ok=false (counted).
func (s *STA) rxKey(f frames.Frame, r *assocRSN) (*rsn.Key, bool) {
	var k *rsn.Key
	if f.Addr1().IsGroup() {
		_, id, err := rsn.FramePN(f.Bytes())
		if err != nil {
			s.c.malformed.Add(1)
			return nil, false
		}
		k = r.gtk[id].Load()
	} else {
		k = r.ptk.Load()
	}
	if k == nil {
		s.c.ccmpNoKey.Add(1)
		return nil, false
	}
	return k, true
}

// rsnDecrypted continues rsnReceive after the decryption of a protected
// frame into bp (plain and err as Key.Decrypt returned them): decryption
// errors are counted and the frame dropped, bp returned.
func (s *STA) rsnDecrypted(plain []byte, err error, r *assocRSN, bp *[bufSize]byte) (out frames.Frame, _ *[bufSize]byte, ok bool) {
	var f frames.Frame
	if err == nil {
		f, err = frames.Parse(plain)
	}
	if err != nil {
		s.countCCMP(err)
		bufPool.Put(bp)
		return f, nil, false
	}
	return s.rsnPort(f, r, bp)
}

// countCCMP counts why a protected frame was dropped: no key for it
// (supplicant-held keys), a replay, a bad MIC, or a frame that does not
// parse.
func (s *STA) countCCMP(err error) {
	switch err {
	case rsn.ErrNoKey:
		s.c.ccmpNoKey.Add(1)
	case rsn.ErrReplay:
		s.c.ccmpReplays.Add(1)
	case rsn.ErrMIC:
		s.c.ccmpMICErrors.Add(1)
	default:
		s.c.malformed.Add(1)
	}
}

// rsnPort is the controlled port: EAPOL frames go to the MAC goroutine,
// data passes only decrypted (bp not nil) and once the 4-way handshake
// has authorized the station.
func (s *STA) rsnPort(f frames.Frame, r *assocRSN, bp *[bufSize]byte) (out frames.Frame, _ *[bufSize]byte, ok bool) {
	if payload, isEAPOL := rsn.EAPOLPayload(f); isEAPOL {
		s.queueEAPOL(payload)
		if bp != nil {
			bufPool.Put(bp)
		}
		return f, nil, false
	}
	if bp == nil || !r.authorized.Load() {
		s.c.unauthorized.Add(1)
		if bp != nil {
			bufPool.Put(bp)
		}
		return f, nil, false
	}
	return f, bp, true
}

// queueEAPOL hands a copy of an EAPOL frame to the MAC goroutine.
func (s *STA) queueEAPOL(payload []byte) {
	cp := make([]byte, len(payload)) // handshake path: not per data frame
	copy(cp, payload)
	select {
	case s.eapol <- cp:
	default:
		s.c.mgmtQueueFull.Add(1)
	}
}
