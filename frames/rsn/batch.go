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

// openLane is one frame of a batch between its preparation and its check.
type openLane struct {
	j      *DecryptJob
	s      *ccmScratch
	ctr    *atomic.Uint64
	pn     uint64
	start  int    // of the plaintext MPDU in j.Out
	body   []byte // the decrypted body (in j.Out)
	mic    [CCMPMICLen]byte
	blocks int // whole blocks of body
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
	m := 0
	for i := range jobs {
		j := &jobs[i]
		if j.Key.c.rk == nil {
			j.Out, j.Err = j.Key.Decrypt(j.Dst, j.Frame)
			continue
		}
		if prepareOpen(j, &lanes[m]) {
			m++
		}
	}
	macLanes(lanes[:m])
	for i := range lanes[:m] {
		finishOpen(&lanes[i])
	}
}

// prepareOpen checks a frame's header and packet number, copies its
// header to the destination and decrypts its body (counter mode, in
// bulk), and starts its CBC-MAC (B0 and the AAD). It reports false, with
// the job's result set, when the frame fails before its MAC.
func prepareOpen(j *DecryptJob, l *openLane) bool {
	k, frame, dst := j.Key, j.Frame, j.Dst
	j.Out = dst
	hl, idx, err := hdrInfo(frame)
	if err != nil {
		j.Err = err
		return false
	}
	pn, _, err := FramePN(frame)
	if err != nil {
		j.Err = err
		return false
	}
	ctr := &k.rxPN[idx]
	if pn <= ctr.Load() {
		j.Err = ErrReplay
		return false
	}
	var aad [32]byte
	var nonce [ccmNonceLen]byte
	an := aadNonce(frame[:hl], pn, &aad, &nonce)
	n := len(frame) - CCMPOverhead // plaintext MPDU length
	bn := n - hl
	*l = openLane{j: j, ctr: ctr, pn: pn, start: len(dst), blocks: bn / 16}
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

// macLanes runs the lanes' CBC-MACs over their plaintext bodies: the
// blocks all of them have four chains at a time, the rest of each alone.
func macLanes(lanes []openLane) {
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
			rk[i], xs[i], data[i] = l.j.Key.c.rk, l.s.x, &l.body[0]
		}
		cbcMAC4AESNI(&rk, &xs, &data, common)
		for i := range lanes {
			lanes[i].s.x = xs[i]
		}
	}
	for i := range lanes {
		l := &lanes[i]
		c := &l.j.Key.c
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
func finishOpen(l *openLane) {
	j := l.j
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
