// SPDX-License-Identifier: MIT

package session

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// TestJoinRelayLeave: a guest joins with its radios, its frames reach the
// host and the host's statuses and RX frames reach it; counted addresses
// behave like hwsim's (added twice, removed once: still there); a stopped
// agent says bye and its radios leave.
func TestJoinRelayLeave(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Frame: ackAll})
	a := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)

	h.next(t, Join, "vm1")
	e := h.next(t, RadioAdded, "vm1")
	if !reflect.DeepEqual(e.Radio, radio(1, 0)) {
		t.Fatalf("joined radio %+v, want %+v", e.Radio, radio(1, 0))
	}
	if err := a.AddRadio(radio(1, 1)); err != nil {
		t.Fatal(err)
	}
	if e := h.next(t, RadioAdded, "vm1"); e.Radio.HWAddr != hw(1, 1) {
		t.Fatalf("added %v", e.Radio.HWAddr)
	}
	scan := wire.HWAddr{0x06, 1, 2, 3, 4, 5}
	a.AddAddr(hw(1, 0), scan)
	a.AddAddr(hw(1, 0), scan)
	a.RemoveAddr(hw(1, 0), scan)
	if e := h.next(t, AddrAdded, "vm1"); e.Addr != scan || e.Radio.HWAddr != hw(1, 0) {
		t.Fatalf("addr event %+v", e)
	}

	const n = 200
	for i := range n {
		a.SendFrame(frameOf(hw(1, byte(i%2)), uint64(i)))
	}
	a.st.waitTotal(t, n)
	a.st.mu.Lock()
	if a.st.acked != n || a.st.local != 0 {
		t.Errorf("%d acked, %d local of %d", a.st.acked, a.st.local, n)
	}
	a.st.mu.Unlock()

	g := h.Guest("vm1")
	rs := g.Radios()
	if len(rs) != 2 || !reflect.DeepEqual(rs[0].Addrs, []wire.HWAddr{vif(1, 0), scan}) {
		t.Fatalf("host's radios %+v: want radio 0 still answering to %v (added twice, removed once)", rs, scan)
	}
	rx := wire.Rx{Receiver: hw(1, 1), Freq: 2437, Signal: -55, Data: []byte("an 802.11 frame, 24 bytes+")}
	if err := g.SendRx(&rx); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-a.st.rx:
		if got.Receiver != rx.Receiver || got.Signal != -55 || string(got.Data) != string(rx.Data) {
			t.Fatalf("rx %+v", got)
		}
	case <-time.After(wait):
		t.Fatal("no rx")
	}
	gc := g.Counters()
	if gc.Frames != n || gc.TxStatuses != n || gc.Rxs != 1 || gc.Malformed != 0 || gc.UnknownRadio != 0 {
		t.Errorf("guest counters %+v", gc)
	}

	a.stop()
	for range 2 {
		h.next(t, RadioRemoved, "vm1")
	}
	if e := h.next(t, Leave, "vm1"); !errors.Is(e.Err, ErrBye) || !strings.Contains(e.Err.Error(), "agent stopping") {
		t.Fatalf("leave reason %v, want the agent's bye", e.Err)
	}
	if c := h.Counters(); c.Joined != 1 || c.Left != 1 || c.Refused != 0 {
		t.Errorf("host counters %+v", c)
	}
	deadline := time.Now().Add(wait) // unregistered right after its Leave event
	for h.Guest("vm1") != nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if h.Guest("vm1") != nil {
		t.Error("guest still registered after leaving")
	}
}

