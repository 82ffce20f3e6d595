// SPDX-License-Identifier: MIT

package transport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmedium/vmedium/medium/guest/wire"
)

// Errors a Conn reports.
var (
	// ErrPeerSilent: the peer missed Options.KeepaliveMissed pings in a
	// row; the connection was dropped.
	ErrPeerSilent = errors.New("peer silent: keepalive pings unanswered")
	// ErrClosed: the connection was closed on this side.
	ErrClosed = errors.New("connection closed")
	// ErrOutOfStep: a length prefix that cannot be (0): the stream lost
	// its framing and the connection was dropped.
	ErrOutOfStep = errors.New("stream out of step")
)

// Options tune a Conn. Zero values take the defaults.
type Options struct {
	// WriteTimeout bounds every write: a peer that stops reading cannot
	// block a writer longer (default 5 s); the connection is dropped then.
	WriteTimeout time.Duration
	// KeepaliveInterval: send a Ping this often (0: no keepalive).
	KeepaliveInterval time.Duration
	// KeepaliveMissed: drop the peer when this many pings in a row are
	// unanswered at the next tick (default 3).
	KeepaliveMissed int
}

const (
	defaultWriteTimeout = 5 * time.Second
	defaultMissed       = 3
	readBufSize         = 4 * wire.MaxMessage
	flushAt             = 2 * wire.MaxMessage // Queue writes once this much waits
	maxBuffered         = 4 * wire.MaxMessage // writers wait for the system call beyond this
)

// Counters of one Conn.
type Counters struct {
	MsgsIn, MsgsOut   uint64 // whole messages (pings and pongs included)
	BytesIn, BytesOut uint64
	PingsSent         uint64
	PongsIn           uint64
}

// Conn is one framed connection of the guest protocol over a Stream. One
// goroutine reads (Read); any number write (Write, Queue, Flush). Read
// answers Pings and consumes Pongs itself.
type Conn struct {
	s   Stream
	opt Options

	// reader side: only the goroutine calling Read.
	rbuf       []byte
	start, end int
	rerr       error // sticky: the stream lost its framing

	// writer side: wmu guards everything up to deadlineOK. One writer at
	// a time is in the write system call (flushing), with wmu released;
	// the others append to wbuf meanwhile (see flushLocked).
	wmu        sync.Mutex
	flushDone  sync.Cond // signalled when a write system call returns
	wbuf       []byte    // messages waiting to be written
	spare      []byte    // the buffer being written, or free
	flushing   bool
	closing    bool      // Close set its own short deadline
	wdeadline  time.Time // the write deadline last set
	werr       error     // sticky: the stream failed, no more writes
	pong       wire.Pong // the reader's answer, reused
	ping       wire.Ping // the keepalive's ping, reused
	deadlineOK bool      // the stream supports deadlines

	closed    chan struct{}
	closeOnce sync.Once
	cause     atomic.Pointer[error]
	kaDone    chan struct{}

	outstanding atomic.Int32
	peerBye     atomic.Bool // the peer said Bye: Close does not answer it
	passPings   atomic.Bool
	msgsIn      atomic.Uint64
	msgsOut     atomic.Uint64
	bytesIn     atomic.Uint64
	bytesOut    atomic.Uint64
	pingsSent   atomic.Uint64
	pongsIn     atomic.Uint64
}

// NewConn wraps s. With a keepalive interval it starts the keepalive
// goroutine, which Close stops.
func NewConn(s Stream, o Options) *Conn {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = defaultWriteTimeout
	}
	if o.KeepaliveMissed <= 0 {
		o.KeepaliveMissed = defaultMissed
	}
	c := &Conn{
		s:          s,
		opt:        o,
		rbuf:       make([]byte, readBufSize),
		wbuf:       make([]byte, 0, maxBuffered+wire.MaxMessage),
		spare:      make([]byte, 0, maxBuffered+wire.MaxMessage),
		closed:     make(chan struct{}),
		kaDone:     make(chan struct{}),
		deadlineOK: true,
	}
	c.flushDone.L = &c.wmu
	if o.KeepaliveInterval > 0 {
		go c.keepalive()
	} else {
		close(c.kaDone)
	}
	return c
}

