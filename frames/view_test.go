// SPDX-License-Identifier: MIT

package frames

import (
	"encoding/binary"
	"errors"
	"testing"
)

// rawFrame builds a frame from frame control octets, then addresses, then
// (for non-control frames) sequence control after addr3, then addr4/QoS/HT
// as given in tail, then body.
func rawFrame(fc0, fc1 byte, addrs []MAC, seq uint16, tail, body []byte) []byte {
	b := []byte{fc0, fc1, 0x2c, 0x01}
	for i, a := range addrs {
		b = append(b, a[:]...)
		if i == 2 {
			b = binary.LittleEndian.AppendUint16(b, seq)
		}
	}
	b = append(b, tail...)
	return append(b, body...)
}

func TestViewTypesAndAddresses(t *testing.T) {
	body := []byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0x00, 1, 2, 3}
	qos := []byte{0x05, 0x00}
	qosHT := []byte{0x06, 0x00, 0xde, 0xad, 0xbe, 0xef}
	three := []MAC{macA, macB, macC}
	four := []MAC{macA, macB, macC}
	type want struct {
		typ, sub            uint8
		hdrLen              int
		ra, ta, da, sa, bss MAC
		a3, a4              MAC
		seq                 uint16
		tid                 uint8
		qos                 bool
	}
	tests := []struct {
		name  string
		frame []byte
		w     want
	}{
		{"beacon", rawFrame(0x80, 0, three, 7<<4, nil, nil), want{TypeMgmt, SubtypeBeacon, 24, macA, macB, macA, macB, macC, macC, MAC{}, 7, 0, false}},
		{"probe req", rawFrame(0x40, 0, three, 1<<4, nil, nil), want{TypeMgmt, SubtypeProbeReq, 24, macA, macB, macA, macB, macC, macC, MAC{}, 1, 0, false}},
		{"probe resp", rawFrame(0x50, 0, three, 2<<4, nil, nil), want{TypeMgmt, SubtypeProbeResp, 24, macA, macB, macA, macB, macC, macC, MAC{}, 2, 0, false}},
		{"auth", rawFrame(0xb0, 0, three, 3<<4, nil, nil), want{TypeMgmt, SubtypeAuth, 24, macA, macB, macA, macB, macC, macC, MAC{}, 3, 0, false}},
		{"assoc req", rawFrame(0x00, 0, three, 4<<4, nil, nil), want{TypeMgmt, SubtypeAssocReq, 24, macA, macB, macA, macB, macC, macC, MAC{}, 4, 0, false}},
		{"assoc resp", rawFrame(0x10, 0, three, 5<<4, nil, nil), want{TypeMgmt, SubtypeAssocResp, 24, macA, macB, macA, macB, macC, macC, MAC{}, 5, 0, false}},
		{"reassoc req", rawFrame(0x20, 0, three, 6<<4, nil, nil), want{TypeMgmt, SubtypeReassocReq, 24, macA, macB, macA, macB, macC, macC, MAC{}, 6, 0, false}},
		{"deauth", rawFrame(0xc0, 0, three, 8<<4, nil, nil), want{TypeMgmt, SubtypeDeauth, 24, macA, macB, macA, macB, macC, macC, MAC{}, 8, 0, false}},
		{"disassoc", rawFrame(0xa0, 0, three, 9<<4, nil, nil), want{TypeMgmt, SubtypeDisassoc, 24, macA, macB, macA, macB, macC, macC, MAC{}, 9, 0, false}},
		{"mgmt +HTC", rawFrame(0xd0, FlagOrder, three, 9<<4, []byte{1, 2, 3, 4}, nil), want{TypeMgmt, SubtypeAction, 28, macA, macB, macA, macB, macC, macC, MAC{}, 9, 0, false}},
		// Data, all four DS combinations. Addresses: a1=macA a2=macB a3=macC a4=macD.
		{"data neither", rawFrame(0x08, 0, three, 10<<4, nil, body), want{TypeData, SubtypeData, 24, macA, macB, macA, macB, macC, macC, MAC{}, 10, 0, false}},
		{"data ToDS", rawFrame(0x08, FlagToDS, three, 11<<4, nil, body), want{TypeData, SubtypeData, 24, macA, macB, macC, macB, macA, macC, MAC{}, 11, 0, false}},
		{"data FromDS", rawFrame(0x08, FlagFromDS, three, 12<<4, nil, body), want{TypeData, SubtypeData, 24, macA, macB, macA, macC, macB, macC, MAC{}, 12, 0, false}},
		{"data WDS", rawFrame(0x08, FlagToDS|FlagFromDS, four, 13<<4, macD[:], body), want{TypeData, SubtypeData, 30, macA, macB, macC, macD, MAC{}, macC, macD, 13, 0, false}},
		{"qos neither", rawFrame(0x88, 0, three, 14<<4, qos, body), want{TypeData, SubtypeQoSData, 26, macA, macB, macA, macB, macC, macC, MAC{}, 14, 5, true}},
		{"qos ToDS", rawFrame(0x88, FlagToDS, three, 15<<4, qos, body), want{TypeData, SubtypeQoSData, 26, macA, macB, macC, macB, macA, macC, MAC{}, 15, 5, true}},
		{"qos FromDS", rawFrame(0x88, FlagFromDS, three, 16<<4, qos, body), want{TypeData, SubtypeQoSData, 26, macA, macB, macA, macC, macB, macC, MAC{}, 16, 5, true}},
		{"qos WDS", rawFrame(0x88, FlagToDS|FlagFromDS, four, 17<<4, append(macD[:], qos...), body), want{TypeData, SubtypeQoSData, 32, macA, macB, macC, macD, MAC{}, macC, macD, 17, 5, true}},
		{"qos +HTC", rawFrame(0x88, FlagOrder, three, 18<<4, qosHT, body), want{TypeData, SubtypeQoSData, 30, macA, macB, macA, macB, macC, macC, MAC{}, 18, 6, true}},
		{"qos WDS +HTC", rawFrame(0x88, FlagToDS|FlagFromDS|FlagOrder, four, 19<<4, append(macD[:], qosHT...), body), want{TypeData, SubtypeQoSData, 36, macA, macB, macC, macD, MAC{}, macC, macD, 19, 6, true}},
		{"null ToDS", rawFrame(0x48, FlagToDS, three, 20<<4, nil, nil), want{TypeData, SubtypeNull, 24, macA, macB, macC, macB, macA, macC, MAC{}, 20, 0, false}},
		{"qos null ToDS", rawFrame(0xc8, FlagToDS, three, 21<<4, qos, nil), want{TypeData, SubtypeQoSNull, 26, macA, macB, macC, macB, macA, macC, MAC{}, 21, 5, true}},
		{"ack", rawFrame(0xd4, 0, []MAC{macA}, 0, nil, nil), want{TypeCtrl, SubtypeACK, 10, macA, MAC{}, macA, MAC{}, MAC{}, MAC{}, MAC{}, 0, 0, false}},
		{"cts", rawFrame(0xc4, 0, []MAC{macA}, 0, nil, nil), want{TypeCtrl, 12, 10, macA, MAC{}, macA, MAC{}, MAC{}, MAC{}, MAC{}, 0, 0, false}},
		{"rts", rawFrame(0xb4, 0, []MAC{macA, macB}, 0, nil, nil), want{TypeCtrl, 11, 16, macA, macB, macA, macB, MAC{}, MAC{}, MAC{}, 0, 0, false}},
		{"block ack", rawFrame(0x94, 0, []MAC{macA, macB}, 0, nil, []byte{4, 0, 0, 0}), want{TypeCtrl, 9, 16, macA, macB, macA, macB, MAC{}, MAC{}, MAC{}, 0, 0, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse(tt.frame)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			w := tt.w
			if f.Type() != w.typ || f.Subtype() != w.sub {
				t.Errorf("type/subtype = %d/%d, want %d/%d", f.Type(), f.Subtype(), w.typ, w.sub)
			}
			if f.HeaderLen() != w.hdrLen {
				t.Errorf("HeaderLen = %d, want %d", f.HeaderLen(), w.hdrLen)
			}
			if len(f.Body()) != len(tt.frame)-w.hdrLen {
				t.Errorf("Body len = %d, want %d", len(f.Body()), len(tt.frame)-w.hdrLen)
			}
			checks := []struct {
				name      string
				got, want MAC
			}{
				{"RA", f.RA(), w.ra}, {"TA", f.TA(), w.ta}, {"DA", f.DA(), w.da}, {"SA", f.SA(), w.sa},
				{"BSSID", f.BSSID(), w.bss}, {"Addr3", f.Addr3(), w.a3}, {"Addr4", f.Addr4(), w.a4},
				{"Addr1", f.Addr1(), w.ra}, {"Addr2", f.Addr2(), w.ta},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if f.Sequence() != w.seq {
				t.Errorf("Sequence = %d, want %d", f.Sequence(), w.seq)
			}
			if f.IsQoS() != w.qos || f.TID() != w.tid {
				t.Errorf("IsQoS/TID = %v/%d, want %v/%d", f.IsQoS(), f.TID(), w.qos, w.tid)
			}
			if f.IsMgmt() != (w.typ == TypeMgmt) || f.IsData() != (w.typ == TypeData) || f.IsCtrl() != (w.typ == TypeCtrl) {
				t.Errorf("IsMgmt/IsData/IsCtrl inconsistent with type %d", w.typ)
			}
			if f.Duration() != 300 {
				t.Errorf("Duration = %d, want 300", f.Duration())
			}
		})
	}
}

