// SPDX-License-Identifier: MIT

package nl80211

import (
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
)

// attrs decodes a flat attribute list into type → value.
func attrs(t *testing.T, ae *netlink.AttributeEncoder) map[uint16][]byte {
	t.Helper()
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint16][]byte{}
	for ad.Next() {
		out[ad.Type()] = append([]byte(nil), ad.Bytes()...)
	}
	if err := ad.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func u32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func TestEncodeStartAP(t *testing.T) {
	head := make([]byte, 40)
	c := APConfig{SSID: "vmedium", FreqMHz: 2437, BeaconInterval: 100, DTIMPeriod: 2, BeaconHead: head}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	a := attrs(t, encodeStartAP(7, c))
	for typ, want := range map[uint16]uint32{AttrIfindex: 7, AttrWiphyFreq: 2437, AttrBeaconInterval: 100, AttrDTIMPeriod: 2, AttrHiddenSSID: HiddenSSIDNotInUse} {
		if v, ok := a[typ]; !ok || len(v) != 4 || u32(v) != want {
			t.Errorf("attribute %d = %v, want u32 %d", typ, v, want)
		}
	}
	if string(a[AttrSSID]) != "vmedium" || len(a[AttrBeaconHead]) != 40 {
		t.Errorf("SSID %q, head %d bytes", a[AttrSSID], len(a[AttrBeaconHead]))
	}
	if _, ok := a[AttrBeaconTail]; ok {
		t.Error("empty tail sent")
	}
}

func TestAPConfigValidate(t *testing.T) {
	good := APConfig{SSID: "x", FreqMHz: 2412, BeaconInterval: 100, DTIMPeriod: 1, BeaconHead: make([]byte, 24)}
	for _, tc := range []struct {
		mut  func(*APConfig)
		want string
	}{
		{func(c *APConfig) { c.SSID = "" }, "accepted are 1 to 32"},
		{func(c *APConfig) { c.SSID = strings.Repeat("s", 33) }, "accepted are 1 to 32"},
		{func(c *APConfig) { c.FreqMHz = 0 }, "frequency"},
		{func(c *APConfig) { c.BeaconInterval = 0 }, "beacon interval"},
		{func(c *APConfig) { c.DTIMPeriod = 256 }, "DTIM period"},
		{func(c *APConfig) { c.BeaconHead = c.BeaconHead[:10] }, "beacon head of 10 bytes"},
	} {
		c := good
		tc.mut(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c, err, tc.want)
		}
	}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestEncodeConnect(t *testing.T) {
	a := attrs(t, encodeConnect(3, "net", 2462))
	if u32(a[AttrIfindex]) != 3 || string(a[AttrSSID]) != "net" || u32(a[AttrWiphyFreq]) != 2462 {
		t.Fatalf("connect attributes %v", a)
	}
	if _, ok := attrs(t, encodeConnect(3, "net", 0))[AttrWiphyFreq]; ok {
		t.Fatal("frequency sent although 0")
	}
	if err := Connect("", 3, "", 0); err == nil || !strings.Contains(err.Error(), "accepted are 1 to 32") {
		t.Fatalf("Connect with empty SSID: %v", err)
	}
}
