// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/vmedium/vmedium/frames"
)

// The 4-way and group key handshakes of WPA2-PSK (IEEE 802.11 12.7.6,
// 12.7.7), message by message. Authenticator and Supplicant hold one
// security association's handshake state and turn received EAPOL-Key
// frames into the next message; the MACs (ap, sta) carry the frames,
// retransmit on timeout and install the keys. They are not safe for
// concurrent use: each MAC drives them from its one MAC goroutine.

// Message is the role of an EAPOL-Key frame in the handshakes.
type Message int

const (
	MsgUnknown Message = iota
	Msg1               // 4-way 1/4: ANonce (AP → STA)
	Msg2               // 4-way 2/4: SNonce, STA's RSN element, MIC (STA → AP)
	Msg3               // 4-way 3/4: install, AP's RSN element and GTK, MIC (AP → STA)
	Msg4               // 4-way 4/4: MIC (STA → AP)
	Group1             // group key 1/2: new GTK, MIC (AP → STA)
	Group2             // group key 2/2: MIC (STA → AP)
)

var messageNames = [...]string{"unknown EAPOL-Key message", "message 1/4", "message 2/4", "message 3/4", "message 4/4", "group message 1/2", "group message 2/2"}

func (m Message) String() string { return messageNames[m] }

// Kind classifies k by its key information bits.
func (k *EAPOLKey) Kind() Message {
	i := k.Info
	switch {
	case i.Has(KeyInfoRequest) || i.Has(KeyInfoError):
		return MsgUnknown
	case i.Has(KeyInfoPairwise) && i.Has(KeyInfoAck) && !i.Has(KeyInfoMIC):
		return Msg1
	case i.Has(KeyInfoPairwise) && i.Has(KeyInfoAck|KeyInfoMIC|KeyInfoInstall):
		return Msg3
	case i.Has(KeyInfoPairwise) && i.Has(KeyInfoMIC) && !i.Has(KeyInfoAck) && !i.Has(KeyInfoSecure):
		return Msg2
	case i.Has(KeyInfoPairwise) && i.Has(KeyInfoMIC|KeyInfoSecure) && !i.Has(KeyInfoAck):
		return Msg4
	case !i.Has(KeyInfoPairwise) && i.Has(KeyInfoAck|KeyInfoMIC):
		return Group1
	case !i.Has(KeyInfoPairwise) && i.Has(KeyInfoMIC) && !i.Has(KeyInfoAck):
		return Group2
	}
	return MsgUnknown
}

// Handshake errors the MACs branch on.
var (
	// ErrMICFailure: the MIC of a message is wrong. On message 2 at the
	// AP it means the station derived another PMK: a wrong passphrase.
	ErrMICFailure = errors.New("EAPOL-Key MIC failure")
	// ErrUnexpected: a message that does not fit the handshake's state
	// or replay counter (stale retransmission, reordering); it is dropped.
	ErrUnexpected = errors.New("unexpected EAPOL-Key message")
)

// NewNonce returns a random nonce.
func NewNonce() Nonce {
	var n Nonce
	rand.Read(n[:]) // never fails (crypto/rand panics instead)
	return n
}

// NewGTK returns a random group temporal key.
func NewGTK() []byte {
	g := make([]byte, GTKLen)
	rand.Read(g)
	return g
}

// GroupKey is a GTK to hand out: key, key ID (1..3) and the packet
// number the AP last used with it (the RSC).
type GroupKey struct {
	Key []byte
	ID  uint8
	RSC uint64
}

// Authenticator is the AP side of one station's handshakes.
type Authenticator struct {
	PMK   []byte
	AA    frames.MAC // the AP (BSSID)
	SPA   frames.MAC // the station
	APIE  []byte     // the AP's RSN element as in its beacons
	STAIE []byte     // the station's RSN element from its (re)association request

	replay uint64
	anonce Nonce
	ptk    PTK
	hasPTK bool
}

func (a *Authenticator) send(k *EAPOLKey, mic bool) []byte {
	a.replay++
	k.ReplayCounter = a.replay
	k.ProtocolVersion = 2
	b := k.Append(nil)
	if mic {
		SetMIC(a.ptk.KCK[:], b)
	}
	return b
}

// Message1 starts (or retransmits) the 4-way handshake. The ANonce is
// drawn once per handshake; retransmissions reuse it with a new replay
// counter, like hostapd.
func (a *Authenticator) Message1(restart bool) []byte {
	if restart || a.anonce == (Nonce{}) {
		a.anonce = NewNonce()
		a.hasPTK = false
	}
	return a.send(&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoPairwise | KeyInfoAck, KeyLen: 16, Nonce: a.anonce}, false)
}

