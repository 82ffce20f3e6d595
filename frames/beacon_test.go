// SPDX-License-Identifier: MIT

package frames

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

func TestAppendBeaconHead(t *testing.T) {
	bssid := MAC{0x02, 0, 0, 0, 0x10, 0}
	b := AppendBeaconHead(nil, bssid, 100, CapESS, "vmedium")
	if len(b) != 24+12+2+len("vmedium") {
		t.Fatalf("head of %d bytes: % x", len(b), b)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.Subtype() != SubtypeBeacon {
		t.Fatalf("subtype %d, want beacon", f.Subtype())
	}
	if f.Addr1() != Broadcast || f.Addr2() != bssid || f.Addr3() != bssid {
		t.Errorf("addresses %s %s %s", f.Addr1(), f.Addr2(), f.Addr3())
	}
	ts, iv, c, ies, err := f.BeaconFields()
	if err != nil || ts != 0 || iv != 100 || c != CapESS {
		t.Fatalf("BeaconFields = %d %d %#x %v", ts, iv, c, err)
	}
	ssid, ok := FindIE(ies, IESSID)
	if !ok || string(ssid) != "vmedium" || len(ies) != 2+len("vmedium") {
		t.Fatalf("elements % x: want only the SSID element", ies)
	}
	// gopacket decodes it as a beacon too.
	p := decodeDot11(t, b)
	if bl, ok := p.Layer(layers.LayerTypeDot11MgmtBeacon).(*layers.Dot11MgmtBeacon); !ok || bl.Interval != 100 {
		t.Fatalf("gopacket: %v", p)
	}
}
