// SPDX-License-Identifier: MIT

package contention

import "time"

type evKind uint8

const (
	evCountdown evKind = iota // a station's backoff reached zero
	evPPDUEnd                 // a PPDU leaves the air
	evPPDUStart               // a scheduled PPDU (CTS, data after CTS, ACK) starts
	evNAVEnd                  // a station's NAV may have expired
	evFail                    // an attempt's CTS/ACK timeout ran out
)

// event is one scheduled happening. seq orders events at the same time
// first-in first-out, so runs are deterministic.
type event struct {
	at    time.Duration
	seq   uint64
	kind  evKind
	frame frameKind
	st    int32
	ppdu  int32
	gen   uint32
}

// eventQueue is a binary min-heap of events by (at, seq). A domain has a
// handful of pending events per station, so a heap's O(log n) is a few
// compares; unlike container/heap it stores events by value and does not
// allocate once grown.
type eventQueue struct {
	h   []event
	seq uint64
}

func (q *eventQueue) less(i, j int) bool {
	if q.h[i].at != q.h[j].at {
		return q.h[i].at < q.h[j].at
	}
	return q.h[i].seq < q.h[j].seq
}

func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *eventQueue) pop() event {
	e := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && q.less(l, m) {
			m = l
		}
		if r < n && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return e
}

func (q *eventQueue) peek() (time.Duration, bool) {
	if len(q.h) == 0 {
		return 0, false
	}
	return q.h[0].at, true
}
