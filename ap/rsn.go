// SPDX-License-Identifier: MIT

package ap

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
)

// WPA2-PSK on the AP: the authenticator side of the 4-way and group key
// handshakes, run on the AP's goroutine, and the controlled port of the
// data path (only EAPOL passes until a station's 4-way handshake
// completes; then data travels CCMP-protected with its PTK, and
// group-addressed data with the GTK).

// Defaults of the RSN timers.
const (
	DefaultGroupRekey    = time.Hour
	DefaultEAPOLTimeout  = time.Second
	DefaultEAPOLAttempts = 4
)

// ErrNotAuthorized: unicast Ethernet for a station whose 4-way handshake
// has not completed; the frame is dropped (the controlled port is closed).
var ErrNotAuthorized = errors.New("ap: destination station is not authorized (4-way handshake not complete)")

// groupKey is the GTK the AP transmits group-addressed frames with.
type groupKey struct {
	key *rsn.Key
	raw []byte
	id  uint8
}

func (g *groupKey) handout() rsn.GroupKey {
	return rsn.GroupKey{Key: g.raw, ID: g.id, RSC: g.key.TxPN()}
}

func newGroupKey(id uint8) *groupKey {
	raw := rsn.NewGTK()
	k, _ := rsn.NewKey(raw, id) // a 16-byte key and ID 1..2 cannot fail
	return &groupKey{key: k, raw: raw, id: id}
}

type hsState int

const (
	hsWaitM2 hsState = iota
	hsWaitM4
	hsWaitG2
	hsDone
)

// handshake is one station's authenticator state (AP goroutine only).
type handshake struct {
	st          *station
	auth        rsn.Authenticator
	state       hsState
	deadline    time.Time
	attempts    int
	micFailures int
}

// apRSN is the AP's WPA2-PSK state. gtk is read by the data path; the
// rest belongs to the AP goroutine.
type apRSN struct {
	pmk     [rsn.PSKLen]byte
	ie      []byte // the RSN element of beacons, probe responses and message 3
	gtk     atomic.Pointer[groupKey]
	next    *groupKey // during a group rekey
	hs      map[frames.MAC]*handshake
	rekeyAt time.Time
	ext     *rsn.KeyTable // non-nil: an external authenticator (extrsn.go)
}

func newAPRSN(cfg *Config) (*apRSN, error) {
	pmk, err := rsn.PSK(cfg.Passphrase, cfg.SSID)
	if err != nil {
		return nil, err
	}
	r := &apRSN{pmk: pmk, ie: rsn.WPA2PSK().AppendIE(nil), hs: map[frames.MAC]*handshake{}}
	r.gtk.Store(newGroupKey(1))
	return r, nil
}

// checkRSNIE decides on the RSN element of an association request: the
// element to keep (ID and length included) and StatusSuccess, or the
// status code to refuse the association with.
func (a *AP) checkRSNIE(ies []byte) (ie []byte, status uint16) {
	body, ok := frames.FindIE(ies, rsn.IERSN)
	if !ok {
		return nil, rsn.StatusInvalidAKMP // an open station asking a WPA2 network
	}
	in, err := rsn.ParseIE(body)
	switch {
	case err != nil:
		return nil, frames.StatusInvalidIE
	case in.Group != rsn.CipherCCMP128:
		return nil, rsn.StatusInvalidGroupCipher
	case len(in.Pairwise) != 1 || in.Pairwise[0] != rsn.CipherCCMP128:
		return nil, rsn.StatusInvalidPairwise
	case len(in.AKM) != 1 || in.AKM[0] != rsn.AKMPSK:
		return nil, rsn.StatusInvalidAKMP
	}
	return append([]byte{rsn.IERSN, byte(len(body))}, body...), frames.StatusSuccess
}

// sendEAPOL sends an EAPOL frame to a station, protected with its PTK
// once one is installed (group key handshake).
func (a *AP) sendEAPOL(st *station, eapol []byte) {
	r := a.radio.Load()
	if r == nil {
		return
	}
	frm := rsn.AppendEAPOLData(nil, frames.DataHeader{FromDS: true, Addr1: st.addr, Addr2: a.cfg.Addr, Addr3: a.cfg.Addr, Seq: a.nextSeq()}, eapol)
	tl := a.lockTx(st)
	if k := st.ptk.Load(); k != nil {
		var err error
		if frm, err = k.Encrypt(frm); err != nil {
			tl.unlock()
			return
		}
	}
	r.Transmit(frm, medium.TxOptions{MaxAttempts: dataAttempts})
	tl.unlock()
	a.c.eapolTx.Add(1)
}

