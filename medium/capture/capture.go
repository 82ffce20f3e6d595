// SPDX-License-Identifier: MIT

// Package capture records the medium's traffic as a pcap stream (radiotap +
// 802.11, link type 127) for `vmctl capture` and Wireshark.
//
// A Capture is a medium.Observer. Observers run on the dispatch path, so a
// capture never blocks it: each frame is copied into a pooled buffer and
// handed to a bounded queue drained by one writer goroutine. When the queue
// is full (the consumer, e.g. a slow client, does not keep up) the frame is
// dropped and counted, and dispatch carries on.
//
// What is recorded:
//   - with a radio filter: every frame that radio received, with the link's
//     signal, plus every frame it transmitted (without signal);
//   - without a filter: every transmission once, with the signal of its first
//     receiver, or without signal when nobody received it.
package capture

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// DefaultQueueLen is the number of frames buffered between the dispatch path
// and the writer before frames are dropped.
const DefaultQueueLen = 4096

// pendingTimeout is how long an unfiltered capture waits for a transmission's
// first receiver before writing it without signal. Transmit delivers to all
// receivers synchronously, so this only needs to cover a slow port.
const pendingTimeout = 20 * time.Millisecond

// Options configure a capture.
type Options struct {
	// Radio restricts the capture to what this radio received and
	// transmitted; "" captures every transmission once.
	Radio string
	// QueueLen bounds the queue; 0 means DefaultQueueLen.
	QueueLen int
	// Flush, if set, is called when the writer has caught up with the queue,
	// e.g. to push an HTTP response to the client.
	Flush func() error
	// Writer, if set, writes the records instead of a pcap stream on w
	// (e.g. a frames.PcapngWriter); Start then writes no header.
	Writer FrameWriter
}

// FrameWriter writes one radiotap-framed record.
type FrameWriter interface {
	WriteFrame(ts time.Time, rt frames.Radiotap, frame []byte) error
}

// Stats counts a capture's frames.
type Stats struct {
	Frames  uint64 `json:"frames"`  // records written
	Dropped uint64 `json:"dropped"` // frames lost because the queue was full or the writer failed
	// Interrupted: the client stopped the capture (Ctrl-C) before the
	// server's totals came; Frames are the records it received, Dropped
	// is not known.
	Interrupted bool `json:"interrupted,omitempty"`
}

// record is one queued frame: a copy of the bytes and its radiotap fields.
type record struct {
	buf []byte
	ts  time.Time
	rt  frames.Radiotap
}

var recordPool = sync.Pool{New: func() any { return &record{buf: make([]byte, 0, frames.MaxMPDU+64)} }}

func newRecord(frame []byte, ts time.Time, rt frames.Radiotap) *record {
	r := recordPool.Get().(*record)
	r.buf = append(r.buf[:0], frame...)
	r.ts = ts
	r.rt = rt
	return r
}

func putRecord(r *record) {
	if cap(r.buf) > 4*(frames.MaxMPDU+64) {
		return // an oversized frame grew it: let it go rather than pin memory
	}
	recordPool.Put(r)
}

// txPending is, in unfiltered mode, a transmitter's latest transmissions
// waiting for their first receiver's signal. There are several slots because
// one radio may transmit from several goroutines at once (an AP relays from
// every station's reader thread): a second Transmit may start before the
// first one's receiver has been reported.
type txPending struct {
	mu    sync.Mutex
	slots [pendingSlots]pendingSlot
}

type pendingSlot struct {
	rec   *record
	ident *byte // &frame[0]: Transmitted and Received of one Transmit share the slice
}

// pendingSlots bounds the transmissions of one radio in flight at once.
const pendingSlots = 4

// Capture is a running capture. Create it with Start, end it with Stop.
type Capture struct {
	m     *medium.Medium
	pw    FrameWriter
	opt   Options
	queue chan *record
	stop  chan struct{}
	done  chan struct{} // closed when the writer goroutine has exited
	dead  chan struct{} // closed when writing failed (e.g. client gone)

	pending sync.Map // *medium.Radio → *txPending (unfiltered mode)

	frames  atomic.Uint64
	dropped atomic.Uint64
	err     error // first write error, set by the writer goroutine
	once    sync.Once
	stats   Stats
}

// Start writes the pcap file header to w, registers the capture with m and
// starts the writer goroutine.
func Start(m *medium.Medium, w io.Writer, opt Options) (*Capture, error) {
	if opt.QueueLen <= 0 {
		opt.QueueLen = DefaultQueueLen
	}
	var pw FrameWriter = opt.Writer
	if pw == nil {
		p, err := frames.NewPcapWriter(w)
		if err != nil {
			return nil, fmt.Errorf("start capture: %w", err)
		}
		pw = p
	}
	c := &Capture{
		m: m, pw: pw, opt: opt,
		queue: make(chan *record, opt.QueueLen),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		dead:  make(chan struct{}),
	}
	if opt.Flush != nil {
		if err := opt.Flush(); err != nil {
			return nil, fmt.Errorf("start capture: flush header: %w", err)
		}
	}
	go c.writer()
	m.AddObserver(c)
	return c, nil
}

// Failed is closed when the capture can no longer write (the consumer went
// away); the caller should Stop it.
func (c *Capture) Failed() <-chan struct{} { return c.dead }

// Stop unregisters the capture, writes what is still queued and returns the
// counts and the first write error. It is safe to call more than once.
func (c *Capture) Stop() (Stats, error) {
	c.once.Do(func() {
		c.m.RemoveObserver(c)
		close(c.stop)
		<-c.done
		c.stats = Stats{Frames: c.frames.Load(), Dropped: c.dropped.Load()}
	})
	return c.stats, c.err
}

