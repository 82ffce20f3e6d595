// SPDX-License-Identifier: MIT

package kmod

import (
	"testing"

	"github.com/mdlayher/netlink"
)

// FuzzDecodeEvent feeds arbitrary attribute data, under every command, to
// the decoder of the module's events (TX frames, scan, connect, AP start,
// radio state). Nothing may panic; a decoded TX event's frame is no larger
// than what was given.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(CmdTx, encode(f, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 1)
		ae.Bytes(AttrFrame, make([]byte, 60))
	}))
	f.Add(CmdConnect, encode(f, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadio, 2)
		ae.Bytes(AttrSSID, []byte("vmedium"))
		ae.Bytes(AttrBSSID, []byte{2, 0, 0, 0, 0, 0})
		ae.Uint32(AttrFreq, 2437)
	}))
	f.Add(CmdTx, []byte{8, 0, 1})
	f.Fuzz(func(t *testing.T, cmd uint8, data []byte) {
		e, err := decodeEvent(cmd, data)
		if err == nil && len(e.Frame) > len(data) {
			t.Fatalf("decoded a %d-byte frame from %d bytes", len(e.Frame), len(data))
		}
	})
}
