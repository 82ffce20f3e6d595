// SPDX-License-Identifier: MIT

package hwsim

import (
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium"
)

const testFamily = 33

// fakeKernel plays mac80211_hwsim on one end of an AF_UNIX datagram
// socketpair whose other end is the backend's conn: the backend's
// production receive loop, splitting, decoding, batching and header
// encoding all run on real netlink-encoded datagrams. The kernel answers
// requests (REGISTER, NEW_RADIO) when told to serve, and the test reads
// everything else the backend sent with take.
type fakeKernel struct {
	t  testing.TB
	fd int // the kernel's end

	registerErr int    // errno REGISTER is refused with, 0 = accepted
	registerMsg string // the extended-ack message of a refusal
	newRadioID  int    // positive "error" of NEW_RADIO's acknowledgement
	newRadio    []byte // attributes of the last NEW_RADIO request

	mu         sync.Mutex
	registered int
	pending    [][]genetlink.Message // non-request datagrams read by serve
}

// newFakeKernel returns the kernel and the backend's end of the pair.
func newFakeKernel(t testing.TB) (*fakeKernel, fdConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := setRecvTimeout(fds[0]); err != nil {
		t.Fatal(err)
	}
	tv := unix.NsecToTimeval(int64(2 * time.Second))
	if err := unix.SetsockoptTimeval(fds[1], unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	k := &fakeKernel{t: t, fd: fds[1]}
	t.Cleanup(func() {
		unix.Shutdown(fds[1], unix.SHUT_RDWR) // wakes a drain blocked in read
		unix.Close(fds[1])
	})
	return k, fdConn(fds[0])
}

// open REGISTERs a backend on c (the kernel answers) with test config cfg.
func (k *fakeKernel) open(m *medium.Medium, c fdConn, opts Options, cfg config) (*Backend, error) {
	var b *Backend
	err := k.serving(1, func() error {
		var err error
		b, err = newBackend(m, c, c.close, testFamily, opts, cfg)
		return err
	})
	if err != nil {
		c.close()
		return nil, err
	}
	k.t.Cleanup(func() { b.Close() })
	return b, nil
}

// serving runs fn while the kernel answers n requests.
func (k *fakeKernel) serving(n int, fn func() error) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.serve(n)
	}()
	err := fn()
	<-done
	return err
}

// serve reads datagrams until it answered n requests (messages asking for
// an acknowledgement), keeping the others for take.
func (k *fakeKernel) serve(n int) {
	buf := make([]byte, 1<<16)
	for n > 0 {
		l, err := unix.Read(k.fd, buf)
		if err != nil {
			k.t.Errorf("fake kernel: read: %v (a request never came)", err)
			return
		}
		var other []genetlink.Message
		for _, nm := range splitDatagram(k.t, buf[:l]) {
			if nm.Header.Flags&netlink.Acknowledge == 0 {
				other = append(other, genlOf(k.t, nm))
				continue
			}
			n--
			k.answer(nm)
		}
		if other != nil {
			k.mu.Lock()
			k.pending = append(k.pending, other)
			k.mu.Unlock()
		}
	}
}

// answer acknowledges one request the way the kernel does.
func (k *fakeKernel) answer(req netlink.Message) {
	gm := genlOf(k.t, req)
	code, msg := int32(0), ""
	switch gm.Header.Command {
	case CmdRegister:
		k.mu.Lock()
		k.registered++
		k.mu.Unlock()
		code, msg = -int32(k.registerErr), k.registerMsg
	case CmdNewRadio:
		code = int32(k.newRadioID)
		k.mu.Lock()
		k.newRadio = append([]byte(nil), gm.Data...)
		k.mu.Unlock()
	}
	k.send(ackMsg(req.Header, code, msg))
}