// HandleMessage2 checks message 2 (raw is the whole EAPOL frame): the
// replay counter of the last message sent, the MIC under the PTK derived
// with its SNonce (ErrMICFailure otherwise: the passphrase differs) and
// the station's RSN element against its association request.
func (a *Authenticator) HandleMessage2(k *EAPOLKey, raw []byte) error {
	if k.ReplayCounter != a.replay {
		return fmt.Errorf("%w: %s with replay counter %d, expected %d", ErrUnexpected, Msg2, k.ReplayCounter, a.replay)
	}
	ptk := DerivePTK(a.PMK, a.AA, a.SPA, a.anonce, k.Nonce)
	if !VerifyMIC(ptk.KCK[:], raw) {
		return fmt.Errorf("%s from %s: %w (wrong passphrase?)", Msg2, a.SPA, ErrMICFailure)
	}
	kd, err := ParseKeyData(k.Data)
	if err != nil {
		return fmt.Errorf("%s from %s: %w", Msg2, a.SPA, err)
	}
	if len(a.STAIE) >= 2 && !bytes.Equal(kd.RSN, a.STAIE[2:]) {
		return fmt.Errorf("%w: %s from %s: RSN element differs from the association request", ErrUnexpected, Msg2, a.SPA)
	}
	a.ptk, a.hasPTK = ptk, true
	return nil
}

// Message3 builds message 3 with the AP's RSN element and the GTK,
// wrapped with the KEK.
func (a *Authenticator) Message3(g GroupKey) ([]byte, error) {
	if !a.hasPTK {
		return nil, fmt.Errorf("%w: message 3 before a valid message 2", ErrUnexpected)
	}
	kd := PadKeyData(AppendGTKKDE(append([]byte(nil), a.APIE...), g.ID, g.Key))
	w, err := KeyWrap(a.ptk.KEK[:], kd)
	if err != nil {
		return nil, err
	}
	return a.send(&EAPOLKey{
		Info:   KeyDescriptorV2 | KeyInfoPairwise | KeyInfoInstall | KeyInfoAck | KeyInfoMIC | KeyInfoSecure | KeyInfoEncrypted,
		KeyLen: 16, Nonce: a.anonce, RSC: g.RSC, Data: w,
	}, true), nil
}

// HandleMessage4 checks message 4; on success the PTK is ready to install.
func (a *Authenticator) HandleMessage4(k *EAPOLKey, raw []byte) error {
	return a.checkReply(k, raw, Msg4)
}

func (a *Authenticator) checkReply(k *EAPOLKey, raw []byte, m Message) error {
	if !a.hasPTK || k.ReplayCounter != a.replay {
		return fmt.Errorf("%w: %s with replay counter %d, expected %d", ErrUnexpected, m, k.ReplayCounter, a.replay)
	}
	if !VerifyMIC(a.ptk.KCK[:], raw) {
		return fmt.Errorf("%s from %s: %w", m, a.SPA, ErrMICFailure)
	}
	return nil
}

// PTK returns the pairwise keys of a completed message 2.
func (a *Authenticator) PTK() PTK { return a.ptk }

// GroupMessage1 hands a new GTK to an authorized station.
func (a *Authenticator) GroupMessage1(g GroupKey) ([]byte, error) {
	if !a.hasPTK {
		return nil, fmt.Errorf("%w: group key handshake without a PTK", ErrUnexpected)
	}
	w, err := KeyWrap(a.ptk.KEK[:], PadKeyData(AppendGTKKDE(nil, g.ID, g.Key)))
	if err != nil {
		return nil, err
	}
	return a.send(&EAPOLKey{
		Info: KeyDescriptorV2 | KeyInfoAck | KeyInfoMIC | KeyInfoSecure | KeyInfoEncrypted,
		RSC:  g.RSC, Data: w,
	}, true), nil
}

// HandleGroupMessage2 checks the station's answer to GroupMessage1.
func (a *Authenticator) HandleGroupMessage2(k *EAPOLKey, raw []byte) error {
	return a.checkReply(k, raw, Group2)
}

// Supplicant is the station side of the handshakes with one AP.
type Supplicant struct {
	PMK   []byte
	AA    frames.MAC // the AP (BSSID)
	SPA   frames.MAC // the station
	STAIE []byte     // the station's RSN element as sent in its association request
	APIE  []byte     // the AP's RSN element from its beacon or probe response

	snonce    Nonce
	anonce    Nonce
	ptk       PTK
	hasPTK    bool
	replay    uint64
	hasReplay bool
}

// Keys are what a supplicant installs after message 3 or group message 1.
type Keys struct {
	PTK    *PTK // nil for the group key handshake
	GTK    []byte
	GTKID  uint8
	GTKRSC uint64
}

func (s *Supplicant) reply(k *EAPOLKey) []byte {
	k.ProtocolVersion = 1
	b := k.Append(nil)
	SetMIC(s.ptk.KCK[:], b)
	return b
}

func (s *Supplicant) freshReplay(k *EAPOLKey) bool {
	return !s.hasReplay || k.ReplayCounter > s.replay
}

