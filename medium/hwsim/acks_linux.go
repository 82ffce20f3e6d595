// SPDX-License-Identifier: MIT

package hwsim

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

// Requests and their answers. Every NLMSG_ERROR the kernel sends on the
// medium socket reaches handleAck, the one place acknowledgements are
// routed: the answer to a request this backend waits for (REGISTER,
// NEW_RADIO; matched by sequence number), else the kernel's refusal of an
// injection or TX status (counted as Rejected).

// requestTimeout bounds the wait for the kernel's answer to a request.
const requestTimeout = 5 * time.Second

// waiters are the requests waiting for their answer, by sequence number.
type waiters struct {
	mu  sync.Mutex
	m   map[uint32]chan genlraw.Ack
	seq uint32
}

// add registers a waiter under a new sequence number (high bit set, so it
// never equals a frame message's).
func (w *waiters) add() (uint32, chan genlraw.Ack) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[uint32]chan genlraw.Ack{}
	}
	w.seq++
	seq := 0x80000000 | w.seq
	ch := make(chan genlraw.Ack, 1)
	w.m[seq] = ch
	return seq, ch
}

func (w *waiters) drop(seq uint32) {
	w.mu.Lock()
	delete(w.m, seq)
	w.mu.Unlock()
}

// answer hands a to the request with sequence number seq; it reports
// whether one waited.
func (w *waiters) answer(seq uint32, a genlraw.Ack) bool {
	w.mu.Lock()
	ch, ok := w.m[seq]
	delete(w.m, seq)
	w.mu.Unlock()
	if ok {
		ch <- a
	}
	return ok
}

// handleAck routes an NLMSG_ERROR (see the top of this file).
func (b *Backend) handleAck(m netlink.Message) {
	a, err := genlraw.ParseAck(uint16(m.Header.Flags), m.Data)
	if err != nil {
		b.c.malformed.Add(1)
		return
	}
	if b.waiting.answer(m.Header.Sequence, a) {
		return
	}
	if a.Code != 0 {
		b.c.rejected.Add(1)
		if a.Message != "" {
			b.log.Debug("hwsim: kernel refused a message", "err", ackError(a))
		}
	}
}

// ackError is the error of a refusal, nil for an acknowledgement (zero or,
// for NEW_RADIO, positive).
func ackError(a genlraw.Ack) error {
	if a.Code >= 0 {
		return nil
	}
	return &genlraw.AckError{From: "mac80211_hwsim", Message: a.Message, Errno: unix.Errno(-a.Code)}
}

// request sends cmd with attrs asking for an acknowledgement and returns
// the kernel's answer code (≥ 0; NEW_RADIO's is the new radio's id) or its
// refusal. The answer arrives on the medium socket: through the receive
// loop when it runs, else this call reads the socket itself until the
// answer is there (handling whatever else arrives meanwhile).
func (b *Backend) request(cmd uint8, attrs []byte) (int32, error) {
	seq, ch := b.waiting.add()
	b.s.mu.Lock()
	err := b.writeBatch([]outMsg{{cmd: cmd, flags: uint16(netlink.Request | netlink.Acknowledge), seq: seq, attrs: attrs}})
	b.s.mu.Unlock()
	if err != nil {
		b.waiting.drop(seq)
		return 0, fmt.Errorf("send: %w", err)
	}
	var a genlraw.Ack
	if b.running.Load() {
		select {
		case a = <-ch:
		case <-time.After(requestTimeout):
			b.waiting.drop(seq)
			return 0, fmt.Errorf("no answer from the kernel within %v", requestTimeout)
		}
	} else if a, err = b.pumpUntil(ch); err != nil {
		b.waiting.drop(seq)
		return 0, err
	}
	if err := ackError(a); err != nil {
		return 0, err
	}
	return a.Code, nil
}

// pumpUntil reads and handles the medium socket until ch has the answer.
func (b *Backend) pumpUntil(ch chan genlraw.Ack) (genlraw.Ack, error) {
	rb := newRecvBatch(1, recvSlotSize)
	deadline := time.Now().Add(requestTimeout)
	for {
		select {
		case a := <-ch:
			return a, nil
		default:
		}
		if time.Now().After(deadline) {
			return genlraw.Ack{}, fmt.Errorf("no answer from the kernel within %v", requestTimeout)
		}
		n, err := b.conn.recv(rb, 0)
		switch {
		case err == nil:
			b.handleRecvBatch(rb, n)
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.ENOBUFS):
			b.c.overruns.Add(1)
		default:
			return genlraw.Ack{}, fmt.Errorf("receive: %w", err)
		}
	}
}

// failWaiters answers every waiting request with a refusal: the socket is
// closing and no answer will come.
func (b *Backend) failWaiters() {
	w := &b.waiting
	w.mu.Lock()
	defer w.mu.Unlock()
	for seq, ch := range w.m {
		ch <- genlraw.Ack{Code: -int32(unix.ECONNABORTED), Message: "medium socket closed before the kernel answered"}
		delete(w.m, seq)
	}
}