func (h *handshake) arm(timeout time.Duration) {
	h.deadline = time.Now().Add(timeout)
	h.attempts++
}

// startHandshake begins the 4-way handshake with a newly associated
// station (AP goroutine).
func (a *AP) startHandshake(st *station) {
	h := &handshake{st: st, auth: rsn.Authenticator{PMK: a.rsn.pmk[:], AA: a.cfg.Addr, SPA: st.addr, APIE: a.rsn.ie, STAIE: st.rsnIE}}
	a.rsn.hs[st.addr] = h
	a.sendEAPOL(st, h.auth.Message1(true))
	h.arm(a.cfg.EAPOLTimeout)
}

// handleEAPOL processes an EAPOL frame from a station (AP goroutine).
func (a *AP) handleEAPOL(from frames.MAC, payload []byte) {
	a.c.eapolRx.Add(1)
	h := a.rsn.hs[from]
	if h == nil || a.tbl.Load().byAddr[from] != h.st {
		a.c.eapolUnexpected.Add(1)
		return
	}
	k, err := rsn.ParseEAPOLKey(payload)
	if err != nil {
		a.c.malformed.Add(1)
		return
	}
	st := h.st
	switch m := k.Kind(); {
	case m == rsn.Msg2 && h.state == hsWaitM2:
		if err := h.auth.HandleMessage2(&k, payload); err != nil {
			if errors.Is(err, rsn.ErrMICFailure) {
				a.c.micFailures.Add(1)
				h.micFailures++
				if h.micFailures == 1 {
					a.log.Warn("4-way handshake: MIC failure on message 2 (wrong passphrase?)", "station", from.String(), "ssid", a.cfg.SSID)
				}
			} else {
				a.c.eapolUnexpected.Add(1)
			}
			return
		}
		m3, err := h.auth.Message3(a.handoutGTK())
		if err != nil {
			a.c.eapolUnexpected.Add(1)
			return
		}
		h.state, h.attempts = hsWaitM4, 0
		a.sendEAPOL(st, m3)
		h.arm(a.cfg.EAPOLTimeout)
	case m == rsn.Msg4 && h.state == hsWaitM4:
		if err := h.auth.HandleMessage4(&k, payload); err != nil {
			a.c.eapolUnexpected.Add(1)
			return
		}
		ptk := h.auth.PTK()
		key, _ := rsn.NewKey(ptk.TK[:], 0)
		st.ptk.Store(key)
		st.authorized.Store(true)
		h.state = hsDone
		a.c.handshakes.Add(1)
		a.log.Info("station authorized: 4-way handshake complete", "station", from.String(), "ssid", a.cfg.SSID, "cipher", "CCMP")
	case m == rsn.Group2 && h.state == hsWaitG2:
		if err := h.auth.HandleGroupMessage2(&k, payload); err != nil {
			a.c.eapolUnexpected.Add(1)
			return
		}
		h.state = hsDone
		a.finishRekey()
	default:
		a.c.eapolUnexpected.Add(1)
	}
}

// handoutGTK is the GTK new stations get: the pending one during a rekey.
func (a *AP) handoutGTK() rsn.GroupKey {
	if a.rsn.next != nil {
		return a.rsn.next.handout()
	}
	return a.rsn.gtk.Load().handout()
}

