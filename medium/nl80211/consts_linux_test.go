// SPDX-License-Identifier: MIT

package nl80211

import "testing"

// TestConstants pins the values to include/uapi/linux/nl80211.h (checked
// against the 6.1 uapi header: enum nl80211_commands / nl80211_attrs /
// nl80211_sta_info / nl80211_iftype).
func TestConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"NL80211_CMD_GET_WIPHY", CmdGetWiphy, 1},
		{"NL80211_CMD_GET_INTERFACE", CmdGetInterface, 5},
		{"NL80211_CMD_NEW_INTERFACE", CmdNewInterface, 7},
		{"NL80211_CMD_SET_WIPHY_NETNS", CmdSetWiphyNetns, 49},
		{"NL80211_ATTR_WIPHY", AttrWiphy, 1},
		{"NL80211_ATTR_WIPHY_NAME", AttrWiphyName, 2},
		{"NL80211_ATTR_IFINDEX", AttrIfindex, 3},
		{"NL80211_ATTR_IFNAME", AttrIfname, 4},
		{"NL80211_ATTR_IFTYPE", AttrIftype, 5},
		{"NL80211_ATTR_MAC", AttrMAC, 6},
		{"NL80211_ATTR_WIPHY_FREQ", AttrWiphyFreq, 38},
		{"NL80211_ATTR_NETNS_FD", AttrNetnsFD, 219},
		{"NL80211_CMD_GET_STATION", CmdGetStation, 17},
		{"NL80211_ATTR_STA_INFO", AttrStaInfo, 21},
		{"NL80211_ATTR_SSID", AttrSSID, 52},
		{"NL80211_STA_INFO_SIGNAL", StaInfoSignal, 7},
		{"NL80211_STA_INFO_STA_FLAGS", StaInfoStaFlags, 17},
		{"NL80211_STA_FLAG_AUTHORIZED", StaFlagAuthorized, 1},
		{"NL80211_STA_FLAG_ASSOCIATED", StaFlagAssociated, 7},
		{"NL80211_CMD_GET_SCAN", CmdGetScan, 32},
		{"NL80211_ATTR_BSS", AttrBSS, 47},
		{"NL80211_BSS_BSSID", BSSBSSID, 1},
		{"NL80211_BSS_INFORMATION_ELEMENTS", BSSInfoElements, 6},
		{"NL80211_BSS_STATUS", BSSStatus, 9},
		{"NL80211_BSS_STATUS_ASSOCIATED", BSSStatusAssociated, 1},
		{"NL80211_IFTYPE_ADHOC", IftypeAdhoc, 1},
		{"NL80211_IFTYPE_STATION", IftypeStation, 2},
		{"NL80211_IFTYPE_AP", IftypeAP, 3},
		{"NL80211_IFTYPE_MONITOR", IftypeMonitor, 6},
		{"NL80211_IFTYPE_MESH_POINT", IftypeMeshPoint, 7},
		{"NL80211_IFTYPE_P2P_CLIENT", IftypeP2PClient, 8},
		{"NL80211_IFTYPE_P2P_GO", IftypeP2PGO, 9},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, kernel header says %d", c.name, c.got, c.want)
		}
	}
}

func TestDecodeInterface(t *testing.T) {
	b := []byte{
		8, 0, AttrIfindex, 0, 7, 0, 0, 0,
		9, 0, AttrIfname, 0, 'w', 'l', 'a', 'n', 0, 0, 0, 0,
		10, 0, AttrMAC, 0, 2, 0, 0, 0, 1, 0, 0, 0,
		8, 0, AttrWiphy, 0, 3, 0, 0, 0,
	}
	ifc, err := decodeInterface(b)
	if err != nil {
		t.Fatal(err)
	}
	if ifc.Name != "wlan" || ifc.Index != 7 || ifc.Wiphy != 3 || ifc.MAC.String() != "02:00:00:00:01:00" {
		t.Fatalf("decoded %+v", ifc)
	}
}

func TestDecodeInterfaceTypeSSID(t *testing.T) {
	b := []byte{
		8, 0, AttrIftype, 0, IftypeAP, 0, 0, 0,
		11, 0, AttrSSID, 0, 'v', 'm', 'e', 'd', 'i', 'u', 'm', 0,
	}
	ifc, err := decodeInterface(b)
	if err != nil {
		t.Fatal(err)
	}
	if ifc.Type != IftypeAP || ifc.SSID != "vmedium" || IftypeRole(ifc.Type) != "ap" {
		t.Fatalf("decoded %+v", ifc)
	}
}

func TestDecodeStation(t *testing.T) {
	b := []byte{
		8, 0, AttrIfindex, 0, 7, 0, 0, 0,
		10, 0, AttrMAC, 0, 2, 0, 0, 0, 1, 0, 0, 0,
		// STA_INFO { INACTIVE_TIME u32 = 10, SIGNAL u8 = -67,
		//   STA_FLAGS {mask: AUTHORIZED|ASSOCIATED, set: ASSOCIATED} }
		32, 0, AttrStaInfo, 0x80, // NLA_F_NESTED
		8, 0, 1, 0, 10, 0, 0, 0,
		5, 0, StaInfoSignal, 0, 0xbd, 0, 0, 0,
		12, 0, StaInfoStaFlags, 0, 0x82, 0, 0, 0, 0x80, 0, 0, 0,
	}
	st, err := decodeStation(b)
	if err != nil {
		t.Fatal(err)
	}
	if st.MAC.String() != "02:00:00:00:01:00" || !st.HasSignal || st.SignalDBm != -67 || !st.Associated || st.Authorized {
		t.Fatalf("decoded %+v", st)
	}
	// No STA_INFO: no signal.
	st, err = decodeStation(b[:20])
	if err != nil || st.HasSignal {
		t.Fatalf("without STA_INFO: %+v, %v", st, err)
	}
	// A short address is an error, not a panic.
	if _, err := decodeStation([]byte{8, 0, AttrMAC, 0, 1, 2, 3, 4}); err == nil {
		t.Fatal("4-byte station address decoded without error")
	}
}

func TestIftypeRole(t *testing.T) {
	for typ, want := range map[uint32]string{IftypeStation: "sta", IftypeAP: "ap", IftypeMonitor: "monitor", 42: "iftype 42"} {
		if got := IftypeRole(typ); got != want {
			t.Errorf("IftypeRole(%d) = %q, want %q", typ, got, want)
		}
	}
}

func TestDecodeBSS(t *testing.T) {
	b := []byte{
		8, 0, AttrIfindex, 0, 7, 0, 0, 0,
		// BSS { BSSID, IEs { SSID "vmed", DS params ch 6 }, STATUS associated }
		40, 0, AttrBSS, 0x80,
		10, 0, BSSBSSID, 0, 2, 0, 0, 0, 0, 0, 0, 0,
		13, 0, BSSInfoElements, 0, 0, 4, 'v', 'm', 'e', 'd', 3, 1, 6, 0, 0, 0,
		8, 0, BSSStatus, 0, BSSStatusAssociated, 0, 0, 0,
	}
	bss, err := decodeBSS(b)
	if err != nil {
		t.Fatal(err)
	}
	if bss.BSSID.String() != "02:00:00:00:00:00" || bss.SSID != "vmed" || !bss.Associated {
		t.Fatalf("decoded %+v", bss)
	}
	if bss, err := decodeBSS(b[:8]); bss != (BSS{}) || err != nil {
		t.Fatalf("no BSS attribute: %+v, %v", bss, err)
	}
}
