// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func TestPcapngWriterReadsBack(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapngWriter(&buf, "test")
	if err != nil {
		t.Fatal(err)
	}
	frame := []byte{0x08, 0, 0, 0, 1, 2, 3, 4, 5, 6, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 0, 0}
	ts := time.Unix(1700000000, 123456789)
	rt := Radiotap{FreqMHz: 2412, ChanFlags: ChannelFlags(2412, 2), SignalDBm: -61, HasSignal: true}
	if err := w.WriteFrame(ts, rt, frame); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(&buf, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeIEEE80211Radio {
		t.Errorf("link type %v", r.LinkType())
	}
	data, ci, err := r.ReadPacketData()
	if err != nil {
		t.Fatal(err)
	}
	if !ci.Timestamp.Equal(ts) {
		t.Errorf("timestamp %v, want %v (nanoseconds kept)", ci.Timestamp, ts)
	}
	got, rest, err := ParseRadiotap(data)
	if err != nil || !bytes.Equal(rest, frame) || got.SignalDBm != -61 || got.FreqMHz != 2412 {
		t.Errorf("record: %+v rest % x err %v", got, rest, err)
	}
}
