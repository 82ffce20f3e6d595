// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/subtle"
	"slices"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
)

// Decrypting several frames at once. A CCM operation's cost is its
// CBC-MAC: every block is one AES encryption that depends on the one
// before, so one chain keeps the AES unit waiting out its latency (four
// cycles per round, one new round per cycle). The chains of different
// frames are independent: DecryptBatch runs the counter mode of each
// frame in bulk and then up to four frames' MAC chains interleaved
// (cbcMAC4AESNI), about the cost of one chain for four frames. A receiver
// that has several frames waiting (a station's receive queue) uses it.

// MaxBatch is how many frames DecryptBatch interleaves; longer batches
// are taken MaxBatch at a time.
const MaxBatch = 4

// DecryptJob is one frame for DecryptBatch: Key, Dst and Frame as for
// Key.Decrypt (Key not nil); DecryptBatch sets Out and Err to what
// Key.Decrypt would return.
type DecryptJob struct {
	Key   *Key
	Dst   []byte
	Frame []byte
	Out   []byte
	Err   error
}

// DecryptBatch decrypts every job as Key.Decrypt does, with the same
// results: the same checks, and replay counters that advance in job
// order, as if the jobs were decrypted one after the other (a frame whose
// packet number an earlier job of the same key and TID used is a
// replay). It does not allocate when every Dst has room.
func DecryptBatch(jobs []DecryptJob) {
	for len(jobs) > 0 {
		n := min(len(jobs), MaxBatch)
		decryptBatch(jobs[:n])
		jobs = jobs[n:]
	}
}

// ccmLane is one frame's CBC-MAC in a batch: its key, its scratch (the
// MAC state after B0 and the AAD in s.x, the key stream in s.ks) and the
// plaintext body the MAC runs over.
type ccmLane struct {
	k      *Key
	s      *ccmScratch
	body   []byte
	blocks int // whole blocks of body
}

// openLane is one frame of a decryption batch between its preparation
// and its check.
//
// Lanes name their job by index (ji), not by pointer: a pointer stored in
// a lane would make the compiler move the caller's job array to the heap.
type openLane struct {
	ccmLane
	ji    int
	ctr   *atomic.Uint64
	pn    uint64
	start int // of the plaintext MPDU in j.Out
	mic   [CCMPMICLen]byte
}

func decryptBatch(jobs []DecryptJob) {
	fast := 0
	for i := range jobs {
		if jobs[i].Key.c.rk != nil {
			fast++
		}
	}
	if fast < 2 {
		for i := range jobs {
			j := &jobs[i]
			j.Out, j.Err = j.Key.Decrypt(j.Dst, j.Frame)
		}
		return
	}
	var lanes [MaxBatch]openLane
	var macs [MaxBatch]ccmLane
	m := 0
	for i := range jobs {
		j := &jobs[i]
		if j.Key.c.rk == nil {
			j.Out, j.Err = j.Key.Decrypt(j.Dst, j.Frame)
			continue
		}
		if prepareOpen(jobs, i, &lanes[m]) {
			macs[m] = lanes[m].ccmLane
			m++
		}
	}
	macLanes(macs, m)
	for i := range lanes[:m] {
		finishOpen(jobs, &lanes[i])
	}
}

// prepareOpen checks a frame's header and packet number, copies its
// header to the destination and decrypts its body (counter mode, in
// bulk), and starts its CBC-MAC (B0 and the AAD). It reports false, with
// the job's result set, when the frame fails before its MAC.
func prepareOpen(jobs []DecryptJob, ji int, l *openLane) bool {
	j := &jobs[ji]
	k, frame, dst := j.Key, j.Frame, j.Dst
	j.Out = dst
	hl, pn, ctr, err := k.rxCheck(frame)
	if err != nil {
		j.Err = err
		return false
	}
	var aad [32]byte
	var nonce [ccmNonceLen]byte
	an := aadNonce(frame[:hl], pn, &aad, &nonce)
	n := len(frame) - CCMPOverhead // plaintext MPDU length
	bn := n - hl
	*l = openLane{ccmLane: ccmLane{k: k, blocks: bn / 16}, ji: ji, ctr: ctr, pn: pn, start: len(dst)}
	copy(l.mic[:], frame[len(frame)-CCMPMICLen:])
	if cap(dst)-l.start < n {
		dst = slices.Grow(dst, n)
	}
	dst = append(dst, frame[:hl]...) // in place: copies onto itself
	dst = dst[:l.start+n]
	j.Out = dst
	l.body = dst[l.start+hl : l.start+n]
	copy(l.body, frame[hl+CCMPHeaderLen:len(frame)-CCMPMICLen]) // memmove: may overlap (in place)
	s := scratchPool.Get().(*ccmScratch)
	l.s = s
	k.c.start(s, &nonce, aad[:an], bn)
	blocks := (bn + 15) / 16 // S0 .. S_blocks
	for i := 0; i <= blocks; i++ {
		blk := (*[16]byte)(s.ks[16*i : 16*i+16])
		*blk = s.a
		blk[14], blk[15] = byte(i>>8), byte(i)
	}
	encryptBlocksAESNI(k.c.rk, &s.ks[0], blocks+1)
	if bn > 0 {
		subtle.XORBytes(l.body, l.body, s.ks[16:16+bn])
	}
	return true
}

