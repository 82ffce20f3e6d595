// SPDX-License-Identifier: MIT

package kmod

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/internal/testutil"
)

// nlBytes marshals m as a netlink message of type typ.
func nlBytes(t *testing.T, typ netlink.HeaderType, gm genetlink.Message) []byte {
	t.Helper()
	gb, err := gm.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, err := (netlink.Message{Header: netlink.Header{Length: uint32(unix.NLMSG_HDRLEN + len(gb)), Type: typ, Sequence: 7}, Data: gb}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandleEventDatagram: the raw loop's splitting of one datagram into
// events — several messages, an acknowledgement skipped, an undecodable
// event and a cut message counted as bad, the rest delivered in order.
func TestHandleEventDatagram(t *testing.T) {
	eth1, eth2 := bytes.Repeat([]byte{1}, 60), bytes.Repeat([]byte{2}, 1514)
	ack, err := (netlink.Message{Header: netlink.Header{Length: unix.NLMSG_HDRLEN + 20, Type: netlink.Error}, Data: make([]byte, 20)}).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	short := nlBytes(t, testFamilyID, genetlink.Message{Header: genetlink.Header{Command: CmdTx}, Data: encode(t, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 1)
		ae.Bytes(AttrFrame, []byte{1, 2, 3}) // too short: bad
	})})
	var d []byte
	d = append(d, nlBytes(t, testFamilyID, txEvent(t, 1, eth1))...)
	d = append(d, ack...)
	d = append(d, short...)
	d = append(d, nlBytes(t, testFamilyID, txEvent(t, 2, eth2))...)
	var got []Event
	var bad atomic.Uint64
	handleEventDatagram(d, func(e Event) { got = append(got, e) }, &bad)
	if len(got) != 2 || got[0].Index != 1 || !bytes.Equal(got[0].Frame, eth1) || got[1].Index != 2 || !bytes.Equal(got[1].Frame, eth2) {
		t.Fatalf("events = %d, want TX on radio 1 (60 B) then radio 2 (1514 B)", len(got))
	}
	if bad.Load() != 1 {
		t.Errorf("bad = %d, want 1 (the short frame)", bad.Load())
	}

	// A length past the datagram's end: counted, nothing delivered.
	got, d = nil, nlBytes(t, testFamilyID, txEvent(t, 1, eth1))
	bad.Store(0)
	handleEventDatagram(d[:len(d)-8], func(e Event) { got = append(got, e) }, &bad)
	if len(got) != 0 || bad.Load() != 1 {
		t.Errorf("cut message: %d events, %d bad; want 0 and 1", len(got), bad.Load())
	}
}

// epollWatches counts the descriptors this process has in epoll sets whose
// target is fd's socket inode (from /proc/self/fdinfo).
func epollWatches(t *testing.T, ino uint64) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fdinfo")
	if err != nil {
		t.Skipf("no /proc/self/fdinfo: %v", err)
	}
	n := 0
	for _, e := range ents {
		b, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			// tfd:        7 events:       19 data: ... ino:4d2 sdev:8
			if strings.HasPrefix(l, "tfd:") && strings.Contains(l, " ino:"+strconvHex(ino)+" ") {
				n++
			}
		}
	}
	return n
}

func strconvHex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v >>= 4 {
		b = append([]byte{digits[v&15]}, b...)
	}
	return string(b)
}

// TestRootRawEvents runs Client.Run on a real generic netlink events
// socket: Run takes it over from the library (out of the runtime's epoll
// set, the socket itself alive: its port id still receives), events sent
// to that port id by another netlink socket arrive decoded, and Close ends
// Run and closes the socket within the receive timeout.
func TestRootRawEvents(t *testing.T) {
	testutil.CheckLeaks(t)
	testutil.NeedRoot(t, "sends to another netlink socket's port id")
	f := &fakeModule{}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	defer f.cancel()
	events, err := genetlink.Dial(nil)
	if err != nil {
		t.Skipf("no generic netlink here: %v", err)
	}
	data, closeData := f.dataConn(t)
	c, err := newClient(events, f.cmdsConn(), data, closeData)
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	defer c.Close()
	sc, err := events.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var port uint32
	var ino uint64
	sc.Control(func(fd uintptr) {
		if sa, err := unix.Getsockname(int(fd)); err == nil {
			port = sa.(*unix.SockaddrNetlink).Pid
		}
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) == nil {
			ino = st.Ino
		}
	})
	if port == 0 {
		t.Fatal("no port id on the events socket")
	}

	got := make(chan Event, 4)
	var bad atomic.Uint64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, func(e Event) { got <- e }, &bad) }()

	tx, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(tx)
	eth := bytes.Repeat([]byte{0x5a}, 1514)
	msg := nlBytes(t, testFamilyID, txEvent(t, 3, eth))
	deadline := time.Now().Add(5 * time.Second)
	var e Event
	for e.Cmd == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no event from the raw loop within 5 s")
		}
		if err := unix.Sendto(tx, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); err != nil {
			t.Fatalf("send to port %d: %v", port, err)
		}
		select {
		case e = <-got:
		case <-time.After(100 * time.Millisecond):
		}
	}
	if e.Cmd != CmdTx || e.Index != 3 || !bytes.Equal(e.Frame, eth) {
		t.Errorf("event = cmd %d radio %d frame %d B, want TX radio 3 1514 B", e.Cmd, e.Index, len(e.Frame))
	}
	if n := epollWatches(t, ino); n != 0 {
		t.Errorf("events socket still in %d epoll set(s) of the process while Run reads it", n)
	} else if err := c.Unregister(); err == nil {
		// (On the library's socket an UNREGISTER would wait for an
		// answer Run reads: only asked once the loop is known raw.)
		t.Error("Unregister while Run owns the socket: no error")
	}

	t0 := time.Now()
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	if d := time.Since(t0); d > 10*eventRecvTimeout {
		t.Errorf("Close took %v, want about the receive timeout (%v)", d, eventRecvTimeout)
	}
	// The socket is gone: its port id no longer receives.
	if err := unix.Sendto(tx, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Pid: port}); !errors.Is(err, unix.ECONNREFUSED) {
		t.Errorf("send to the closed events socket's port: %v, want ECONNREFUSED", err)
	}
}
