// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
)

// CCMP-128 framing: an 8-byte CCMP header after the MAC header (PN0, PN1,
// reserved, key ID octet with ExtIV, PN2..PN5) and an 8-byte MIC after the
// encrypted body.
const (
	CCMPHeaderLen = 8
	CCMPMICLen    = 8
	// CCMPOverhead is what encryption adds to a frame: callers leave
	// this much capacity behind the frame for Key.Encrypt.
	CCMPOverhead = CCMPHeaderLen + CCMPMICLen
	extIV        = 0x20
	maxPN        = 1<<48 - 1
)

// replayCounters: one per TID of QoS data, one for everything else.
const replayCounters = 17

// Errors of CCMP encapsulation and decapsulation. They are preallocated
// (the data path does not allocate, not even on errors) and wrap
// ErrCCMP; callers count them by kind.
var (
	ErrCCMP         = errors.New("CCMP")
	ErrReplay       = fmt.Errorf("%w: replayed frame (packet number not above the last one received)", ErrCCMP)
	ErrMIC          = fmt.Errorf("%w: MIC mismatch (wrong key or altered frame)", ErrCCMP)
	ErrNotProtected = fmt.Errorf("%w: frame is not protected", ErrCCMP)
	ErrProtected    = fmt.Errorf("%w: frame is already protected", ErrCCMP)
	ErrTooShort     = fmt.Errorf("%w: protected frame shorter than its header, CCMP header and MIC", ErrCCMP)
	ErrNoExtIV      = fmt.Errorf("%w: CCMP header without the ExtIV bit (not CCMP)", ErrCCMP)
	ErrNoRoom       = fmt.Errorf("%w: buffer has no room for the 16 bytes CCMP adds", ErrCCMP)
	ErrPNExhausted  = fmt.Errorf("%w: packet numbers exhausted: rekey", ErrCCMP)
	ErrBadFrame     = fmt.Errorf("%w: %w", ErrCCMP, frames.ErrMalformed)
)

// Key is one installed CCMP-128 temporal key: a pairwise key (the TK of a
// PTK, key ID 0) or a group key (GTK, key ID 1..3). It keeps the transmit
// packet number and the receive replay counters (per TID), so one Key
// serves one direction pair of one security association. Safe for
// concurrent use; Encrypt and Decrypt do not allocate.
type Key struct {
	c    ccmCipher
	id   uint8
	txPN atomic.Uint64
	rxPN [replayCounters]atomic.Uint64
}

// NewKey installs a 16-byte CCMP-128 temporal key with a key ID (0..3).
func NewKey(tk []byte, keyID uint8) (*Key, error) {
	if len(tk) != 16 {
		return nil, fmt.Errorf("install CCMP-128 key: %d-byte key: accepted is 16 bytes", len(tk))
	}
	if keyID > 3 {
		return nil, fmt.Errorf("install CCMP-128 key: key ID %d: accepted is 0..3", keyID)
	}
	c, err := newCCMCipher(tk)
	if err != nil {
		return nil, fmt.Errorf("install CCMP-128 key: %w", err)
	}
	return &Key{c: c, id: keyID}, nil
}

// KeyID returns the key's ID (0..3).
func (k *Key) KeyID() uint8 { return k.id }

// TxPN returns the last packet number Encrypt used (0: none yet). An AP
// announces it as the GTK's RSC.
func (k *Key) TxPN() uint64 { return k.txPN.Load() }

// SetRxPN sets every receive replay counter: frames must carry a higher
// packet number (a GTK is installed with the RSC the AP announced).
func (k *Key) SetRxPN(pn uint64) {
	for i := range k.rxPN {
		k.rxPN[i].Store(pn)
	}
}

// hdrInfo returns a frame's MAC header length and replay counter index.
func hdrInfo(frame []byte) (int, int, error) {
	f, err := frames.Parse(frame)
	if err != nil {
		return 0, 0, ErrBadFrame
	}
	if f.IsCtrl() {
		return 0, 0, ErrBadFrame
	}
	idx := replayCounters - 1
	if f.IsQoS() {
		idx = int(f.TID())
	}
	return f.HeaderLen(), idx, nil
}

