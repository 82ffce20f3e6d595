// SPDX-License-Identifier: MIT

package capture

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

func addr(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, 0, i} }

// dataFrame builds an 802.11 null-data frame (no DS bits, no body) from ta
// to ra carrying seq in the sequence number, so records can be told apart.
func dataFrame(ra, ta frames.MAC, seq uint16) []byte {
	b := make([]byte, 24)
	b[0] = 0x48
	copy(b[4:], ra[:])
	copy(b[10:], ta[:])
	copy(b[16:], ta[:])
	b[22] = byte(seq << 4)
	b[23] = byte(seq >> 4)
	return b
}

type lab struct {
	m  *medium.Medium
	rs []*medium.Radio
}

func newLab(t testing.TB) *lab {
	t.Helper()
	m := medium.New(medium.Options{Seed: 7})
	l := &lab{m: m}
	nop := medium.PortFunc(func([]byte, medium.RxInfo) error { return nil })
	for i, n := range []string{"vw0", "vw1", "vw2"} {
		r, err := m.AddRadio(medium.RadioConfig{Name: n, Kind: medium.KindLocal, Addr: addr(byte(i)), FreqMHz: 2437}, nop)
		if err != nil {
			t.Fatal(err)
		}
		l.rs = append(l.rs, r)
	}
	s1, s2 := -42.0, -61.0
	if err := m.SetLink("vw0", "vw1", &s1, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.SetLink("vw0", "vw2", &s2, nil); err != nil {
		t.Fatal(err)
	}
	return l
}

type pkt struct {
	seq       uint16
	addr1     frames.MAC
	hasSignal bool
	signal    int8
	freq      uint16
}

// decode reads a pcap stream with gopacket and returns its 802.11 records.
func decode(t *testing.T, b []byte) []pkt {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("pcap header: %v", err)
	}
	if r.LinkType() != layers.LinkTypeIEEE80211Radio {
		t.Fatalf("link type %v, want IEEE802_11_RADIO", r.LinkType())
	}
	var out []pkt
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("pcap record: %v", err)
		}
		p := gopacket.NewPacket(data, layers.LinkTypeIEEE80211Radio, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("decode: %v", el.Error())
		}
		rt, ok := p.Layer(layers.LayerTypeRadioTap).(*layers.RadioTap)
		if !ok {
			t.Fatal("no radiotap layer")
		}
		d, ok := p.Layer(layers.LayerTypeDot11).(*layers.Dot11)
		if !ok {
			t.Fatal("no Dot11 layer")
		}
		var a1 frames.MAC
		copy(a1[:], d.Address1)
		out = append(out, pkt{
			seq: d.SequenceNumber, addr1: a1, freq: uint16(rt.RadioTapValues[0].ChannelFrequency),
			hasSignal: rt.Present[0].DBMAntennaSignal(), signal: rt.RadioTapValues[0].DBMAntennaSignal,
		})
	}
}