// HandleMessage1 derives the PTK for the ANonce with a new SNonce and
// returns message 2.
func (s *Supplicant) HandleMessage1(k *EAPOLKey) ([]byte, error) {
	if !s.freshReplay(k) {
		return nil, fmt.Errorf("%w: %s with old replay counter %d", ErrUnexpected, Msg1, k.ReplayCounter)
	}
	if k.Info.Version() != KeyDescriptorV2 {
		return nil, fmt.Errorf("%w: %s with key descriptor version %d: only 2 (HMAC-SHA1, AES key wrap) is spoken", ErrUnexpected, Msg1, k.Info.Version())
	}
	if s.snonce == (Nonce{}) || k.Nonce != s.anonce {
		s.snonce = NewNonce()
	}
	s.anonce = k.Nonce
	s.ptk = DerivePTK(s.PMK, s.AA, s.SPA, s.anonce, s.snonce)
	s.hasPTK = true
	// Message 1 carries no MIC: its replay counter is not recorded, so
	// a forged message 1 cannot block the genuine message 3.
	return s.reply(&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoPairwise | KeyInfoMIC, ReplayCounter: k.ReplayCounter,
		Nonce: s.snonce, Data: append([]byte(nil), s.STAIE...)}), nil
}

// HandleMessage3 checks message 3 (MIC, ANonce, replay counter, the AP's
// RSN element against its beacon), unwraps the GTK and returns message 4
// and the keys to install.
func (s *Supplicant) HandleMessage3(k *EAPOLKey, raw []byte) ([]byte, Keys, error) {
	if !s.hasPTK || k.Nonce != s.anonce {
		return nil, Keys{}, fmt.Errorf("%w: %s without a matching message 1", ErrUnexpected, Msg3)
	}
	if !VerifyMIC(s.ptk.KCK[:], raw) {
		return nil, Keys{}, fmt.Errorf("%s from %s: %w", Msg3, s.AA, ErrMICFailure)
	}
	if !s.freshReplay(k) {
		return nil, Keys{}, fmt.Errorf("%w: %s with old replay counter %d", ErrUnexpected, Msg3, k.ReplayCounter)
	}
	kd, err := s.keyData(k)
	if err != nil {
		return nil, Keys{}, err
	}
	if len(s.APIE) >= 2 {
		got, err1 := ParseIE(kd.RSN)
		want, err2 := ParseIE(s.APIE[2:])
		if err1 != nil || err2 != nil || got.Group != want.Group || !slicesEqual(got.Pairwise, want.Pairwise) || !slicesEqual(got.AKM, want.AKM) {
			return nil, Keys{}, fmt.Errorf("%w: %s: the AP's RSN element differs from its beacon (downgrade?)", ErrUnexpected, Msg3)
		}
	}
	if kd.GTK == nil {
		return nil, Keys{}, fmt.Errorf("%w: %s without a GTK", ErrUnexpected, Msg3)
	}
	s.replay, s.hasReplay = k.ReplayCounter, true
	ptk := s.ptk
	m4 := s.reply(&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoPairwise | KeyInfoMIC | KeyInfoSecure, ReplayCounter: k.ReplayCounter})
	return m4, Keys{PTK: &ptk, GTK: kd.GTK, GTKID: kd.GTKKeyID, GTKRSC: k.RSC}, nil
}

// HandleGroupMessage1 checks a group key message and returns the answer
// and the new GTK.
func (s *Supplicant) HandleGroupMessage1(k *EAPOLKey, raw []byte) ([]byte, Keys, error) {
	if !s.hasPTK || !s.hasReplay {
		return nil, Keys{}, fmt.Errorf("%w: %s before the 4-way handshake completed", ErrUnexpected, Group1)
	}
	if !VerifyMIC(s.ptk.KCK[:], raw) {
		return nil, Keys{}, fmt.Errorf("%s from %s: %w", Group1, s.AA, ErrMICFailure)
	}
	if !s.freshReplay(k) {
		return nil, Keys{}, fmt.Errorf("%w: %s with old replay counter %d", ErrUnexpected, Group1, k.ReplayCounter)
	}
	kd, err := s.keyData(k)
	if err != nil {
		return nil, Keys{}, err
	}
	if kd.GTK == nil {
		return nil, Keys{}, fmt.Errorf("%w: %s without a GTK", ErrUnexpected, Group1)
	}
	s.replay = k.ReplayCounter
	g2 := s.reply(&EAPOLKey{Info: KeyDescriptorV2 | KeyInfoMIC | KeyInfoSecure, ReplayCounter: k.ReplayCounter})
	return g2, Keys{GTK: kd.GTK, GTKID: kd.GTKKeyID, GTKRSC: k.RSC}, nil
}

func (s *Supplicant) keyData(k *EAPOLKey) (KeyData, error) {
	if !k.Info.Has(KeyInfoEncrypted) {
		return KeyData{}, fmt.Errorf("%w: key data not encrypted", ErrUnexpected)
	}
	plain, err := KeyUnwrap(s.ptk.KEK[:], k.Data)
	if err != nil {
		return KeyData{}, err
	}
	return ParseKeyData(plain)
}

func slicesEqual(a, b []Suite) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
