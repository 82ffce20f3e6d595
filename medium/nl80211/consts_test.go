package nl80211

import "testing"

// TestConstants pins the values to include/uapi/linux/nl80211.h (checked
// against the 6.1 uapi header: enum nl80211_commands / nl80211_attrs).
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