// macLanes runs the CBC-MACs of the first m lanes over their plaintext
// bodies (the MAC states are in the lanes' scratch): the blocks all of
// them have four chains at a time, the rest of each alone. The lanes come
// by value, so that the caller's array stays on its stack.
func macLanes(all [MaxBatch]ccmLane, m int) {
	lanes := all[:m]
	common := 0
	if len(lanes) > 1 {
		common = lanes[0].blocks
		for i := range lanes {
			common = min(common, lanes[i].blocks)
		}
	}
	if common > 0 {
		var rk [4]*roundKeys
		var xs [4][16]byte
		var data [4]*byte
		for i := range 4 {
			l := &lanes[min(i, len(lanes)-1)] // unused lanes repeat the last one
			rk[i], xs[i], data[i] = l.k.c.rk, l.s.x, &l.body[0]
		}
		cbcMAC4AESNI(&rk, &xs, &data, common)
		for i := range lanes {
			lanes[i].s.x = xs[i]
		}
	}
	for i := range lanes {
		l := &lanes[i]
		c := &l.k.c
		if rest := l.blocks - common; rest > 0 {
			cbcMACAESNI(c.rk, &l.s.x, &l.body[16*common], rest)
		}
		if tail := l.body[16*l.blocks:]; len(tail) > 0 {
			var pad [16]byte
			copy(pad[:], tail)
			xor16(&l.s.x, pad[:])
			c.enc1(&l.s.x)
		}
	}
}

// finishOpen checks a lane's MIC and advances its replay counter, as the
// end of Key.Decrypt does.
func finishOpen(jobs []DecryptJob, l *openLane) {
	j := &jobs[l.ji]
	var tag [ccmM]byte
	for i := range tag {
		tag[i] = l.s.x[i] ^ l.s.ks[i]
	}
	scratchPool.Put(l.s)
	if subtle.ConstantTimeCompare(tag[:], l.mic[:]) != 1 {
		j.Out, j.Err = j.Out[:l.start], ErrMIC
		return
	}
	for {
		last := l.ctr.Load()
		if l.pn <= last {
			j.Out, j.Err = j.Out[:l.start], ErrReplay
			return
		}
		if l.ctr.CompareAndSwap(last, l.pn) {
			break
		}
	}
	j.Out[l.start+1] &^= frames.FlagProtected
	j.Err = nil
}

// EncryptJob is one frame for EncryptBatch: Key and Frame as for
// Key.Encrypt (Key not nil); EncryptBatch sets Out and Err to what
// Key.Encrypt would return.
type EncryptJob struct {
	Key   *Key
	Frame []byte
	Out   []byte
	Err   error
}

// EncryptBatch protects every job's frame as Key.Encrypt does, with the
// same results, taking packet numbers in job order (transmit the frames
// in that order); with AES-NI the CBC-MACs of up to four frames run
// interleaved. It does not allocate.
func EncryptBatch(jobs []EncryptJob) {
	for len(jobs) > 0 {
		n := min(len(jobs), MaxBatch)
		encryptBatch(jobs[:n])
		jobs = jobs[n:]
	}
}

// sealLane is one frame of an encryption batch.
type sealLane struct {
	ccmLane
	ji int
}

func encryptBatch(jobs []EncryptJob) {
	fast := 0
	for i := range jobs {
		if jobs[i].Key.c.rk != nil {
			fast++
		}
	}
	var lanes [MaxBatch]sealLane
	var macs [MaxBatch]ccmLane
	m := 0
	for i := range jobs {
		j := &jobs[i]
		if fast < 2 || j.Key.c.rk == nil {
			j.Out, j.Err = j.Key.Encrypt(j.Frame)
			continue
		}
		if prepareSeal(jobs, i, &lanes[m]) {
			macs[m] = lanes[m].ccmLane
			m++
		}
	}
	macLanes(macs, m)
	for i := range lanes[:m] {
		l := &lanes[i]
		s, bn := l.s, len(l.body)
		blocks := (bn + 15) / 16 // S0 .. S_blocks
		for b := 0; b <= blocks; b++ {
			blk := (*[16]byte)(s.ks[16*b : 16*b+16])
			*blk = s.a
			blk[14], blk[15] = byte(b>>8), byte(b)
		}
		encryptBlocksAESNI(l.k.c.rk, &s.ks[0], blocks+1)
		if bn > 0 {
			subtle.XORBytes(l.body, l.body, s.ks[16:16+bn])
		}
		out := jobs[l.ji].Out
		tag := out[len(out)-CCMPMICLen:]
		for b := range tag {
			tag[b] = s.x[b] ^ s.ks[b]
		}
		scratchPool.Put(s)
	}
}

// prepareSeal is the start of Key.Encrypt for a batch: checks, the next
// packet number, the CCMP header and the MAC's B0 and AAD. The body is
// left in plaintext for the MAC. It reports false, with the job's result
// set, when the frame cannot be protected.
func prepareSeal(jobs []EncryptJob, ji int, l *sealLane) bool {
	j := &jobs[ji]
	k, frame := j.Key, j.Frame
	j.Out = frame
	var aad [32]byte
	var nonce [ccmNonceLen]byte
	out, body, an, err := k.sealPrep(frame, &aad, &nonce)
	if err != nil {
		j.Err = err
		return false
	}
	s := scratchPool.Get().(*ccmScratch)
	k.c.start(s, &nonce, aad[:an], len(body))
	*l = sealLane{ccmLane: ccmLane{k: k, s: s, body: body, blocks: len(body) / 16}, ji: ji}
	j.Out, j.Err = out, nil
	return true
}