func TestViewFlags(t *testing.T) {
	b := rawFrame(0x08, FlagToDS|FlagRetry|FlagProtected, []MAC{macA, macB, macC}, 0x1234, nil, nil)
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !f.ToDS() || f.FromDS() || !f.Retry() || !f.Protected() {
		t.Errorf("flags %#02x decoded wrongly", f.Flags())
	}
	if f.Sequence() != 0x123 || f.Fragment() != 4 || f.SequenceControl() != 0x1234 {
		t.Errorf("seq/frag = %d/%d", f.Sequence(), f.Fragment())
	}
	if f.FrameControl() != uint16(FlagToDS|FlagRetry|FlagProtected)<<8|0x08 {
		t.Errorf("FrameControl = %#04x", f.FrameControl())
	}
	if &f.Bytes()[0] != &b[0] || f.Len() != len(b) {
		t.Error("view does not alias the input")
	}
}

func TestViewMalformed(t *testing.T) {
	long := make([]byte, MaxMPDU+65)
	long[0] = 0x08
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"9 bytes", make([]byte, 9)},
		{"version 1", append([]byte{0x81, 0}, make([]byte, 30)...)},
		{"extension type", append([]byte{0x0c, 0}, make([]byte, 30)...)},
		{"ctrl reserved subtype", append([]byte{0x04, 0}, make([]byte, 30)...)},
		{"mgmt short", append([]byte{0x80, 0}, make([]byte, 20)...)},
		{"mgmt HTC short", append([]byte{0x80, FlagOrder}, make([]byte, 24)...)},
		{"rts short", append([]byte{0xb4, 0}, make([]byte, 12)...)},
		{"data WDS short", append([]byte{0x08, 3}, make([]byte, 26)...)},
		{"qos short", append([]byte{0x88, 0}, make([]byte, 23)...)},
		{"too long", long},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Parse err = %v, want ErrMalformed", tt.name, err)
		}
	}
}

func TestMACText(t *testing.T) {
	m, err := ParseMAC("02:00:00:00:01:0A")
	if err != nil || m != (MAC{2, 0, 0, 0, 1, 0x0a}) {
		t.Fatalf("ParseMAC = %v, %v", m, err)
	}
	if m.String() != "02:00:00:00:01:0a" {
		t.Errorf("String = %q", m.String())
	}
	if _, err := ParseMAC("02:00:00:00:01"); err == nil {
		t.Error("short MAC accepted")
	}
	if _, err := ParseMAC("02:00:00:00:01:0g"); err == nil {
		t.Error("bad hex accepted")
	}
	if !Broadcast.IsGroup() || !Broadcast.IsBroadcast() || macA.IsGroup() || !(MAC{}).IsZero() {
		t.Error("IsGroup/IsBroadcast/IsZero wrong")
	}
}