// Read reads the next message into m. Frame and Rx data are sub-slices of
// the Conn's buffer, valid until the next Read. A message whose length was
// valid but whose body was not is skipped and returned as an error
// wrapping wire.ErrMalformed (or wire.ErrVersion for another version's
// Hello, which m then holds the frozen fields of): the caller counts it and
// reads on. Any other error ends the connection: ErrPeerSilent, ErrClosed,
// io.EOF, wire.ErrTooLarge, ErrOutOfStep or the stream's own.
func (c *Conn) Read(m *wire.Msg) error {
	if c.rerr != nil {
		return c.rerr
	}
	for {
		b, err := c.next()
		if err != nil {
			return err
		}
		c.msgsIn.Add(1)
		c.bytesIn.Add(uint64(len(b)))
		if err := wire.Decode(b, m); err != nil {
			if errors.Is(err, wire.ErrTooLarge) {
				// a field over its limit in a message of a valid length:
				// skippable like any other bad body
				return fmt.Errorf("%w: %w", wire.ErrMalformed, err)
			}
			return err
		}
		switch m.Type {
		case wire.TypePing:
			if c.passPings.Load() {
				return nil
			}
			c.wmu.Lock()
			c.pong.Seq = m.Ping.Seq
			err := c.writeLocked(&c.pong, true)
			c.wmu.Unlock()
			if err != nil {
				return c.readErr(err)
			}
		case wire.TypePong:
			c.pongsIn.Add(1)
			c.outstanding.Store(0)
		case wire.TypeBye:
			c.peerBye.Store(true)
			return nil
		default:
			return nil
		}
	}
}

// Buffered reports whether the next Read can return without reading the
// stream: a whole message is already buffered. A reader that queues
// answers (Queue) flushes them when this turns false, so a burst of
// messages read in one system call is answered in one.
func (c *Conn) Buffered() bool {
	avail := c.end - c.start
	if avail < 4 {
		return false
	}
	n, err := wire.Len(c.rbuf[c.start:c.end])
	return err != nil || avail >= n
}

// next returns the next whole message in the read buffer, reading more
// from the stream as needed.
func (c *Conn) next() ([]byte, error) {
	for {
		if avail := c.end - c.start; avail >= 4 {
			n, err := wire.Len(c.rbuf[c.start:c.end])
			if err != nil {
				// No next message can be found after a bad length: the
				// connection ends, and every later Read says why.
				if !errors.Is(err, wire.ErrTooLarge) {
					err = fmt.Errorf("%w: %v", ErrOutOfStep, err)
				}
				c.rerr = fmt.Errorf("read: %w", err)
				c.shutdown(c.rerr)
				return nil, c.rerr
			}
			if avail >= n {
				b := c.rbuf[c.start : c.start+n : c.start+n]
				c.start += n
				return b, nil
			}
			if c.start+n > len(c.rbuf) {
				c.compact()
			}
		} else if c.start+4 > len(c.rbuf) {
			c.compact()
		}
		if c.start == c.end {
			c.start, c.end = 0, 0
		}
		k, err := c.s.Read(c.rbuf[c.end:])
		c.end += k
		if err != nil && k == 0 {
			return nil, c.readErr(err)
		}
	}
}

func (c *Conn) compact() {
	c.end = copy(c.rbuf, c.rbuf[c.start:c.end])
	c.start = 0
}

// readErr prefers the reason this side closed the stream over the error
// the close caused.
func (c *Conn) readErr(err error) error {
	if p := c.cause.Load(); p != nil {
		return *p
	}
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return fmt.Errorf("read: %w", err)
}

// Write encodes m and writes it, with whatever Queue buffered before it.
// When another goroutine is in the middle of writing, m is left for it to
// write when its system call returns (concurrent writers share system
// calls); Write returns nil then, and a failure of that write ends the
// connection (Done, Err, and every later Write say so).
func (c *Conn) Write(m wire.Message) error {
	c.wmu.Lock()
	err := c.writeLocked(m, true)
	c.wmu.Unlock()
	return err
}

// Queue encodes m into the write buffer; it is written by the next Write or
// Flush (or now, if the buffer is full). Batches several messages into one
// system call.
func (c *Conn) Queue(m wire.Message) error {
	c.wmu.Lock()
	err := c.writeLocked(m, false)
	c.wmu.Unlock()
	return err
}

// Flush writes what Queue buffered.
func (c *Conn) Flush() error {
	c.wmu.Lock()
	err := c.flushLocked()
	c.wmu.Unlock()
	return err
}

func (c *Conn) writeLocked(m wire.Message, flush bool) error {
	if c.werr != nil {
		return c.werr
	}
	n := len(c.wbuf)
	b, err := m.Append(c.wbuf)
	if err != nil {
		return err // nothing written: the connection is still good
	}
	c.wbuf = b
	c.msgsOut.Add(1)
	c.bytesOut.Add(uint64(len(b) - n))
	if flush || len(c.wbuf) >= flushAt {
		return c.flushLocked()
	}
	return nil
}