// aadNonce builds CCMP's additional authenticated data and nonce from the
// MAC header (IEEE 802.11 12.5.3.3.3-4): frame control with the subtype
// (data), Retry, Power Management and More Data bits masked and Protected
// set; the addresses; sequence control without the sequence number; A4
// and the QoS TID when present. The nonce is the priority (TID), A2 and
// the PN (PN5 first).
func aadNonce(hdr []byte, pn uint64, aad *[32]byte, nonce *[ccmNonceLen]byte) int {
	data := (hdr[0]>>2)&3 == frames.TypeData
	qos := data && hdr[0]&0x80 != 0
	fc0, fc1 := hdr[0], hdr[1]
	if data {
		fc0 &^= 0x70
	}
	fc1 = fc1&^(frames.FlagRetry|frames.FlagPwrMgt|frames.FlagMoreData) | frames.FlagProtected
	if qos {
		fc1 &^= frames.FlagOrder
	}
	aad[0], aad[1] = fc0, fc1
	copy(aad[2:20], hdr[4:22])
	aad[20], aad[21] = hdr[22]&0x0f, 0
	n := 22
	off := 24
	if data && hdr[1]&(frames.FlagToDS|frames.FlagFromDS) == frames.FlagToDS|frames.FlagFromDS {
		copy(aad[22:28], hdr[24:30])
		n, off = 28, 30
	}
	var prio byte
	if qos {
		prio = hdr[off] & 0x0f
		aad[n], aad[n+1] = prio, 0
		n += 2
	}
	nonce[0] = prio
	if !data {
		nonce[0] |= 0x10 // management frame (protected management frames)
	}
	copy(nonce[1:7], hdr[10:16])
	for i := 0; i < 6; i++ {
		nonce[7+i] = byte(pn >> (8 * (5 - i)))
	}
	return n
}

// Encrypt protects frame in place: frame is an MPDU (MAC header and
// plaintext body) whose buffer has CCMPOverhead bytes of capacity behind
// it. It takes the next packet number, inserts the CCMP header, encrypts
// the body, appends the MIC, sets the Protected bit and returns the
// longer frame (same backing array). It does not allocate.
func (k *Key) Encrypt(frame []byte) ([]byte, error) {
	var aad [32]byte
	var nonce [ccmNonceLen]byte
	out, body, an, err := k.sealPrep(frame, &aad, &nonce)
	if err != nil {
		return frame, err
	}
	s := scratchPool.Get().(*ccmScratch)
	tag := ccm(&k.c, s, &nonce, aad[:an], body, body, true)
	scratchPool.Put(s)
	copy(out[len(out)-CCMPMICLen:], tag[:])
	return out, nil
}

// sealPrep is the first step of protecting frame (an unprotected MPDU),
// shared by Encrypt and EncryptBatch: it checks the header, takes the next
// packet number, moves the body behind a CCMP header written for it
// (CCMPOverhead bytes of capacity are needed behind frame), sets the
// Protected bit and fills the AAD and nonce. body is the plaintext, in
// place, that the caller seals; the MIC goes in out's last CCMPMICLen
// bytes.
func (k *Key) sealPrep(frame []byte, aad *[32]byte, nonce *[ccmNonceLen]byte) (out, body []byte, an int, err error) {
	hl, _, err := hdrInfo(frame)
	if err != nil {
		return nil, nil, 0, err
	}
	if frame[1]&frames.FlagProtected != 0 {
		return nil, nil, 0, ErrProtected
	}
	n := len(frame)
	if cap(frame)-n < CCMPOverhead {
		return nil, nil, 0, ErrNoRoom
	}
	pn := k.txPN.Add(1)
	if pn > maxPN {
		return nil, nil, 0, ErrPNExhausted
	}
	out = frame[:n+CCMPOverhead]
	body = out[hl+CCMPHeaderLen : n+CCMPHeaderLen]
	copy(body, frame[hl:n])
	putCCMPHeader(out[hl:hl+CCMPHeaderLen], pn, k.id)
	out[1] |= frames.FlagProtected
	return out, body, aadNonce(out[:hl], pn, aad, nonce), nil
}

