// SPDX-License-Identifier: MIT

package session

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// qemuPort plays QEMU's virtio-serial port with a socket chardev
// (reconnect=…) between agents and the host: the connection to the host
// (upstream) lives on its own, reconnecting when the host closes it,
// whether or not an agent has the port open; an agent opening the port
// (Dial) gets a fresh stream; bytes from the host while no agent has the
// port open are discarded, as the guest kernel discards them.
type qemuPort struct {
	mu       sync.Mutex
	target   string
	upstream net.Conn
	port     net.Conn // the agent's open port, host side
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newQemuPort(t *testing.T, target string) *qemuPort {
	q := &qemuPort{target: target, stop: make(chan struct{})}
	q.wg.Add(1)
	go q.upstreamLoop()
	t.Cleanup(q.close)
	return q
}

func (q *qemuPort) upstreamLoop() {
	defer q.wg.Done()
	buf := make([]byte, 64<<10)
	for {
		select {
		case <-q.stop:
			return
		default:
		}
		q.mu.Lock()
		target := q.target
		q.mu.Unlock()
		up, err := net.Dial("unix", target)
		if err != nil {
			select {
			case <-q.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		q.mu.Lock()
		q.upstream = up
		q.mu.Unlock()
		for {
			n, err := up.Read(buf)
			if n > 0 {
				q.mu.Lock()
				p := q.port
				q.mu.Unlock()
				if p != nil {
					p.Write(buf[:n]) // to the agent; lost if it just closed
				}
			}
			if err != nil {
				break
			}
		}
		q.mu.Lock()
		q.upstream = nil
		q.mu.Unlock()
		up.Close()
	}
}

// waitUp waits until the host connection is up.
func (q *qemuPort) waitUp(t *testing.T) {
	deadline := time.Now().Add(wait)
	for {
		q.mu.Lock()
		up := q.upstream != nil
		q.mu.Unlock()
		if up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the port never connected to the host")
		}
		time.Sleep(time.Millisecond)
	}
}

// Dial is the agent opening the port device.
func (q *qemuPort) Dial(ctx context.Context) (transport.Stream, error) {
	agentEnd, hostEnd := net.Pipe()
	q.mu.Lock()
	if q.port != nil {
		q.port.Close()
	}
	q.port = hostEnd
	q.mu.Unlock()
	q.wg.Add(1)
	go func() { // agent → host
		defer q.wg.Done()
		buf := make([]byte, 64<<10)
		for {
			n, err := hostEnd.Read(buf)
			if n > 0 {
				q.mu.Lock()
				up := q.upstream
				q.mu.Unlock()
				if up != nil {
					up.Write(buf[:n])
				}
			}
			if err != nil {
				q.mu.Lock()
				if q.port == hostEnd {
					q.port = nil
				}
				q.mu.Unlock()
				hostEnd.Close()
				return
			}
		}
	}()
	return agentEnd, nil
}

// retarget drops the host connection without a word (the host crashed)
// and reconnects to another socket (the restarted host).
func (q *qemuPort) retarget(target string) {
	q.mu.Lock()
	q.target = target
	if q.upstream != nil {
		q.upstream.Close()
	}
	q.mu.Unlock()
}

func (q *qemuPort) close() {
	close(q.stop)
	q.mu.Lock()
	if q.upstream != nil {
		q.upstream.Close()
	}
	if q.port != nil {
		q.port.Close()
	}
	q.mu.Unlock()
	q.wg.Wait()
}

func agentOverPort(t *testing.T, q *qemuPort, name string, radios ...wire.Radio) *testAgent {
	a := newAgent(t, transport.Addr{Scheme: "unix", Target: "/nonexistent"}, name, radios...)
	a.cfg.Dial = q.Dial
	a.cfg.HelloTimeout = 300 * time.Millisecond
	return a
}

// TestAgentRestartBehindPersistentCarrier: an agent dies without a Bye
// while QEMU keeps the host's socket connected; the next agent's Hello on
// that same connection replaces the old session (Leave, then Join).
func TestAgentRestartBehindPersistentCarrier(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Frame: ackAll})
	q := newQemuPort(t, h.addr.Target)
	q.waitUp(t) // what the agent writes before that is lost; a raw agent would not retry

	// the first agent: hello, then gone without a word
	s, err := q.Dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	first := transport.NewConn(s, transport.Options{})
	if err := first.Write(&wire.Hello{Name: "vm1", Software: "old", Radios: []wire.Radio{radio(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	var m wire.Msg
	if err := first.Read(&m); err != nil || m.Type != wire.TypeHelloAck {
		t.Fatalf("first agent: %v %v", m.Type, err)
	}
	h.next(t, Join, "vm1")
	s.Close() // killed: no Bye; the host's connection stays up
	first.Close("")

	a := agentOverPort(t, q, "vm1", radio(1, 1)).start(t)
	a.waitConnected(t)
	if e := h.next(t, Leave, "vm1"); !errors.Is(e.Err, ErrRehello) {
		t.Fatalf("old session left with %v, want ErrRehello", e.Err)
	}
	h.next(t, Join, "vm1")
	if rs := h.Guest("vm1").Radios(); len(rs) != 1 || rs[0].HWAddr != hw(1, 1) {
		t.Fatalf("radios %+v, want the new agent's", rs)
	}
	a.SendFrame(frameOf(hw(1, 1), 1))
	a.st.waitTotal(t, 1)
	a.st.mu.Lock()
	if a.st.acked != 1 {
		t.Errorf("frame not acked by the host")
	}
	a.st.mu.Unlock()
	if c := h.Counters(); c.Accepted != 1 {
		t.Errorf("host counters %+v: want both sessions on one connection", c)
	}
}

// TestHostRestartBehindPersistentCarrier: the host crashes (no Bye) and a
// new one comes up while the agent keeps its port open and hears nothing;
// the new host tells it to say hello, and it rejoins with its radios.
func TestHostRestartBehindPersistentCarrier(t *testing.T) {
	testutil.CheckLeaks(t)
	h1 := startHost(t, "", HostConfig{Frame: ackAll})
	q := newQemuPort(t, h1.addr.Target)
	a := agentOverPort(t, q, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)
	h1.next(t, Join, "vm1")

	h2 := startHost(t, "", HostConfig{Frame: ackAll})
	q.retarget(h2.addr.Target)
	h1.next(t, Leave, "vm1")
	// the agent's keepalive ping (or any frame) reaches h2 first, h2 says
	// "hello first", the agent starts over
	var lost error
	select {
	case lost = <-a.st.states:
	case <-time.After(wait):
		t.Fatal("the agent never noticed the new host")
	}
	if !errors.Is(lost, ErrSessionLost) {
		t.Fatalf("agent's disconnect reason %v, want ErrSessionLost", lost)
	}
	a.waitConnected(t)
	h2.next(t, Join, "vm1")
	a.SendFrame(frameOf(hw(1, 0), 1))
	a.st.waitTotal(t, 1)
	a.st.mu.Lock()
	defer a.st.mu.Unlock()
	if a.st.acked != 1 {
		t.Errorf("frame after the restart: %d acked", a.st.acked)
	}
}

// TestRefusedThenAcceptedOnOneConnection: a guest refused for a name in
// use says Hello again on the same host connection (the agent redials the
// port; QEMU's socket stays) and gets in once the name is free; no new
// connection is needed.
func TestRefusedThenAcceptedOnOneConnection(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Frame: ackAll})
	first := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	first.waitConnected(t)
	q := newQemuPort(t, h.addr.Target)
	q.waitUp(t)
	b := agentOverPort(t, q, "vm1", radio(2, 0)).start(t)
	if ref := b.waitRefused(t); ref.Code != wire.RefuseNameInUse {
		t.Fatalf("refusal %v", ref)
	}
	first.stop()
	b.waitConnected(t)
	if got := h.Guest("vm1").Radios()[0].HWAddr; got != hw(2, 0) {
		t.Fatalf("vm1 has radio %v, want the second guest's", got)
	}
	if c := h.Counters(); c.Accepted != 2 || c.Failed != 0 {
		t.Errorf("host counters %+v: want the refused guest's later hello on its first connection", c)
	}
}
