// SPDX-License-Identifier: MIT

package wire

import (
	"encoding/hex"
	"strings"
	"testing"
)

// golden is the encoding of each sample, field by field as the package
// documentation lays them out (spaces separate fields). A change here is a
// change of the wire format: it needs a new Version.
var golden = map[Type]string{
	TypeHello: "0000003f 01 564d4750 0001 03766d31 0476302e39 0002" +
		" 42766d310000 00000007 05776c616e30 00000985 01 01 02766d310000" +
		" 42766d310100 00000008 00 0000143c 02 00",
	TypeHelloAck:     "0000000e 02 0001 06686f73742d31 000007d0",
	TypeRefuse:       "00000015 03 02 0001 000f6e616d6520766d3120696e20757365",
	TypeBye:          "00000010 04 0e6167656e742073746f7070696e67",
	TypePing:         "00000009 05 0102030405060708",
	TypePong:         "00000009 06 0102030405060708",
	TypeRadioAdded:   "0000001d 10 42766d310000 00000007 05776c616e30 00000985 01 01 02766d310000",
	TypeRadioRemoved: "00000007 11 42766d310100",
	TypeRadioChanged: "00000017 12 42766d310000 00000007 05776c616e30 0000143c 01 00",
	TypeAddrAdded:    "0000000d 13 42766d310000 02766d310000",
	TypeAddrRemoved:  "0000000d 14 42766d310000 02766d310000",
	TypeFrame: "00000043 20 42766d310000 00000001 00000985 1122334455667788" +
		" 03020004 00050000 ff000000 ff000000" +
		" 0801000002766d32000002766d31000002766d3200001000deadbeef",
	TypeTxStatus: "00000027 21 42766d310000 1122334455667788 00000005 ffffffd6" +
		" 03010000 ff000000 ff000000 ff000000",
	TypeRx: "0000002f 22 42766d310100 00000985 0000000b ffffffc7" +
		" 0801000002766d32000002766d31000002766d3200001000deadbeef",
}

func TestGoldenBytes(t *testing.T) {
	for _, s := range samples() {
		want, err := hex.DecodeString(strings.ReplaceAll(golden[s.Type], " ", ""))
		if err != nil || len(want) == 0 {
			t.Fatalf("%v: no usable golden bytes: %v", s.Type, err)
		}
		got, err := s.Append(nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%v encodes as\n%x\nthe format says\n%x", s.Type, got, want)
		}
		var m Msg
		if err := Decode(want, &m); err != nil || m.Type != s.Type {
			t.Errorf("%v: golden bytes decode as %v, %v", s.Type, m.Type, err)
		}
	}
}