// TestHostRestart: the host goes away and comes back on the same socket;
// the agent redials by itself and its radios rejoin with everything they
// had (interface and counted addresses), including a radio added while
// the host was away.
func TestHostRestart(t *testing.T) {
	testutil.CheckLeaks(t)
	h1 := startHost(t, "", HostConfig{Frame: ackAll})
	a := newAgent(t, h1.addr, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)
	h1.next(t, Join, "vm1")
	scan := wire.HWAddr{0x06, 1, 2, 3, 4, 5}
	a.AddAddr(hw(1, 0), scan)
	h1.next(t, AddrAdded, "vm1")

	h1.stop()
	if err := <-a.st.states; err == nil || !errors.Is(err, ErrBye) {
		t.Fatalf("agent saw %v, want the host's bye", err)
	}
	// while the host is away: frames are answered here, a radio is added
	a.SendFrame(frameOf(hw(1, 0), 1))
	a.st.waitTotal(t, 1)
	if err := a.AddRadio(radio(1, 1)); err != nil {
		t.Fatal(err)
	}

	h2 := startHost(t, h1.addr.Target, HostConfig{Frame: ackAll})
	a.waitConnected(t)
	h2.next(t, Join, "vm1")
	want := []wire.Radio{radio(1, 0), radio(1, 1)}
	want[0].Addrs = append(want[0].Addrs, scan)
	if got := h2.Guest("vm1").Radios(); !reflect.DeepEqual(got, want) {
		// the replayed AddrAdded may still be in flight: wait for it
		h2.next(t, AddrAdded, "vm1")
		if got = h2.Guest("vm1").Radios(); !reflect.DeepEqual(got, want) {
			t.Fatalf("radios after the host restart:\n got %+v\nwant %+v", got, want)
		}
	}
	a.SendFrame(frameOf(hw(1, 1), 2))
	a.st.waitTotal(t, 2)
	a.st.mu.Lock()
	if a.st.local != 1 || a.st.acked != 1 {
		t.Errorf("%d local, %d acked; want the frame sent while away answered here, the other by the new host", a.st.local, a.st.acked)
	}
	a.st.mu.Unlock()
	if c := a.Counters(); c.Connects != 2 || c.Disconnects != 1 {
		t.Errorf("agent counters %+v", c)
	}
}

// TestGuestReconnect: the host drops a guest (as when its connection
// breaks): it leaves, redials and joins again; a new agent under the same
// name after the old one stopped joins too.
func TestGuestReconnect(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Frame: ackAll})
	a := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)
	h.next(t, Join, "vm1")
	h.Guest("vm1").Close("kicked by a test")
	h.next(t, RadioRemoved, "vm1")
	if e := h.next(t, Leave, "vm1"); !errors.Is(e.Err, transport.ErrClosed) {
		t.Errorf("leave reason %v, want ErrClosed", e.Err)
	}
	a.waitConnected(t)
	h.next(t, Join, "vm1")
	if e := h.next(t, RadioAdded, "vm1"); e.Radio.HWAddr != hw(1, 0) {
		t.Fatalf("rejoined with %v", e.Radio.HWAddr)
	}
	a.SendFrame(frameOf(hw(1, 0), 7))
	a.st.waitTotal(t, 1)

	a.stop()
	h.next(t, Leave, "vm1")
	b := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	b.waitConnected(t)
	h.next(t, Join, "vm1")
	if c := h.Counters(); c.Joined != 3 || c.Left != 2 {
		t.Errorf("host counters %+v", c)
	}
}

// TestDuplicateNameRefused: a second guest with a connected guest's name
// is refused with a reason naming the first; the first keeps working; the
// second gets in once the first is gone.
func TestDuplicateNameRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Frame: ackAll})
	a := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)
	h.next(t, Join, "vm1")

	b := newAgent(t, h.addr, "vm1", radio(2, 0)).start(t)
	ref := b.waitRefused(t)
	if ref.Code != wire.RefuseNameInUse || ref.Permanent() ||
		!strings.Contains(ref.Error(), `guest name "vm1" is already connected (agent agent-test from unix:`) ||
		!strings.Contains(ref.Error(), "give this guest another --name, or stop the other agent") {
		t.Fatalf("refusal: code %d: %v", ref.Code, ref)
	}
	for i := range 10 {
		a.SendFrame(frameOf(hw(1, 0), uint64(i)))
	}
	a.st.waitTotal(t, 10)
	a.st.mu.Lock()
	if a.st.acked != 10 {
		t.Errorf("first guest: %d of 10 acked while the second was refused", a.st.acked)
	}
	a.st.mu.Unlock()
	if g := h.Guest("vm1"); g == nil || g.Radios()[0].HWAddr != hw(1, 0) {
		t.Fatal("the first guest was replaced")
	}

	a.stop()
	b.waitConnected(t) // it kept redialling
	if got := h.Guest("vm1").Radios()[0].HWAddr; got != hw(2, 0) {
		t.Fatalf("vm1 now has radio %v, want the second guest's", got)
	}
	if c := h.Counters(); c.Refused == 0 {
		t.Errorf("host counters %+v: no refusal counted", c)
	}
}

