// SPDX-License-Identifier: MIT

package rsn

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
)

// KeyTable is the key store of one radio as a driver fills it (cfg80211's
// add_key, del_key and set_default_key, e.g. from hostapd or
// wpa_supplicant through the kmod backend): a pairwise key per peer, the
// group keys by index, and the default transmit group key. Its data path
// picks the right key per frame: Encrypt by the receiver address, Decrypt
// by the transmitter and the key ID in the CCMP header. Lookups are lock
// free (copy-on-write map); changes take a mutex.
type KeyTable struct {
	mu       sync.Mutex
	pairwise atomic.Pointer[map[frames.MAC]*Key]
	group    [4]atomic.Pointer[Key]
	txGroup  atomic.Int32 // default group key index; 0 = none
}

// Errors of the KeyTable data path (preallocated).
var (
	ErrNoKey = fmt.Errorf("%w: no key installed for this frame", ErrCCMP)
)

func (t *KeyTable) pairMap() map[frames.MAC]*Key {
	if m := t.pairwise.Load(); m != nil {
		return *m
	}
	return nil
}

// SetPairwise installs (or replaces) the pairwise CCMP-128 key of peer.
// Replacing a key resets its packet numbers, as a new PTK does.
func (t *KeyTable) SetPairwise(peer frames.MAC, tk []byte) error {
	k, err := NewKey(tk, 0)
	if err != nil {
		return fmt.Errorf("pairwise key for %s: %w", peer, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.pairMap()
	m := make(map[frames.MAC]*Key, len(old)+1)
	for a, v := range old {
		m[a] = v
	}
	m[peer] = k
	t.pairwise.Store(&m)
	return nil
}

// DeletePairwise removes peer's pairwise key (the station left).
func (t *KeyTable) DeletePairwise(peer frames.MAC) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.pairMap()
	if _, ok := old[peer]; !ok {
		return
	}
	m := make(map[frames.MAC]*Key, len(old))
	for a, v := range old {
		if a != peer {
			m[a] = v
		}
	}
	t.pairwise.Store(&m)
}

// SetGroup installs group key idx (1..3) with the receive sequence
// counter the authenticator announced (frames must carry a higher PN).
func (t *KeyTable) SetGroup(idx uint8, gtk []byte, rsc uint64) error {
	if idx < 1 || idx > 3 {
		return fmt.Errorf("group key index %d: accepted is 1..3", idx)
	}
	k, err := NewKey(gtk, idx)
	if err != nil {
		return fmt.Errorf("group key %d: %w", idx, err)
	}
	k.SetRxPN(rsc)
	t.group[idx].Store(k)
	return nil
}

// DeleteGroup removes group key idx.
func (t *KeyTable) DeleteGroup(idx uint8) {
	if idx < 4 {
		t.group[idx].Store(nil)
		t.txGroup.CompareAndSwap(int32(idx), 0)
	}
}

// SetDefaultGroup makes group key idx the one group-addressed frames are
// sent with (an AP's set_default_key).
func (t *KeyTable) SetDefaultGroup(idx uint8) error {
	if idx < 1 || idx > 3 || t.group[idx].Load() == nil {
		return fmt.Errorf("default group key %d: accepted is an installed key index 1..3", idx)
	}
	t.txGroup.Store(int32(idx))
	return nil
}

// Pairwise returns peer's pairwise key, if installed.
func (t *KeyTable) Pairwise(peer frames.MAC) (*Key, bool) {
	k, ok := t.pairMap()[peer]
	return k, ok
}

// Encrypt protects an outgoing frame in place (see Key.Encrypt): with the
// pairwise key of its receiver, or the default group key when the
// receiver is a group address. ErrNoKey when none is installed: the
// caller drops the frame (or, before the handshake, sends it in the
// clear if it is EAPOL).
func (t *KeyTable) Encrypt(frame []byte) ([]byte, error) {
	if len(frame) < 10 {
		return frame, ErrBadFrame
	}
	ra := frames.MAC(frame[4:10])
	var k *Key
	if ra.IsGroup() {
		if i := t.txGroup.Load(); i != 0 {
			k = t.group[i].Load()
		}
	} else {
		k = t.pairMap()[ra]
	}
	if k == nil {
		return frame, ErrNoKey
	}
	return k.Encrypt(frame)
}

// Decrypt checks and decrypts a received protected frame (see
// Key.Decrypt): group-addressed frames with the group key of the key ID
// in their CCMP header, others with the pairwise key of their
// transmitter.
func (t *KeyTable) Decrypt(dst, frame []byte) ([]byte, error) {
	_, id, err := FramePN(frame)
	if err != nil {
		return dst, err
	}
	var k *Key
	if frames.MAC(frame[4:10]).IsGroup() {
		k = t.group[id].Load()
	} else {
		k = t.pairMap()[frames.MAC(frame[10:16])]
	}
	if k == nil {
		return dst, ErrNoKey
	}
	return k.Decrypt(dst, frame)
}