// rsnTick retransmits handshake messages, gives up on silent stations
// (deauthentication: 4-way or group key handshake timeout) and starts
// group rekeys (AP goroutine).
func (a *AP) rsnTick(now time.Time) {
	t := a.tbl.Load()
	for addr, h := range a.rsn.hs {
		if t.byAddr[addr] != h.st {
			delete(a.rsn.hs, addr) // left or reassociated
			continue
		}
		if h.state == hsDone || now.Before(h.deadline) {
			continue
		}
		if h.attempts >= a.cfg.EAPOLAttempts {
			reason := rsn.Reason4WayTimeout
			if h.state == hsWaitG2 {
				reason = rsn.ReasonGroupKeyTimeout
				a.c.groupKeyTimeouts.Add(1)
				a.log.Warn("group key handshake timed out: deauthenticating", "station", addr.String())
			} else {
				a.c.handshakeTimeouts.Add(1)
				if h.micFailures > 0 {
					a.log.Warn("4-way handshake failed: every message 2 had a wrong MIC (wrong passphrase?): deauthenticating", "station", addr.String(), "ssid", a.cfg.SSID, "mic_failures", h.micFailures)
				} else {
					a.log.Warn("4-way handshake timed out: deauthenticating", "station", addr.String(), "ssid", a.cfg.SSID)
				}
			}
			delete(a.rsn.hs, addr)
			a.Deauth(addr, reason)
			continue
		}
		switch h.state {
		case hsWaitM2:
			a.sendEAPOL(h.st, h.auth.Message1(false))
		case hsWaitM4:
			if m3, err := h.auth.Message3(a.handoutGTK()); err == nil {
				a.sendEAPOL(h.st, m3)
			}
		case hsWaitG2:
			if g1, err := h.auth.GroupMessage1(a.rsn.next.handout()); err == nil {
				a.sendEAPOL(h.st, g1)
			}
		}
		h.arm(a.cfg.EAPOLTimeout)
	}
	if a.rsn.next != nil {
		a.finishRekey()
	} else if a.cfg.GroupRekey > 0 && !now.Before(a.rsn.rekeyAt) {
		a.rekey(now)
	}
}

// rekey starts a group key handshake with every authorized station.
func (a *AP) rekey(now time.Time) {
	a.rsn.rekeyAt = now.Add(a.cfg.GroupRekey)
	cur := a.rsn.gtk.Load()
	a.rsn.next = newGroupKey(3 - cur.id) // alternate key IDs 1 and 2
	t := a.tbl.Load()
	for addr, h := range a.rsn.hs {
		if h.state != hsDone || t.byAddr[addr] != h.st {
			continue
		}
		g1, err := h.auth.GroupMessage1(a.rsn.next.handout())
		if err != nil {
			continue
		}
		h.state, h.attempts = hsWaitG2, 0
		a.sendEAPOL(h.st, g1)
		h.arm(a.cfg.EAPOLTimeout)
	}
	a.finishRekey()
}

// finishRekey switches group transmissions to the new GTK once no
// station still waits for it.
func (a *AP) finishRekey() {
	if a.rsn.next == nil {
		return
	}
	for _, h := range a.rsn.hs {
		if h.state == hsWaitG2 {
			return
		}
	}
	a.rsn.gtk.Store(a.rsn.next)
	a.log.Info("group key rekeyed", "ssid", a.cfg.SSID, "key_id", a.rsn.next.id)
	a.rsn.next = nil
	a.c.groupRekeys.Add(1)
}