// rawHello connects to the host without an Agent and says a hello the
// test built, returning the host's answer.
func rawHello(t *testing.T, addr transport.Addr, hello []byte) (*transport.Conn, wire.Msg) {
	t.Helper()
	s, err := transport.Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(hello); err != nil {
		t.Fatal(err)
	}
	c := transport.NewConn(s, transport.Options{})
	var m wire.Msg
	if err := c.Read(&m); err != nil {
		t.Fatal(err)
	}
	return c, m
}

func helloBytes(t *testing.T, version uint16, name string) []byte {
	b, err := (&wire.Hello{Name: name, Software: "agent-9.9", Radios: []wire.Radio{radio(3, 0)}}).Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	b[9], b[10] = byte(version>>8), byte(version) // the frozen version field
	return b
}

// TestVersionMismatch: a guest of another protocol version is refused with
// both versions and which side to upgrade; the agent stops and reports it;
// other guests are unaffected.
func TestVersionMismatch(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Software: "v1.2.3", Frame: ackAll})
	ok := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	ok.waitConnected(t)

	for _, c := range []struct {
		version uint16
		text    string
	}{
		{2, `protocol version mismatch: guest "vm9" runs agent agent-9.9 speaking guest protocol version 2; the host runs vmedium v1.2.3 speaking version 1: upgrade vmedium on the host to a release that speaks version 2`},
		{0, `speaking guest protocol version 0; the host runs vmedium v1.2.3 speaking version 1: upgrade the agent in the guest: copy this host's vmedium binary (v1.2.3) into the guest`},
	} {
		conn, m := rawHello(t, h.addr, helloBytes(t, c.version, "vm9"))
		if m.Type != wire.TypeRefuse || m.Refuse.Code != wire.RefuseVersion || m.Refuse.Version != wire.Version || !strings.Contains(m.Refuse.Reason, c.text) {
			t.Errorf("version %d: %v code %d version %d:\n%s\nwant\n%s", c.version, m.Type, m.Refuse.Code, m.Refuse.Version, m.Refuse.Reason, c.text)
		}
		conn.Close("")
	}

	// The agent's side: a host that refuses this version. Run stops and
	// returns the host's words.
	l, err := transport.Listen(transport.Addr{Scheme: "unix", Target: t.TempDir() + "/old-host.sock"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		s, err := l.Accept()
		if err != nil {
			return
		}
		c := transport.NewConn(s, transport.Options{})
		var m wire.Msg
		_ = c.Read(&m)
		_ = c.Write(&wire.Refuse{Code: wire.RefuseVersion, Version: 7, Reason: "speaks version 7: upgrade the agent"})
		c.Close("")
	}()
	a := newAgent(t, l.Addr(), "vm2")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	err = a.Run(ctx)
	var ref *RefusedError
	if !errors.As(err, &ref) || !errors.Is(err, wire.ErrVersion) || ref.HostVersion != 7 ||
		err.Error() != "the host refused this guest: speaks version 7: upgrade the agent" {
		t.Fatalf("Run against a version-7 host: %v", err)
	}

	ok.SendFrame(frameOf(hw(1, 0), 1))
	ok.st.waitTotal(t, 1)
	if c := h.Counters(); c.Refused != 2 || c.Joined != 1 {
		t.Errorf("host counters %+v", c)
	}
}