// putCCMPHeader writes the 8-byte CCMP header of packet number pn and key
// ID id (Ext IV set) into h.
func putCCMPHeader(h []byte, pn uint64, id uint8) {
	h[0], h[1], h[2], h[3] = byte(pn), byte(pn>>8), 0, id<<6|extIV
	h[4], h[5], h[6], h[7] = byte(pn>>16), byte(pn>>24), byte(pn>>32), byte(pn>>40)
}

// rxCheck is the first step of opening a frame, shared by Decrypt,
// DecryptBatch and Reencrypt: the MAC header's length, the frame's packet
// number and the replay counter of its TID, or ErrReplay when the number
// is not above the last one accepted there (checked again, atomically,
// once the MIC has passed).
func (k *Key) rxCheck(frame []byte) (hl int, pn uint64, ctr *atomic.Uint64, err error) {
	hl, idx, err := hdrInfo(frame)
	if err != nil {
		return 0, 0, nil, err
	}
	if pn, _, err = FramePN(frame); err != nil {
		return 0, 0, nil, err
	}
	ctr = &k.rxPN[idx]
	if pn <= ctr.Load() {
		return 0, 0, nil, ErrReplay
	}
	return hl, pn, ctr, nil
}

// FramePN returns the packet number and key ID in a protected frame's
// CCMP header.
func FramePN(frame []byte) (pn uint64, keyID uint8, err error) {
	hl, _, err := hdrInfo(frame)
	if err != nil {
		return 0, 0, err
	}
	if frame[1]&frames.FlagProtected == 0 {
		return 0, 0, ErrNotProtected
	}
	if len(frame) < hl+CCMPOverhead {
		return 0, 0, ErrTooShort
	}
	h := frame[hl:]
	if h[3]&extIV == 0 {
		return 0, 0, ErrNoExtIV
	}
	pn = uint64(h[0]) | uint64(h[1])<<8 | uint64(h[4])<<16 | uint64(h[5])<<24 | uint64(h[6])<<32 | uint64(h[7])<<40
	return pn, h[3] >> 6, nil
}

// Decrypt checks and decrypts a protected frame and appends the plaintext
// MPDU (header with the Protected bit cleared, then the body) to dst. dst
// may be frame[:0] to decrypt in place; otherwise it must not overlap
// frame. Frames whose packet number is not above the last one accepted
// for their TID return ErrReplay, a wrong MIC ErrMIC; the replay counter
// only advances for frames that pass the MIC. It does not allocate when
// dst has room.
func (k *Key) Decrypt(dst, frame []byte) ([]byte, error) {
	hl, pn, ctr, err := k.rxCheck(frame)
	if err != nil {
		return dst, err
	}
	var aad [32]byte
	var nonce [ccmNonceLen]byte
	an := aadNonce(frame[:hl], pn, &aad, &nonce)
	n := len(frame) - CCMPOverhead // plaintext MPDU length
	var mic [CCMPMICLen]byte
	copy(mic[:], frame[len(frame)-CCMPMICLen:])
	start := len(dst)
	if cap(dst)-start < n {
		dst = slices.Grow(dst, n)
	}
	dst = append(dst, frame[:hl]...) // in place: copies onto itself
	dst = dst[:start+n]
	s := scratchPool.Get().(*ccmScratch)
	tag := ccm(&k.c, s, &nonce, aad[:an], dst[start+hl:], frame[hl+CCMPHeaderLen:len(frame)-CCMPMICLen], false)
	scratchPool.Put(s)
	if subtle.ConstantTimeCompare(tag[:], mic[:]) != 1 {
		return dst[:start], ErrMIC
	}
	for {
		last := ctr.Load()
		if pn <= last {
			return dst[:start], ErrReplay
		}
		if ctr.CompareAndSwap(last, pn) {
			break
		}
	}
	dst[start+1] &^= frames.FlagProtected
	return dst, nil
}
