// SPDX-License-Identifier: MIT

package frames

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

var (
	macA  = MAC{0x02, 0, 0, 0, 0, 0x0a}
	macB  = MAC{0x02, 0, 0, 0, 0, 0x0b}
	macC  = MAC{0x02, 0, 0, 0, 0, 0x0c}
	macD  = MAC{0x02, 0, 0, 0, 0, 0x0d}
	bssid = MAC{0x02, 0, 0, 0, 0x01, 0x00}
)

// withFCS returns frame followed by its CRC-32 FCS: gopacket's Dot11
// decoder always strips four trailing bytes as the FCS.
func withFCS(frame []byte) []byte {
	out := append([]byte(nil), frame...)
	return binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(frame))
}

// decodeDot11 decodes frame (no FCS) with gopacket and fails on any error.
func decodeDot11(t *testing.T, frame []byte) gopacket.Packet {
	t.Helper()
	return decodeDot11Upto(t, frame, gopacket.LayerTypeZero)
}

// decodeDot11Upto is decodeDot11 that tolerates a decoding error past the
// layer last (gopacket knows no decoder for some ethertypes, e.g. IPX).
func decodeDot11Upto(t *testing.T, frame []byte, last gopacket.LayerType) gopacket.Packet {
	t.Helper()
	p := gopacket.NewPacket(withFCS(frame), layers.LayerTypeDot11, gopacket.Default)
	if el := p.ErrorLayer(); el != nil && (last == gopacket.LayerTypeZero || p.Layer(last) == nil) {
		t.Fatalf("gopacket cannot decode % x: %v", frame, el.Error())
	}
	d, ok := p.Layer(layers.LayerTypeDot11).(*layers.Dot11)
	if !ok {
		t.Fatalf("no Dot11 layer in %v", p)
	}
	if !d.ChecksumValid() {
		t.Fatalf("FCS not valid")
	}
	return p
}

func dot11Of(p gopacket.Packet) *layers.Dot11 { return p.Layer(layers.LayerTypeDot11).(*layers.Dot11) }

func hwEq(t *testing.T, what string, got []byte, want MAC) {
	t.Helper()
	if MAC(got) != want {
		t.Errorf("%s = % x, want %v", what, got, want)
	}
}
