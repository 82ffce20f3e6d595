// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vmedium/vmedium/internal/testutil"
)

func ethFrame(dst, src MAC, etype uint16, payload []byte) []byte {
	b := append(append([]byte(nil), dst[:]...), src[:]...)
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

// serialize builds an Ethernet frame with gopacket so the payloads are real
// protocol packets.
func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testEthernetFrames(t *testing.T) map[string][]byte {
	src, dst := net.HardwareAddr(macA[:]), net.HardwareAddr(macB[:])
	ip4 := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
	udp := &layers.UDP{SrcPort: 1234, DstPort: 5678}
	_ = udp.SetNetworkLayerForChecksum(ip4)
	ip6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2")}
	udp6 := &layers.UDP{SrcPort: 1, DstPort: 2}
	_ = udp6.SetNetworkLayerForChecksum(ip6)
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: src, SourceProtAddress: []byte{10, 0, 0, 1},
		DstHwAddress: make([]byte, 6), DstProtAddress: []byte{10, 0, 0, 2}}
	return map[string][]byte{
		"ipv4": serialize(t, &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}, ip4, udp, gopacket.Payload("hello")),
		"ipv6": serialize(t, &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv6}, ip6, udp6, gopacket.Payload("hello6")),
		"arp":  serialize(t, &layers.Ethernet{SrcMAC: src, DstMAC: net.HardwareAddr(Broadcast[:]), EthernetType: layers.EthernetTypeARP}, arp),
		"vlan": serialize(t, &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 42, Type: layers.EthernetTypeIPv4}, ip4, udp, gopacket.Payload("tagged")),
		"aarp":  ethFrame(macB, macA, EtherTypeAARP, []byte{1, 2, 3, 4}),
		"ipx":   ethFrame(macB, macA, EtherTypeIPX, []byte{0xff, 0xff, 0, 30}),
		"empty": ethFrame(macB, macA, 0x88b5, nil),
	}
}

func TestEthernetDataRoundTrip(t *testing.T) {
	for name, eth := range testEthernetFrames(t) {
		var da, sa MAC
		copy(da[:], eth[0:6])
		copy(sa[:], eth[6:12])
		etype := binary.BigEndian.Uint16(eth[12:])
		for _, dir := range []struct {
			name string
			h    DataHeader
		}{
			{"ToDS", DataHeader{ToDS: true, Addr1: bssid, Addr2: sa, Addr3: da, Seq: 77}},
			{"FromDS", DataHeader{FromDS: true, Addr1: da, Addr2: bssid, Addr3: sa, Seq: 77}},
			{"IBSS", DataHeader{Addr1: da, Addr2: sa, Addr3: bssid, Seq: 77}},
		} {
			t.Run(name+"/"+dir.name, func(t *testing.T) {
				b, err := EthernetToData([]byte{0xee}, dir.h, eth)
				if err != nil {
					t.Fatal(err)
				}
				if b[0] != 0xee {
					t.Fatal("EthernetToData did not append")
				}
				b = b[1:]
				if len(b) != DataHeaderLen+LLCSNAPLen+len(eth)-14 {
					t.Errorf("frame length %d", len(b))
				}
				// gopacket sees data → LLC → SNAP with the right OUI and type.
				p := decodeDot11Upto(t, b, layers.LayerTypeSNAP)
				if el := p.ErrorLayer(); el != nil && etype != EtherTypeAARP && etype != EtherTypeIPX && etype != 0x88b5 {
					t.Errorf("gopacket cannot decode the payload: %v", el.Error())
				}
				d := dot11Of(p)
				if d.Type != layers.Dot11TypeData || d.Flags.ToDS() != dir.h.ToDS || d.Flags.FromDS() != dir.h.FromDS || d.SequenceNumber != 77 {
					t.Errorf("gopacket Dot11 = %v flags %v seq %d", d.Type, d.Flags, d.SequenceNumber)
				}
				hwEq(t, "Address1", d.Address1, dir.h.Addr1)
				hwEq(t, "Address2", d.Address2, dir.h.Addr2)
				hwEq(t, "Address3", d.Address3, dir.h.Addr3)
				llc, ok := p.Layer(layers.LayerTypeLLC).(*layers.LLC)
				if !ok || llc.DSAP != 0xaa || llc.SSAP != 0xaa || llc.Control != 3 {
					t.Fatalf("LLC = %+v", llc)
				}
				snap, ok := p.Layer(layers.LayerTypeSNAP).(*layers.SNAP)
				if !ok {
					t.Fatal("no SNAP layer")
				}
				wantOUI := []byte{0, 0, 0}
				if etype == EtherTypeAARP || etype == EtherTypeIPX {
					wantOUI = []byte{0, 0, 0xf8}
				}
				if !bytes.Equal(snap.OrganizationalCode, wantOUI) || uint16(snap.Type) != etype {
					t.Errorf("SNAP OUI % x type %#04x, want % x %#04x", snap.OrganizationalCode, uint16(snap.Type), wantOUI, etype)
				}

				f, err := Parse(b)
				if err != nil {
					t.Fatal(err)
				}
				if f.DA() != da || f.SA() != sa {
					t.Errorf("view DA/SA = %v/%v, want %v/%v", f.DA(), f.SA(), da, sa)
				}
				back, err := DataToEthernet([]byte{0xdd}, f)
				if err != nil {
					t.Fatal(err)
				}
				if back[0] != 0xdd || !bytes.Equal(back[1:], eth) {
					t.Errorf("round trip:\n got % x\nwant % x", back[1:], eth)
				}
			})
		}
	}
}