func (c *Conn) flushLocked() error {
	for {
		if c.werr != nil {
			return c.werr
		}
		if c.flushing {
			// Group commit: the writer in the system call writes what
			// was appended meanwhile when its call returns; unless too
			// much is waiting already, then wait for it (back-pressure).
			if len(c.wbuf) < maxBuffered {
				return nil
			}
			c.flushDone.Wait()
			continue
		}
		if len(c.wbuf) == 0 {
			return nil
		}
		if c.deadlineOK && !c.closing {
			// Move the deadline only when half of it is used up: one
			// clock read per write, one deadline update per half timeout.
			now := time.Now()
			if c.wdeadline.Sub(now) < c.opt.WriteTimeout/2 {
				c.wdeadline = now.Add(c.opt.WriteTimeout)
				if err := c.s.SetWriteDeadline(c.wdeadline); errors.Is(err, os.ErrNoDeadline) {
					c.deadlineOK = false
				}
			}
		}
		out := c.wbuf
		c.wbuf = c.spare[:0]
		c.flushing = true
		c.wmu.Unlock()
		_, err := c.s.Write(out)
		c.wmu.Lock()
		c.flushing = false
		c.spare = out[:0]
		c.flushDone.Broadcast()
		if err != nil {
			if p := c.cause.Load(); p != nil {
				err = *p
			} else {
				err = fmt.Errorf("write: %w", err)
			}
			c.werr = err
			c.shutdown(err)
			return err
		}
	}
}

// PassPings makes Read return Pings to the caller instead of answering
// them (while on). A host with no session for the peer yet uses it: an
// agent still pinging on a carrier that outlived the host's previous
// session is not kept alive by Pongs but told to say Hello.
func (c *Conn) PassPings(on bool) { c.passPings.Store(on) }

// SetReadDeadline bounds the next Reads (e.g. the wait for a Hello).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.s.SetReadDeadline(t) }

func (c *Conn) keepalive() {
	defer close(c.kaDone)
	t := time.NewTicker(c.opt.KeepaliveInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-t.C:
		}
		if int(c.outstanding.Load()) >= c.opt.KeepaliveMissed {
			c.shutdown(fmt.Errorf("%w: %d in a row, one every %v", ErrPeerSilent, c.opt.KeepaliveMissed, c.opt.KeepaliveInterval))
			return
		}
		c.outstanding.Add(1)
		c.pingsSent.Add(1)
		c.wmu.Lock()
		c.ping.Seq++
		err := c.writeLocked(&c.ping, true)
		c.wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// shutdown closes the stream once, remembering why; it does not wait.
func (c *Conn) shutdown(cause error) {
	c.closeOnce.Do(func() {
		c.cause.Store(&cause)
		close(c.closed)
		c.s.Close()
	})
}

// Done is closed once the connection is closed, by either side.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Err is why the connection closed, nil while it is open.
func (c *Conn) Err() error {
	if p := c.cause.Load(); p != nil {
		return *p
	}
	return nil
}

// Close says Bye with reason (unless the peer said Bye first; when the
// stream still works; bounded by a short deadline) and closes the stream. Reads then fail with ErrClosed.
// It waits for the keepalive goroutine; it is safe to call more than once.
func (c *Conn) Close(reason string) error {
	select {
	case <-c.closed:
	default:
		// From here on the peer's reaction to the Bye (its EOF) reads as
		// this side's close.
		errClosed := ErrClosed
		c.cause.CompareAndSwap(nil, &errClosed)
		c.wmu.Lock()
		c.closing = true
		// also bounds a write system call in progress
		_ = c.s.SetWriteDeadline(time.Now().Add(min(c.opt.WriteTimeout, 500*time.Millisecond)))
		if c.werr == nil && !c.peerBye.Load() {
			bye := wire.Bye{Reason: reason}
			if len(bye.Reason) > 255 {
				bye.Reason = bye.Reason[:255]
			}
			_ = c.writeLocked(&bye, true)
		}
		for c.flushing { // let the writer in its system call write the Bye too
			c.flushDone.Wait()
		}
		c.wmu.Unlock()
		c.shutdown(ErrClosed)
	}
	<-c.kaDone
	return nil
}

// Drop closes the stream without a Bye: when the peer has nothing to
// learn from one (a refused handshake, a session the peer no longer
// knows), and a Bye would only make it hang up a carrier that could carry
// the next Hello. It waits for the keepalive goroutine.
func (c *Conn) Drop() {
	c.shutdown(ErrClosed)
	<-c.kaDone
}

// Counters returns the connection's counters.
func (c *Conn) Counters() Counters {
	return Counters{
		MsgsIn: c.msgsIn.Load(), MsgsOut: c.msgsOut.Load(),
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
		PingsSent: c.pingsSent.Load(), PongsIn: c.pongsIn.Load(),
	}
}
