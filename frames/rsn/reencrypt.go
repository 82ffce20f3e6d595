// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/subtle"
	"slices"

	"github.com/vmedium/vmedium/frames"
)

// Reencrypt is what an AP does to a frame it relays between two stations:
// it checks and decrypts frame, protected with from (replay counter and
// MIC as in Key.Decrypt), and appends to dst the same payload under the
// MAC header newHdr, protected with to (its next packet number). With
// AES-NI it is one pass over the payload: the plaintext is shared, so both
// CBC-MACs and both key streams run interleaved, about the cost of one
// CCM operation instead of two. newHdr is a whole MAC header (its
// Protected bit is set here); dst must not overlap frame. It does not
// allocate when dst has room.
func Reencrypt(from, to *Key, dst, frame, newHdr []byte) ([]byte, error) {
	hl, pn, ctr, err := from.rxCheck(frame)
	if err != nil {
		return dst, err
	}
	hl2, _, err := hdrInfo(newHdr)
	if err != nil || hl2 != len(newHdr) {
		return dst, ErrBadFrame
	}
	n := len(frame) - hl - CCMPOverhead
	start := len(dst)
	need := hl2 + CCMPOverhead + n
	if cap(dst)-start < need {
		dst = slices.Grow(dst, need)
	}
	out := append(dst, newHdr...)[:start+need]
	out[start+1] |= frames.FlagProtected
	pn2 := to.txPN.Add(1)
	if pn2 > maxPN {
		return dst[:start], ErrPNExhausted
	}
	putCCMPHeader(out[start+hl2:start+hl2+CCMPHeaderLen], pn2, to.id)

	var aad1, aad2 [32]byte
	var nonce1, nonce2 [ccmNonceLen]byte
	an1 := aadNonce(frame[:hl], pn, &aad1, &nonce1)
	an2 := aadNonce(out[start:start+hl2], pn2, &aad2, &nonce2)
	src := frame[hl+CCMPHeaderLen : len(frame)-CCMPMICLen]
	body := out[start+hl2+CCMPHeaderLen : start+hl2+CCMPHeaderLen+n]
	s1 := scratchPool.Get().(*ccmScratch)
	s2 := scratchPool.Get().(*ccmScratch)
	var tag1, tag2 [ccmM]byte
	if from.c.rk != nil && to.c.rk != nil {
		tag1, tag2 = reencAESNI(&from.c, &to.c, s1, s2, &nonce1, &nonce2, aad1[:an1], aad2[:an2], body, src)
	} else {
		tag1 = ccm(&from.c, s1, &nonce1, aad1[:an1], body, src, false)
		tag2 = ccm(&to.c, s2, &nonce2, aad2[:an2], body, body, true)
	}
	scratchPool.Put(s1)
	scratchPool.Put(s2)
	if subtle.ConstantTimeCompare(tag1[:], frame[len(frame)-CCMPMICLen:]) != 1 {
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
	copy(out[start+hl2+CCMPHeaderLen+n:], tag2[:])
	return out, nil
}

// reencAESNI is Reencrypt's payload pass on AES-NI; it returns the tag of
// the received frame (to check) and of the new one.
func reencAESNI(c1, c2 *ccmCipher, s1, s2 *ccmScratch, nonce1, nonce2 *[ccmNonceLen]byte, aad1, aad2, dst, src []byte) (tag1, tag2 [ccmM]byte) {
	n := len(src)
	c1.start(s1, nonce1, aad1, n)
	c2.start(s2, nonce2, aad2, n)
	full := n / 16
	for _, s := range []*ccmScratch{s1, s2} {
		for i := 0; i <= full+1; i++ {
			blk := (*[16]byte)(s.ks[16*i : 16*i+16])
			*blk = s.a
			blk[14], blk[15] = byte(i>>8), byte(i)
		}
	}
	encryptBlocksAESNI(c1.rk, &s1.ks[0], 1) // S0 of each
	encryptBlocksAESNI(c2.rk, &s2.ks[0], 1)
	last1 := s1.ks[16*(full+1) : 16*(full+2)]
	last2 := s2.ks[16*(full+1) : 16*(full+2)]
	if full > 0 {
		ccmReencAESNI(c1.rk, c2.rk, &s1.x, &s2.x, &s1.ks[16], &s2.ks[16], &dst[0], &src[0], full)
	} else {
		encryptBlocksAESNI(c1.rk, &last1[0], 1)
	}
	if tail := n - 16*full; tail > 0 {
		var pad [16]byte
		copy(pad[:], src[16*full:])
		subtle.XORBytes(pad[:tail], pad[:tail], last1[:tail])
		xor16(&s1.x, pad[:])
		c1.enc1(&s1.x)
		xor16(&s2.x, pad[:])
		c2.enc1(&s2.x)
		encryptBlocksAESNI(c2.rk, &last2[0], 1)
		subtle.XORBytes(dst[16*full:n], pad[:tail], last2[:tail])
	}
	for j := range tag1 {
		tag1[j] = s1.x[j] ^ s1.ks[j]
		tag2[j] = s2.x[j] ^ s2.ks[j]
	}
	return tag1, tag2
}

// PeekEtherType reads the ethertype of the LLC/SNAP header that starts a
// protected data frame's payload by decrypting only its first block,
// without checking the MIC: for routing before Reencrypt (which checks
// it), e.g. so that an AP keeps EAPOL frames instead of relaying them.
// ok is false when the frame is too short or the payload does not start
// with LLC/SNAP.
func (k *Key) PeekEtherType(frame []byte) (etype uint16, ok bool) {
	hl, _, err := hdrInfo(frame)
	if err != nil {
		return 0, false
	}
	pn, _, err := FramePN(frame)
	if err != nil || len(frame) < hl+CCMPOverhead+frames.LLCSNAPLen {
		return 0, false
	}
	var aad [32]byte
	var nonce [ccmNonceLen]byte
	aadNonce(frame[:hl], pn, &aad, &nonce)
	s := scratchPool.Get().(*ccmScratch)
	a := &s.x
	a[0] = 2 - 1
	copy(a[1:14], nonce[:])
	a[14], a[15] = 0, 1
	k.c.enc1(a)
	var p [frames.LLCSNAPLen]byte
	subtle.XORBytes(p[:], frame[hl+CCMPHeaderLen:hl+CCMPHeaderLen+frames.LLCSNAPLen], a[:frames.LLCSNAPLen])
	scratchPool.Put(s)
	if p[0] != 0xaa || p[1] != 0xaa || p[2] != 0x03 || p[3] != 0 || p[4] != 0 || (p[5] != 0 && p[5] != 0xf8) {
		return 0, false
	}
	return uint16(p[6])<<8 | uint16(p[7]), true
}