// TestDataToEthernetQoSAndWDS converts hand-built QoS frames (which
// EthernetToData does not build) and four-address frames.
func TestDataToEthernetQoSAndWDS(t *testing.T) {
	payload := []byte{0x45, 0, 0, 20}
	snap := append([]byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00}, payload...)
	want := ethFrame(macC, macD, 0x0800, payload)
	tests := []struct {
		name  string
		frame []byte
	}{
		// ToDS: a1=BSSID a2=SA a3=DA.
		{"qos ToDS", rawFrame(0x88, FlagToDS, []MAC{bssid, macD, macC}, 0, []byte{0, 0}, snap)},
		// FromDS: a1=DA a2=BSSID a3=SA.
		{"qos FromDS", rawFrame(0x88, FlagFromDS, []MAC{macC, bssid, macD}, 0, []byte{3, 0}, snap)},
		{"qos FromDS +HTC", rawFrame(0x88, FlagFromDS|FlagOrder, []MAC{macC, bssid, macD}, 0, []byte{3, 0, 1, 2, 3, 4}, snap)},
		// WDS: a1=RA a2=TA a3=DA a4=SA.
		{"WDS", rawFrame(0x08, FlagToDS|FlagFromDS, []MAC{macA, macB, macC}, 0, macD[:], snap)},
		{"qos WDS", rawFrame(0x88, FlagToDS|FlagFromDS, []MAC{macA, macB, macC}, 0, append(macD[:], 5, 0), snap)},
	}
	for _, tt := range tests {
		f, err := Parse(tt.frame)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := DataToEthernet(nil, f)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: DataToEthernet = % x, %v; want % x", tt.name, got, err, want)
		}
	}
}

func TestDataToEthernetRejects(t *testing.T) {
	snap := []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00, 1}
	three := []MAC{macA, macB, macC}
	tests := []struct {
		name  string
		frame []byte
	}{
		{"beacon", AppendBeacon(nil, testHdr, 0, 100, 0, nil)},
		{"ack", rawFrame(0xd4, 0, []MAC{macA}, 0, nil, nil)},
		{"null", rawFrame(0x48, FlagToDS, three, 0, nil, nil)},
		{"null with junk body", rawFrame(0x48, FlagToDS, three, 0, nil, snap)},
		{"qos null", rawFrame(0xc8, FlagToDS, three, 0, []byte{0, 0}, snap)},
		{"protected", rawFrame(0x08, FlagToDS|FlagProtected, three, 0, nil, snap)},
		{"no body", rawFrame(0x08, FlagToDS, three, 0, nil, nil)},
		{"short snap", rawFrame(0x08, FlagToDS, three, 0, nil, snap[:7])},
		{"not snap", rawFrame(0x08, FlagToDS, three, 0, nil, []byte{0x42, 0x42, 3, 0, 0, 0, 0, 0})},
		{"other OUI", rawFrame(0x08, FlagToDS, three, 0, nil, []byte{0xaa, 0xaa, 3, 0, 0x50, 0xf2, 0, 0})},
		{"amsdu", rawFrame(0x88, FlagToDS, three, 0, []byte{0x80, 0}, snap)},
		{"fragment", rawFrame(0x08, FlagToDS, three, 1, nil, snap)},
		{"more frags", rawFrame(0x08, FlagToDS|FlagMoreFrag, three, 0, nil, snap)},
	}
	for _, tt := range tests {
		f, err := Parse(tt.frame)
		if err != nil {
			t.Fatalf("%s: Parse: %v", tt.name, err)
		}
		dst := []byte{1}
		got, err := DataToEthernet(dst, f)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tt.name, err)
		}
		if !bytes.Equal(got, dst) {
			t.Errorf("%s: dst changed to % x", tt.name, got)
		}
	}
	if _, err := DataToEthernet(nil, Frame{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero Frame: err = %v", err)
	}
}

