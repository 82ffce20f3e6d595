// SPDX-License-Identifier: MIT

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