func TestBadNameRefused(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{})
	for _, name := range []string{"", "vm 1", "vm1/wlan0", "-vm", strings.Repeat("x", 33)} {
		conn, m := rawHello(t, h.addr, helloBytes(t, wire.Version, name))
		if m.Type != wire.TypeRefuse || m.Refuse.Code != wire.RefuseBadName || !strings.Contains(m.Refuse.Reason, "use 1 to 32 letters, digits") {
			t.Errorf("name %q: %v %d %q", name, m.Type, m.Refuse.Code, m.Refuse.Reason)
		}
		conn.Close("")
		if _, err := NewAgent(AgentConfig{Addr: h.addr, Name: name}); !errors.Is(err, ErrBadName) {
			t.Errorf("NewAgent with name %q: %v", name, err)
		}
	}
	if _, err := NewAgent(AgentConfig{Addr: transport.Addr{Scheme: "vsock", Target: "2:1"}, Name: "vm1"}); !errors.Is(err, transport.ErrAddr) {
		t.Errorf("NewAgent with a vsock address: %v", err)
	}
}

// TestNoFrameLeftWithoutStatus: the host answers only some frames, then
// goes away; every frame the guest sent gets exactly one status, the rest
// "not acknowledged" from the agent; frames sent with no host are answered
// at once.
func TestNoFrameLeftWithoutStatus(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Frame: func(g *Guest, f *wire.Frame) {
		if f.Cookie%2 == 0 {
			ackAll(g, f)
		}
	}})
	a := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)
	h.next(t, Join, "vm1")
	const n = 300
	for i := range n {
		a.SendFrame(frameOf(hw(1, 0), uint64(i)))
	}
	a.st.waitTotal(t, n/2)
	if c := a.Counters(); c.Pending != n/2 {
		t.Fatalf("%d pending, want the %d the host kept", c.Pending, n/2)
	}
	h.stop()
	a.st.waitTotal(t, n)
	for i := n; i < n+50; i++ { // no host now
		a.SendFrame(frameOf(hw(1, 0), uint64(i)))
	}
	a.st.waitTotal(t, n+50)
	time.Sleep(50 * time.Millisecond) // a double answer would show up by now
	a.st.mu.Lock()
	defer a.st.mu.Unlock()
	for i := range n + 50 {
		if a.st.byCookie[uint64(i)] != 1 {
			t.Errorf("frame %d answered %d times", i, a.st.byCookie[uint64(i)])
		}
	}
	if a.st.acked != n/2 || a.st.local != n/2+50 {
		t.Errorf("%d acked by the host, %d answered locally; want %d and %d", a.st.acked, a.st.local, n/2, n/2+50)
	}
	c := a.Counters()
	if c.LocalStatuses != n/2+50 || c.HostStatuses != n/2 || c.Pending != 0 {
		t.Errorf("agent counters %+v", c)
	}
}

// TestUnknownRadioAnsweredByHost: a frame from a radio the guest never
// announced does not reach the medium; the host answers it "not acked".
func TestUnknownRadioAnsweredByHost(t *testing.T) {
	testutil.CheckLeaks(t)
	reached := make(chan struct{}, 1)
	h := startHost(t, "", HostConfig{Frame: func(g *Guest, f *wire.Frame) { reached <- struct{}{} }})
	a := newAgent(t, h.addr, "vm1", radio(1, 0)).start(t)
	a.waitConnected(t)
	a.SendFrame(frameOf(hw(9, 9), 1))
	a.st.waitTotal(t, 1)
	a.st.mu.Lock()
	if a.st.local != 0 || a.st.acked != 0 {
		t.Errorf("local %d acked %d: want a host-made not-acked status", a.st.local, a.st.acked)
	}
	a.st.mu.Unlock()
	select {
	case <-reached:
		t.Error("a frame from an unknown radio reached the medium")
	default:
	}
	g := h.Guest("vm1")
	deadline := time.Now().Add(wait) // the status may arrive before the host counted it
	for g.Counters().TxStatuses != 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if c := g.Counters(); c.UnknownRadio != 1 || c.TxStatuses != 1 {
		t.Errorf("guest counters %+v", c)
	}
}