// ackMsg is the NLMSG_ERROR answering a request on a socket with
// NETLINK_CAP_ACK (the request's header only) and NETLINK_EXT_ACK.
func ackMsg(req netlink.Header, code int32, text string) netlink.Message {
	data := make([]byte, 4+16)
	binary.NativeEndian.PutUint32(data, uint32(code))
	binary.NativeEndian.PutUint32(data[4:], req.Length)
	binary.NativeEndian.PutUint16(data[8:], uint16(req.Type))
	binary.NativeEndian.PutUint16(data[10:], uint16(req.Flags))
	binary.NativeEndian.PutUint32(data[12:], req.Sequence)
	binary.NativeEndian.PutUint32(data[16:], req.PID)
	flags := netlink.HeaderFlags(unix.NLM_F_CAPPED)
	if text != "" {
		ae := netlink.NewAttributeEncoder()
		ae.String(unix.NLMSGERR_ATTR_MSG, text)
		tlvs, _ := ae.Encode()
		data = append(data, tlvs...)
		flags |= unix.NLM_F_ACK_TLVS
	}
	return netlink.Message{Header: netlink.Header{Type: netlink.Error, Flags: flags, Sequence: req.Sequence}, Data: data}
}

// send writes msgs to the backend as one datagram.
func (k *fakeKernel) send(msgs ...netlink.Message) {
	if _, err := unix.Write(k.fd, dgram(k.t, msgs...)); err != nil {
		k.t.Errorf("fake kernel: write: %v", err)
	}
}

// take returns what the backend sent since the last take, datagram by
// datagram (requests included, unanswered).
func (k *fakeKernel) take() [][]genetlink.Message {
	k.mu.Lock()
	out := k.pending
	k.pending = nil
	k.mu.Unlock()
	buf := make([]byte, 1<<16)
	for {
		l, _, err := unix.Recvfrom(k.fd, buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) {
			return out
		}
		if err != nil {
			k.t.Errorf("fake kernel: read: %v", err)
			return out
		}
		var d []genetlink.Message
		for _, nm := range splitDatagram(k.t, buf[:l]) {
			d = append(d, genlOf(k.t, nm))
		}
		out = append(out, d)
	}
}

// drain reads and drops whatever the backend sends until the kernel's end
// is shut down or closed (benchmarks, allocation budgets).
func (k *fakeKernel) drain() {
	buf := make([]byte, 1<<16)
	for {
		n, err := unix.Read(k.fd, buf)
		if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			return
		}
	}
}

// dgram encodes msgs into one datagram, as the kernel does.
func dgram(t testing.TB, msgs ...netlink.Message) []byte {
	var out []byte
	for _, m := range msgs {
		m.Header.Length = uint32(nlmsgAlign(unix.NLMSG_HDRLEN + len(m.Data)))
		enc, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, enc...)
	}
	return out
}

// splitDatagram splits a datagram the backend wrote into its messages,
// checking each header the way the kernel would.
func splitDatagram(t testing.TB, d []byte) []netlink.Message {
	t.Helper()
	var out []netlink.Message
	for len(d) > 0 {
		if len(d) < unix.NLMSG_HDRLEN {
			t.Fatalf("datagram ends with %d stray bytes", len(d))
		}
		l := nlmsgAlign(int(binary.NativeEndian.Uint32(d)))
		if l > len(d) {
			t.Fatalf("message of %d bytes in %d", l, len(d))
		}
		var m netlink.Message
		if err := m.UnmarshalBinary(d[:l]); err != nil {
			t.Fatal(err)
		}
		if m.Header.Type != testFamily || m.Header.Sequence == 0 || m.Header.Flags&netlink.Request == 0 {
			t.Errorf("header %+v: want family %d, a sequence number, NLM_F_REQUEST", m.Header, testFamily)
		}
		out = append(out, m)
		d = d[l:]
	}
	return out
}

func genlOf(t testing.TB, nm netlink.Message) genetlink.Message {
	var gm genetlink.Message
	if err := gm.UnmarshalBinary(nm.Data); err != nil {
		t.Fatal(err)
	}
	return gm
}