func TestEthernetToDataRejects(t *testing.T) {
	h := DataHeader{ToDS: true, Addr1: bssid, Addr2: macA, Addr3: macB}
	tests := []struct {
		name string
		eth  []byte
	}{
		{"short", make([]byte, 13)},
		{"802.3 length", ethFrame(macB, macA, 46, make([]byte, 46))},
		{"too long", ethFrame(macB, macA, 0x0800, make([]byte, MaxMPDU-DataHeaderLen-LLCSNAPLen+1))},
	}
	for _, tt := range tests {
		got, err := EthernetToData([]byte{7}, h, tt.eth)
		if !errors.Is(err, ErrEthernet) {
			t.Errorf("%s: err = %v, want ErrEthernet", tt.name, err)
		}
		if !bytes.Equal(got, []byte{7}) {
			t.Errorf("%s: dst changed", tt.name)
		}
	}
	// The largest payload that fits is accepted.
	max := ethFrame(macB, macA, 0x0800, make([]byte, MaxMPDU-DataHeaderLen-LLCSNAPLen))
	b, err := EthernetToData(nil, h, max)
	if err != nil || len(b) != MaxMPDU {
		t.Errorf("max payload: len %d err %v", len(b), err)
	}
	if _, err := Parse(b); err != nil {
		t.Errorf("max frame does not parse: %v", err)
	}
}

func TestDataConversionAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	eth := testEthernetFrames(t)["ipv4"]
	h := DataHeader{ToDS: true, Addr1: bssid, Addr2: macA, Addr3: macB}
	buf := make([]byte, 0, 2048)
	out := make([]byte, 0, 2048)
	n := testing.AllocsPerRun(100, func() {
		b, _ := EthernetToData(buf[:0], h, eth)
		f, _ := Parse(b)
		_, _ = DataToEthernet(out[:0], f)
		_, _ = DataToEthernet(out[:0], Frame{}) // error path
	})
	if n != 0 {
		t.Errorf("conversion allocates %.1f times per run, want 0", n)
	}
}

// TestEthernetToDataWDS builds a four-address frame and checks it byte for
// byte against the hand-built layout (frame control with both DS bits,
// A1 RA, A2 TA, A3 DA, sequence control, A4 SA, LLC/SNAP, payload).
func TestEthernetToDataWDS(t *testing.T) {
	payload := []byte{0x45, 0, 0, 20}
	snap := append([]byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00}, payload...)
	eth := ethFrame(macC, macD, 0x0800, payload) // DA macC, SA macD
	h := DataHeader{ToDS: true, FromDS: true, Addr1: macA, Addr2: macB, Addr3: macC, Addr4: macD, Seq: 0x123}
	if h.Len() != DataHeaderLen4 {
		t.Fatalf("Len = %d, want %d", h.Len(), DataHeaderLen4)
	}
	got, err := EthernetToData(nil, h, eth)
	if err != nil {
		t.Fatal(err)
	}
	want := rawFrame(0x08, FlagToDS|FlagFromDS, []MAC{macA, macB, macC}, 0x123<<4, macD[:], snap)
	want[2], want[3] = 0, 0 // the builder's duration is 0
	if !bytes.Equal(got, want) {
		t.Fatalf("built\n% x\nwant\n% x", got, want)
	}
	f, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if f.HeaderLen() != DataHeaderLen4 || f.RA() != macA || f.TA() != macB || f.DA() != macC || f.SA() != macD || !f.BSSID().IsZero() {
		t.Fatalf("parsed: header %d, RA %s TA %s DA %s SA %s BSSID %s", f.HeaderLen(), f.RA(), f.TA(), f.DA(), f.SA(), f.BSSID())
	}
	// Addr4 is ignored unless both DS bits are set.
	h3 := DataHeader{ToDS: true, Addr1: macA, Addr2: macB, Addr3: macC, Addr4: macD}
	if b := AppendDataHeader(nil, h3); len(b) != DataHeaderLen || h3.Len() != DataHeaderLen {
		t.Fatalf("three-address header with Addr4 set: %d bytes", len(b))
	}
}
