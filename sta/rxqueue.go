// SPDX-License-Identifier: MIT

package sta

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
)

// The receive queue (Config.ReceiveQueue) moves a station's data
// reception — CCMP decryption and the uplink write — off the thread that
// transmitted the frame. Without it, Deliver runs the whole receive path
// on the transmitter's thread: in the tap lab a frame from one station is
// read from its TAP, encrypted, relayed (decrypted and re-encrypted) by
// the AP, decrypted by the receiving station and written into the
// receiving TAP, which runs the receiver's TCP stack, all on the sending
// TAP's reader thread, while the second CPU has only the two iperf3
// processes to run. With the queue, Deliver copies the frame into a slot
// of a fixed ring and returns; the station's receive goroutine decrypts
// and writes, so the two halves of the path run on both CPUs, and a
// receiver that falls behind takes several frames per wake-up.
//
// Order is kept: frames are processed in the order Deliver queued them
// (the air order), so the CCMP replay check sees packet numbers as they
// were sent. A full ring blocks Deliver until the receive goroutine frees
// a slot (back-pressure to the transmitter, as a TAP's queue does to its
// stack), so nothing is dropped for lack of room. The slots are allocated
// once; queuing a frame does not allocate. When several frames are
// waiting, the receive goroutine decrypts up to four at once
// (rsn.DecryptBatch), which costs about what one costs. A small frame
// that finds the queue idle is processed by Deliver itself (rxInlineMax).

// rxSlot holds one queued frame.
type rxSlot struct {
	n   int
	buf [bufSize]byte
}

// rxQueue is a bounded ring of slots: free holds the empty ones, full the
// queued ones in arrival order. Both channels have room for every slot, so
// returning a slot never blocks.
type rxQueue struct {
	free chan *rxSlot
	full chan *rxSlot
	done chan struct{} // closed when the receive goroutine has returned
	// busy is held while frames are processed (by the receive goroutine,
	// or inline by Deliver); pending counts the frames queued and not
	// yet processed. Deliver processes a small frame itself only when it
	// gets busy and nothing is pending, so it never passes a queued one.
	busy    sync.Mutex
	pending atomic.Int64
}

// rxInlineMax is the largest frame Deliver processes itself when the
// queue is idle: decrypting and writing a frame this small (a TCP ACK is
// ≈ 100 bytes on the air) costs less than waking the receive goroutine,
// and a stream's ACKs would otherwise wait for that wake-up one by one.
const rxInlineMax = 256

// tryInline reports whether the caller may process a frame itself now;
// it must then call endInline.
func (q *rxQueue) tryInline() bool {
	if q.pending.Load() != 0 || !q.busy.TryLock() {
		return false
	}
	if q.pending.Load() != 0 {
		q.busy.Unlock()
		return false
	}
	return true
}

func (q *rxQueue) endInline() { q.busy.Unlock() }

func newRxQueue(n int) *rxQueue {
	q := &rxQueue{free: make(chan *rxSlot, n), full: make(chan *rxSlot, n), done: make(chan struct{})}
	slots := make([]rxSlot, n)
	for i := range slots {
		q.free <- &slots[i]
	}
	return q
}

// enqueue copies a data frame into a free slot and queues it. It reports
// false when the receive goroutine has stopped (the caller then processes
// the frame itself) or the frame does not fit a slot.
func (q *rxQueue) enqueue(b []byte) bool {
	if len(b) > bufSize {
		return false
	}
	var sl *rxSlot
	select {
	case sl = <-q.free:
	default:
		select {
		case sl = <-q.free:
		case <-q.done:
			return false
		}
	}
	sl.n = copy(sl.buf[:], b)
	q.pending.Add(1)
	q.full <- sl
	return true
}

// receive is the station's receive goroutine: it processes queued data
// frames in order until ctx ends, up to rsn.MaxBatch at a time when
// several are waiting.
func (s *STA) receive(ctx context.Context, q *rxQueue) {
	defer close(q.done)
	var batch [rsn.MaxBatch]*rxSlot
	for {
		select {
		case <-ctx.Done():
			return
		case batch[0] = <-q.full:
		}
		n := 1
	more:
		for n < len(batch) {
			select {
			case batch[n] = <-q.full:
				n++
			default:
				break more
			}
		}
		q.busy.Lock()
		s.receiveBatch(batch[:n])
		q.pending.Add(int64(-n))
		q.busy.Unlock()
		for i := range batch[:n] {
			q.free <- batch[i]
			batch[i] = nil
		}
	}
}

// receiveBatch does deliverData for each frame, in order, but decrypts the
// CCMP-protected ones together (rsn.DecryptBatch: their CBC-MACs run
// interleaved). Frames without a key of ours (open, unprotected, keys of
// an external supplicant) are processed one by one; they share no replay
// counter with the batch, so the order of the replay checks is kept.
func (s *STA) receiveBatch(slots []*rxSlot) {
	const (
		dropped = -2 // consumed or dropped by acceptData or rxKey
		whole   = -1 // no batch decryption: deliverAccepted
	)
	var (
		jobs [rsn.MaxBatch]rsn.DecryptJob
		job  [rsn.MaxBatch]int
		fs   [rsn.MaxBatch]frames.Frame
		as   [rsn.MaxBatch]*association
		bps  [rsn.MaxBatch]*[bufSize]byte
	)
	nj := 0
	for i, sl := range slots {
		job[i] = dropped
		f, err := frames.Parse(sl.buf[:sl.n])
		if err != nil {
			s.c.malformed.Add(1)
			continue
		}
		a, ok := s.acceptData(f)
		if !ok {
			continue
		}
		fs[i], as[i], job[i] = f, a, whole
		if a.rsn == nil || a.rsn.ext != nil || !f.Protected() {
			continue
		}
		k, ok := s.rxKey(f, a.rsn)
		if !ok {
			job[i] = dropped
			continue
		}
		bps[i] = bufPool.Get().(*[bufSize]byte)
		jobs[nj] = rsn.DecryptJob{Key: k, Dst: bps[i][:0], Frame: f.Bytes()}
		job[i] = nj
		nj++
	}
	rsn.DecryptBatch(jobs[:nj])
	for i := range slots {
		switch job[i] {
		case dropped:
		case whole:
			s.deliverAccepted(fs[i], as[i])
		default:
			j := &jobs[job[i]]
			if f, bp, ok := s.rsnDecrypted(j.Out, j.Err, as[i].rsn, bps[i]); ok {
				s.upData(f)
				bufPool.Put(bp)
			}
		}
	}
}

// maxReceiveQueue bounds Config.ReceiveQueue (slots of bufSize bytes).
const maxReceiveQueue = 4096