func (c *Capture) enqueue(r *record) {
	select {
	case c.queue <- r:
	default:
		c.dropped.Add(1)
		putRecord(r)
	}
}

func txRadiotap(freq uint32) frames.Radiotap {
	return frames.Radiotap{FreqMHz: uint16(freq), ChanFlags: frames.ChannelFlags(freq, 0)}
}

func rxRadiotap(info medium.RxInfo) frames.Radiotap {
	rate := frames.RateIndexTo500K(info.FreqMHz, info.RateIdx)
	return frames.Radiotap{
		Rate500K:  rate,
		FreqMHz:   uint16(info.FreqMHz),
		ChanFlags: frames.ChannelFlags(info.FreqMHz, rate),
		SignalDBm: clampI8(info.SignalDBm), HasSignal: true,
		NoiseDBm: clampI8(info.NoiseDBm), HasNoise: true,
	}
}

func clampI8(v int32) int8 {
	switch {
	case v < -128:
		return -128
	case v > 127:
		return 127
	}
	return int8(v)
}

// Transmitted implements medium.Observer.
func (c *Capture) Transmitted(tx *medium.Radio, frame []byte, freq uint32) {
	if len(frame) == 0 {
		return
	}
	now := time.Now()
	if c.opt.Radio != "" {
		if tx.Name() == c.opt.Radio {
			c.enqueue(newRecord(frame, now, txRadiotap(freq)))
		}
		return
	}
	p := c.pendingFor(tx)
	ident := &frame[0]
	p.mu.Lock()
	// Use the slot of an earlier transmission from the same buffer (it
	// has finished: the buffer was reused), else a free slot, else the
	// oldest one.
	use := -1
	for i := range p.slots {
		if p.slots[i].rec != nil && p.slots[i].ident == ident {
			use = i
			break
		}
	}
	if use < 0 {
		for i := range p.slots {
			if p.slots[i].rec == nil {
				use = i
				break
			}
			if use < 0 || p.slots[i].rec.ts.Before(p.slots[use].rec.ts) {
				use = i
			}
		}
	}
	prev := p.slots[use].rec
	p.slots[use] = pendingSlot{rec: newRecord(frame, now, txRadiotap(freq)), ident: ident}
	p.mu.Unlock()
	if prev != nil {
		c.enqueue(prev) // that earlier transmission had no receiver
	}
}

// Received implements medium.Observer.
func (c *Capture) Received(tx, rx *medium.Radio, frame []byte, info medium.RxInfo) {
	if len(frame) == 0 {
		return
	}
	if c.opt.Radio != "" {
		if rx.Name() == c.opt.Radio {
			c.enqueue(newRecord(frame, time.Now(), rxRadiotap(info)))
		}
		return
	}
	v, ok := c.pending.Load(tx)
	if !ok {
		return
	}
	p := v.(*txPending)
	ident := &frame[0]
	var rec *record
	p.mu.Lock()
	for i := range p.slots {
		if p.slots[i].rec != nil && p.slots[i].ident == ident {
			rec = p.slots[i].rec
			p.slots[i] = pendingSlot{}
			break
		}
	}
	p.mu.Unlock()
	if rec == nil {
		return // already written with an earlier receiver's signal
	}
	rec.rt = rxRadiotap(info)
	c.enqueue(rec)
}

func (c *Capture) pendingFor(tx *medium.Radio) *txPending {
	if v, ok := c.pending.Load(tx); ok {
		return v.(*txPending)
	}
	v, _ := c.pending.LoadOrStore(tx, &txPending{})
	return v.(*txPending)
}

// flushPending writes transmissions that waited longer than pendingTimeout
// (all of them if force) for a receiver.
func (c *Capture) flushPending(now time.Time, force bool) {
	c.pending.Range(func(_, v any) bool {
		p := v.(*txPending)
		var out [pendingSlots]*record
		p.mu.Lock()
		for i := range p.slots {
			if rec := p.slots[i].rec; rec != nil && (force || now.Sub(rec.ts) >= pendingTimeout) {
				out[i] = rec
				p.slots[i] = pendingSlot{}
			}
		}
		p.mu.Unlock()
		for _, rec := range out {
			if rec != nil {
				c.write(rec)
			}
		}
		return true
	})
}

func (c *Capture) write(r *record) {
	defer putRecord(r)
	if c.err != nil {
		c.dropped.Add(1)
		return
	}
	if err := c.pw.WriteFrame(r.ts, r.rt, r.buf); err != nil {
		c.fail(err)
		c.dropped.Add(1)
		return
	}
	c.frames.Add(1)
}

func (c *Capture) fail(err error) {
	if c.err == nil {
		c.err = err
		close(c.dead)
	}
}

func (c *Capture) flush() {
	if c.opt.Flush != nil && c.err == nil {
		if err := c.opt.Flush(); err != nil {
			c.fail(fmt.Errorf("flush capture: %w", err))
		}
	}
}

// writer drains the queue until Stop.
func (c *Capture) writer() {
	defer close(c.done)
	tick := time.NewTicker(pendingTimeout / 2)
	defer tick.Stop()
	for {
		select {
		case r := <-c.queue:
			c.write(r)
			if len(c.queue) == 0 {
				c.flush()
			}
		case now := <-tick.C:
			if c.opt.Radio == "" {
				c.flushPending(now, false)
				c.flush()
			}
		case <-c.stop:
		drain:
			for {
				select {
				case r := <-c.queue:
					c.write(r)
				default:
					break drain
				}
			}
			c.flushPending(time.Now(), true)
			c.flush()
			return
		}
	}
}

var _ medium.Observer = (*Capture)(nil)
