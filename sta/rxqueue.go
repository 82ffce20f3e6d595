// SPDX-License-Identifier: MIT

package sta

import (
	"context"

	"github.com/vmedium/vmedium/frames"
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
// once; queuing a frame does not allocate.

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
}

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
	q.full <- sl
	return true
}

// receive is the station's receive goroutine: it processes queued data
// frames in order until ctx ends.
func (s *STA) receive(ctx context.Context, q *rxQueue) {
	defer close(q.done)
	for {
		select {
		case <-ctx.Done():
			return
		case sl := <-q.full:
			if f, err := frames.Parse(sl.buf[:sl.n]); err == nil {
				s.deliverData(f)
			}
			q.free <- sl
		}
	}
}

// maxReceiveQueue bounds Config.ReceiveQueue (slots of bufSize bytes).
const maxReceiveQueue = 4096