// rsnReceive applies the controlled port and CCMP to a data frame from an
// associated station. It returns the plaintext frame to process (in a
// pooled buffer the caller returns, when bp is not nil) or ok=false when
// the frame was consumed (EAPOL, queued for the AP goroutine) or dropped
// (counted). It does not allocate for data frames.
func (a *AP) rsnReceive(f frames.Frame, st *station) (out frames.Frame, bp *[bufSize]byte, ok bool) {
	protected := f.Protected()
	if protected {
		k := st.ptk.Load()
		if k == nil {
			a.c.ccmpNoKey.Add(1)
			return f, nil, false
		}
		bp = bufPool.Get().(*[bufSize]byte)
		plain, err := k.Decrypt(bp[:0], f.Bytes())
		if err != nil {
			a.countCCMP(err)
			bufPool.Put(bp)
			return f, nil, false
		}
		if f, err = frames.Parse(plain); err != nil {
			a.c.malformed.Add(1)
			bufPool.Put(bp)
			return f, nil, false
		}
	}
	if payload, isEAPOL := rsn.EAPOLPayload(f); isEAPOL {
		cp := make([]byte, len(payload)) // management path: not per data frame
		copy(cp, payload)
		select {
		case a.mgmt <- mgmtMsg{eapol: cp, eapolFrom: st.addr}:
		default:
			a.c.mgmtQueueFull.Add(1)
		}
		if bp != nil {
			bufPool.Put(bp)
		}
		return f, nil, false
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

func (a *AP) countCCMP(err error) {
	switch err {
	case rsn.ErrNoKey: // keys held by an external authenticator
		a.c.ccmpNoKey.Add(1)
	case rsn.ErrReplay:
		a.c.ccmpReplays.Add(1)
	case rsn.ErrMIC:
		a.c.ccmpMICErrors.Add(1)
	default:
		a.c.malformed.Add(1)
	}
}

// txKey returns the key to protect a frame to dst (nil: group) with; ok
// is false when the frame must not be sent (station not authorized).
func (a *AP) txKey(dst *station) (*rsn.Key, bool) {
	if dst == nil {
		return a.rsn.gtk.Load().key, true
	}
	k := a.pairKey(dst)
	if k == nil || !dst.authorized.Load() {
		a.c.unauthorized.Add(1)
		return nil, false
	}
	return k, true
}

// relayable reports whether a protected frame from src to another
// station may take relayProtected: not an EAPOL frame (those are the
// AP's, handled by rsnReceive whatever their destination).
func (a *AP) relayable(f frames.Frame, src *station) bool {
	k := a.pairKey(src)
	if k == nil {
		return false
	}
	et, ok := k.PeekEtherType(f.Bytes())
	return ok && et != rsn.EtherTypeEAPOL
}

// relayProtected relays a protected unicast frame from one associated
// station to another: the header rewritten as relay does, the payload
// decrypted with the source's PTK and protected with the destination's in
// one pass (rsn.Reencrypt). It does not allocate.
func (a *AP) relayProtected(f frames.Frame, src, dst *station) {
	r := a.radio.Load()
	from := a.pairKey(src)
	if r == nil || from == nil || !src.authorized.Load() {
		a.c.unauthorized.Add(1)
		return
	}
	to, ok := a.txKey(dst)
	if !ok {
		return
	}
	var hdr [32]byte
	hl := f.HeaderLen()
	h := hdr[:copy(hdr[:], f.Bytes()[:hl])]
	h[1] = h[1]&^(frames.FlagToDS|frames.FlagRetry|frames.FlagProtected) | frames.FlagFromDS
	copy(h[4:10], dst.addr[:])
	copy(h[10:16], a.cfg.Addr[:])
	copy(h[16:22], src.addr[:])
	binary.LittleEndian.PutUint16(h[22:], a.nextSeq()<<4)
	bp := bufPool.Get().(*[bufSize]byte)
	tl := a.lockTx(dst)
	out, err := rsn.Reencrypt(from, to, bp[:0], f.Bytes(), h)
	if err != nil {
		tl.unlock()
		bufPool.Put(bp)
		a.countCCMP(err)
		return
	}
	a.c.rxData.Add(1)
	a.c.rxDataBytes.Add(uint64(f.Len()))
	res := r.Transmit(out, medium.TxOptions{MaxAttempts: dataAttempts})
	tl.unlock()
	bufPool.Put(bp)
	a.c.relayedUnicast.Add(1)
	a.account(dst, len(out), res)
}

// lockTx serializes the frames protected for one receiver (a station, or
// the group when dst is nil) from the moment their packet number is taken
// until they are on the air; the caller unlocks the returned txLock. The
// AP transmits from several threads at once (every station's relayed
// frames arrive on the sender's thread, its own stack's on its TAP's
// reader); without it two frames to the same station could take packet
// numbers in one order and reach the air in the other, and the receiver's
// replay check would drop the second. A real AP has one transmit queue
// that assigns packet numbers in air order; this is the same. The lock is
// the receiver's own, not global; open networks take none.
func (a *AP) lockTx(dst *station) txLock {
	if a.rsn == nil {
		return txLock{}
	}
	mu := &a.groupTxMu
	if dst != nil {
		mu = &dst.txMu
	}
	mu.Lock()
	return txLock{mu}
}

// txLock is a held lockTx (a value, so taking it does not allocate).
type txLock struct{ mu *sync.Mutex }

func (l txLock) unlock() {
	if l.mu != nil {
		l.mu.Unlock()
	}
}
