package kmod

import (
	"bytes"
	"testing"

	"github.com/mdlayher/netlink"
)

// BenchmarkDecodeTx measures the per-frame cost of decoding a TX event (an
// Ethernet frame the stack sent) as the events loop does.
func BenchmarkDecodeTx(b *testing.B) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrRadio, 1)
	ae.Bytes(AttrFrame, bytes.Repeat([]byte{0x42}, 1514))
	data, err := ae.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(1514)
	for b.Loop() {
		e, err := decodeEvent(CmdTx, data)
		if err != nil || len(e.Frame) != 1514 {
			b.Fatalf("decode: %v", err)
		}
	}
}

// BenchmarkInject measures the per-frame cost of handing a received frame
// to the module (encoding + send on the data socket; the fake socket only
// parses it).
func BenchmarkInject(b *testing.B) {
	f := &fakeModule{}
	c, err := newClient(f.eventsConn(), f.cmdsConn(), f.dataConn())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	eth := bytes.Repeat([]byte{0x42}, 1514)
	b.ReportAllocs()
	b.SetBytes(1514)
	for b.Loop() {
		if err := c.Inject(1, eth); err != nil {
			b.Fatal(err)
		}
		f.mu.Lock()
		f.rx, f.rxRadio = f.rx[:0], f.rxRadio[:0]
		f.mu.Unlock()
	}
}