// TestKeepaliveDropsSilentGuest: a guest that stops answering pings is
// dropped and leaves with ErrPeerSilent; one that never says hello is cut
// off after the hello timeout.
func TestKeepaliveDropsSilentGuest(t *testing.T) {
	testutil.CheckLeaks(t)
	h := startHost(t, "", HostConfig{Keepalive: 10 * time.Millisecond, KeepaliveMissed: 3, HelloTimeout: 100 * time.Millisecond})
	conn, m := rawHello(t, h.addr, helloBytes(t, wire.Version, "vm1"))
	defer conn.Close("")
	if m.Type != wire.TypeHelloAck || m.HelloAck.Keepalive != 10 || m.HelloAck.Software != "host-test" {
		t.Fatalf("answer %v %+v", m.Type, m.HelloAck)
	}
	h.next(t, Join, "vm1")
	start := time.Now()
	// the raw conn never reads again: pings go unanswered
	e := h.next(t, Leave, "vm1")
	if !errors.Is(e.Err, transport.ErrPeerSilent) {
		t.Fatalf("leave reason %v, want ErrPeerSilent", e.Err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("dropped after %v", d)
	}

	s, err := transport.Dial(context.Background(), h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, 1)
	s.SetReadDeadline(time.Now().Add(wait))
	if _, err := s.Read(buf); !errors.Is(err, io.EOF) {
		// pings may come first; the host must still hang up
		for err == nil {
			_, err = s.Read(buf)
		}
		if !errors.Is(err, io.EOF) {
			t.Fatalf("a connection without hello: %v, want the host to hang up", err)
		}
	}
	deadline := time.Now().Add(wait)
	for h.Counters().Failed != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if c := h.Counters(); c.Failed != 1 {
		t.Errorf("host counters %+v", c)
	}
}

// TestRadioChangesDuringHandshake: radio changes made while the agent
// waits for the host's answer neither block nor get lost: they follow the
// HelloAck as the difference to what the Hello said.
func TestRadioChangesDuringHandshake(t *testing.T) {
	testutil.CheckLeaks(t)
	l, err := transport.Listen(transport.Addr{Scheme: "unix", Target: t.TempDir() + "/slow-host.sock"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := newAgent(t, l.Addr(), "vm1", radio(1, 0), radio(1, 1))
	a.AddAddr(hw(1, 1), vif(1, 9))
	a.start(t)
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c := transport.NewConn(s, transport.Options{})
	defer c.Close("")
	var m wire.Msg
	if err := c.Read(&m); err != nil || m.Type != wire.TypeHello || len(m.Hello.Radios) != 2 {
		t.Fatalf("hello: %v %+v", err, m.Hello)
	}
	changed := make(chan struct{})
	go func() { // while the host has not answered
		changedRadio := radio(1, 1)
		changedRadio.Freq = 5180
		a.AddRadio(changedRadio)
		a.AddRadio(radio(1, 2))
		a.RemoveRadio(hw(1, 0))
		close(changed)
	}()
	select {
	case <-changed:
	case <-time.After(wait):
		t.Fatal("radio changes blocked while the agent waited for the host's answer")
	}
	if err := c.Write(&wire.HelloAck{Software: "slow"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 4 {
		if err := c.Read(&m); err != nil {
			t.Fatal(err)
		}
		switch m.Type {
		case wire.TypeRadioAdded:
			got = append(got, "added "+m.RadioAdded.Radio.HWAddr.String())
		case wire.TypeRadioChanged:
			got = append(got, "changed "+m.RadioChanged.Radio.HWAddr.String())
		case wire.TypeRadioRemoved:
			got = append(got, "removed "+m.RadioRemoved.HWAddr.String())
		case wire.TypeAddrAdded:
			got = append(got, "addr "+m.AddrAdded.Addr.String())
		}
	}
	want := []string{"changed " + hw(1, 1).String(), "added " + hw(1, 2).String(), "removed " + hw(1, 0).String(), "addr " + vif(1, 9).String()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the ack:\n got %q\nwant %q", got, want)
	}
}
