// SPDX-License-Identifier: MIT

package hwsim

import (
	"sync"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/internal/genlraw"
)

// Sending: while a kernel radio's transmission is dispatched on the medium,
// the injections it causes are collected and sent together with its TX
// status in one datagram; while the receive loop drains a burst of queued
// frames, everything they cause leaves in one datagram at the end of the
// burst (per wake-up one recvmmsg and one writev).

// sender is the batching state, guarded by its mutex.
type sender struct {
	mu       sync.Mutex
	batching bool // a transmission is being dispatched: collect, do not send
	burst    bool // the receive loop drains queued messages; it flushes once
	batch    []outMsg
	hdrBuf   []byte       // the batch's headers
	iov      []unix.Iovec // the batch's write vector
}

// maxWrite bounds one datagram: netlink refuses a message larger than the
// socket's send buffer (EMSGSIZE), 212992 bytes by default.
const maxWrite = 64 << 10

// maxIov bounds the vector of one writev (UIO_MAXIOV is 1024).
const maxIov = 1024

// flushLocked sends the batch and counts what left. Called with s.mu held.
func (b *Backend) flushLocked() {
	s := &b.s
	if len(s.batch) == 0 {
		return
	}
	if err := b.writeBatch(s.batch); err != nil {
		b.c.sendErrors.Add(1)
		b.log.Debug("hwsim: send", "messages", len(s.batch), "err", err)
	} else {
		for i := range s.batch {
			switch s.batch[i].cmd {
			case CmdTxInfoFrame:
				b.c.txInfoSent.Add(1)
			case CmdFrame:
				b.c.injected.Add(1)
			}
		}
	}
	clear(s.batch)
	s.batch = s.batch[:0]
}

// writeBatch writes msgs with writev(2): per message one 20-byte header
// (nlmsghdr + genlmsghdr, genlraw.PutHeader) and the attributes as Encode
// returned them, so the kernel reads the frame straight from the encoder's
// output. genetlink.Message and netlink.Message MarshalBinary would each
// allocate and copy the whole message: three extra copies of every
// injected frame (measured with BenchmarkFrameRaw). The headers are the
// library's bytes (pinned by TestBatchHeadersMatchLibrary). Called with
// s.mu held.
func (b *Backend) writeBatch(msgs []outMsg) error {
	s := &b.s
	need := len(msgs) * genlraw.HeaderLen
	if cap(s.hdrBuf) < need {
		s.hdrBuf = make([]byte, need, 2*need)
	}
	hdrs := s.hdrBuf[:need]
	iov, size := s.iov[:0], 0
	var err error
	for i := range msgs {
		m := &msgs[i]
		// Encoded attributes are NLA_ALIGN'd, so l is NLMSG_ALIGN'd.
		l := genlraw.HeaderLen + len(m.attrs)
		if len(iov) > 0 && (size+l > maxWrite || len(iov)+2 > maxIov) {
			if err = b.conn.send(iov); err != nil {
				break
			}
			clear(iov)
			iov, size = iov[:0], 0
		}
		flags, seq := m.flags, m.seq
		if flags == 0 {
			flags = uint16(netlink.Request)
		}
		if seq == 0 {
			seq = b.txSeq.Add(1) & 0x7fffffff
		}
		h := hdrs[i*genlraw.HeaderLen : (i+1)*genlraw.HeaderLen]
		genlraw.PutHeader(h, uint32(l), b.family, flags, seq, m.cmd, FamilyVersion)
		iov = append(iov, unix.Iovec{Base: &h[0], Len: uint64(len(h))})
		if len(m.attrs) > 0 {
			iov = append(iov, unix.Iovec{Base: &m.attrs[0], Len: uint64(len(m.attrs))})
		}
		size += l
	}
	if err == nil && len(iov) > 0 {
		err = b.conn.send(iov)
	}
	clear(iov) // drop the references to the encoded messages
	s.iov = iov[:0]
	return err
}

// port is a served radio's receive side: it injects HWSIM_CMD_FRAME.
type port struct {
	b  *Backend
	hw frames.MAC
}

// Deliver injects frame into the radio. During a kernel radio's
// transmission the message joins that transmission's batch. The kernel
// refuses an injection (receiver off the frame's channel, or down) with an
// error reply, counted as Rejected by the receive loop.
func (p *port) Deliver(frame []byte, rx medium.RxInfo) error {
	msg, err := encodeInjection(&p.hw, frame, rx)
	if err != nil {
		return err
	}
	b := p.b
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.batch = append(b.s.batch, msg)
	if !b.s.batching {
		b.flushLocked()
	}
	return nil
}
