// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"

	"github.com/vmedium/vmedium/frames"
)

// PRF is the 802.11 pseudo-random function PRF-n (IEEE 802.11 12.7.1.2)
// on HMAC-SHA1: the concatenation of HMAC-SHA1(key, label || 0 || data ||
// i) for i = 0, 1, ... truncated to n bytes.
func PRF(key []byte, label string, data []byte, n int) []byte {
	mac := hmac.New(sha1.New, key)
	out := make([]byte, 0, n+sha1.Size)
	var i [1]byte
	for len(out) < n {
		mac.Reset()
		mac.Write([]byte(label))
		mac.Write([]byte{0})
		mac.Write(data)
		mac.Write(i[:])
		out = mac.Sum(out)
		i[0]++
	}
	return out[:n]
}

// Nonce is an EAPOL-Key nonce (ANonce, SNonce).
type Nonce [32]byte

// PTK is the pairwise transient key of CCMP-128 with AKM PSK (PRF-384):
// the EAPOL-Key confirmation key (MIC), encryption key (key wrap) and the
// temporal key CCMP encrypts data with.
type PTK struct {
	KCK [16]byte
	KEK [16]byte
	TK  [16]byte
}

// DerivePTK computes the PTK from the PMK, the authenticator's (AP) and
// supplicant's (STA) addresses and both nonces: PRF-384(PMK, "Pairwise
// key expansion", min(AA,SPA) || max(AA,SPA) || min(ANonce,SNonce) ||
// max(ANonce,SNonce)).
func DerivePTK(pmk []byte, aa, spa frames.MAC, anonce, snonce Nonce) PTK {
	data := make([]byte, 0, 2*6+2*32)
	if bytes.Compare(aa[:], spa[:]) < 0 {
		data = append(append(data, aa[:]...), spa[:]...)
	} else {
		data = append(append(data, spa[:]...), aa[:]...)
	}
	if bytes.Compare(anonce[:], snonce[:]) < 0 {
		data = append(append(data, anonce[:]...), snonce[:]...)
	} else {
		data = append(append(data, snonce[:]...), anonce[:]...)
	}
	k := PRF(pmk, "Pairwise key expansion", data, 48)
	var p PTK
	copy(p.KCK[:], k[0:16])
	copy(p.KEK[:], k[16:32])
	copy(p.TK[:], k[32:48])
	return p
}