func TestUnfilteredOncePerTransmissionWithFirstReceiverSignal(t *testing.T) {
	l := newLab(t)
	var buf bytes.Buffer
	c, err := Start(l.m, &buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	vw0, vw2 := l.rs[0], l.rs[2]
	vw0.Transmit(dataFrame(addr(1), addr(0), 1), medium.TxOptions{MaxAttempts: 1})       // → vw1 at -42
	vw0.Transmit(dataFrame(addr(2), addr(0), 2), medium.TxOptions{MaxAttempts: 1})       // → vw2 at -61
	vw0.Transmit(dataFrame(frames.Broadcast, addr(0), 3), medium.TxOptions{NoAck: true}) // both; first is vw1
	vw0.Transmit(dataFrame(addr(9), addr(0), 4), medium.TxOptions{MaxAttempts: 1})       // nobody
	vw2.Transmit(dataFrame(addr(0), addr(2), 5), medium.TxOptions{MaxAttempts: 1})       // → vw0, default link
	st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.Frames != 5 || st.Dropped != 0 {
		t.Fatalf("stats %+v, want 5 frames 0 dropped", st)
	}
	got := map[uint16]pkt{}
	for _, p := range decode(t, buf.Bytes()) {
		if _, dup := got[p.seq]; dup {
			t.Fatalf("transmission %d recorded twice", p.seq)
		}
		got[p.seq] = p
	}
	want := map[uint16]struct {
		has bool
		sig int8
	}{1: {true, -42}, 2: {true, -61}, 3: {true, -42}, 4: {false, 0}, 5: {true, int8(medium.DefaultSignalDBm)}}
	for seq, w := range want {
		p, ok := got[seq]
		if !ok {
			t.Fatalf("transmission %d missing; got %+v", seq, got)
		}
		if p.hasSignal != w.has || (w.has && p.signal != w.sig) {
			t.Errorf("transmission %d: signal present=%v %d dBm, want present=%v %d dBm", seq, p.hasSignal, p.signal, w.has, w.sig)
		}
		if p.freq != 2437 {
			t.Errorf("transmission %d: channel %d MHz, want 2437", seq, p.freq)
		}
	}
}

func TestRadioFilter(t *testing.T) {
	l := newLab(t)
	var buf bytes.Buffer
	c, err := Start(l.m, &buf, Options{Radio: "vw2"})
	if err != nil {
		t.Fatal(err)
	}
	vw0, vw2 := l.rs[0], l.rs[2]
	vw0.Transmit(dataFrame(frames.Broadcast, addr(0), 1), medium.TxOptions{NoAck: true}) // vw2 hears at -61
	vw0.Transmit(dataFrame(addr(1), addr(0), 2), medium.TxOptions{MaxAttempts: 1})       // not vw2's
	vw2.Transmit(dataFrame(addr(0), addr(2), 3), medium.TxOptions{MaxAttempts: 1})       // vw2 transmits
	if _, err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	ps := decode(t, buf.Bytes())
	if len(ps) != 2 {
		t.Fatalf("got %d records %+v, want 2", len(ps), ps)
	}
	for _, p := range ps {
		switch p.seq {
		case 1:
			if !p.hasSignal || p.signal != -61 {
				t.Errorf("received frame: signal %v %d, want -61", p.hasSignal, p.signal)
			}
		case 3:
			if p.hasSignal {
				t.Errorf("transmitted frame carries a signal (%d)", p.signal)
			}
		default:
			t.Errorf("unexpected record seq %d", p.seq)
		}
	}
}

// blockingWriter accepts the pcap header, then blocks every write until
// released, like a client that stopped reading.
type blockingWriter struct {
	mu      sync.Mutex
	n       int
	release chan struct{}
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	w.n++
	first := w.n == 1
	w.mu.Unlock()
	if !first {
		<-w.release
	}
	return len(b), nil
}

func TestSlowConsumerNeverBlocksDispatch(t *testing.T) {
	l := newLab(t)
	w := &blockingWriter{release: make(chan struct{})}
	c, err := Start(l.m, w, Options{Radio: "vw1", QueueLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	done := make(chan struct{})
	go func() {
		for i := 0; i < n; i++ {
			l.rs[0].Transmit(dataFrame(addr(1), addr(0), uint16(i)), medium.TxOptions{MaxAttempts: 1})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("dispatch blocked behind a stalled capture consumer")
	}
	close(w.release)
	st, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	if st.Dropped == 0 || st.Frames+st.Dropped != n {
		t.Fatalf("stats %+v: want drops > 0 and frames+dropped = %d", st, n)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(b []byte) (int, error) {
	w.n++
	if w.n > 1 {
		return 0, io.ErrClosedPipe
	}
	return len(b), nil
}

func TestWriteFailureSignalsFailed(t *testing.T) {
	l := newLab(t)
	c, err := Start(l.m, &failWriter{}, Options{Radio: "vw1"})
	if err != nil {
		t.Fatal(err)
	}
	l.rs[0].Transmit(dataFrame(addr(1), addr(0), 1), medium.TxOptions{MaxAttempts: 1})
	select {
	case <-c.Failed():
	case <-time.After(5 * time.Second):
		t.Fatal("Failed not closed after a write error")
	}
	if _, err := c.Stop(); err == nil {
		t.Fatal("Stop returned no error after a failed write")
	}
}

// BenchmarkTransmitWithCapture measures what an attached capture adds to the
// dispatch path: a copy into a pooled buffer and a channel send.
func BenchmarkTransmitWithCapture(b *testing.B) {
	l := newLab(b)
	c, err := Start(l.m, io.Discard, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Stop()
	f := dataFrame(addr(1), addr(0), 1)
	b.ReportAllocs()
	for b.Loop() {
		l.rs[0].Transmit(f, medium.TxOptions{MaxAttempts: 1})
	}
}

// BenchmarkTransmitNoCapture is the baseline for BenchmarkTransmitWithCapture.
func BenchmarkTransmitNoCapture(b *testing.B) {
	l := newLab(b)
	f := dataFrame(addr(1), addr(0), 1)
	b.ReportAllocs()
	for b.Loop() {
		l.rs[0].Transmit(f, medium.TxOptions{MaxAttempts: 1})
	}
}
