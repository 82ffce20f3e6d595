// SPDX-License-Identifier: MIT

package kmod

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium/internal/cenum"
)

// TestConstsMatchHeader pins consts.go to the module's UAPI header
// kmod/uapi/vmedium_radio.h, read with cenum.
func TestConstsMatchHeader(t *testing.T) {
	hdr, err := cenum.ParseFile("../../kmod/uapi/vmedium_radio.h")
	if err != nil {
		t.Fatalf("read UAPI header: %v", err)
	}
	h := hdr.Values
	want := map[string]int{
		"VMR_FAMILY_VERSION": FamilyVersion, "VMR_MAX_FRAME": MaxFrame,
		"VMR_MAX_IES": MaxIEs, "VMR_MAX_STATIONS": MaxStations, "VMR_MAX_KEY": MaxKey,

		"VMR_CMD_UNSPEC": int(CmdUnspec), "VMR_CMD_REGISTER": int(CmdRegister),
		"VMR_CMD_UNREGISTER": int(CmdUnregister), "VMR_CMD_GET_RADIO": int(CmdGetRadio),
		"VMR_CMD_TX": int(CmdTx), "VMR_CMD_RX": int(CmdRx), "VMR_CMD_SCAN": int(CmdScan),
		"VMR_CMD_SCAN_RESULT": int(CmdScanResult), "VMR_CMD_SCAN_DONE": int(CmdScanDone),
		"VMR_CMD_CONNECT": int(CmdConnect), "VMR_CMD_CONNECT_RESULT": int(CmdConnectResult),
		"VMR_CMD_DISCONNECT": int(CmdDisconnect), "VMR_CMD_DISCONNECTED": int(CmdDisconnected),
		"VMR_CMD_START_AP": int(CmdStartAP), "VMR_CMD_CHANGE_BEACON": int(CmdChangeBeacon),
		"VMR_CMD_STOP_AP": int(CmdStopAP), "VMR_CMD_STATION": int(CmdStation),
		"VMR_CMD_NEW_STATION": int(CmdNewStation), "VMR_CMD_DEL_STATION": int(CmdDelStation),
		"VMR_CMD_CARRIER": int(CmdCarrier), "VMR_CMD_ADD_KEY": int(CmdAddKey),
		"VMR_CMD_DEL_KEY": int(CmdDelKey), "VMR_CMD_SET_DEFAULT_KEY": int(CmdSetDefaultKey),
		"VMR_CMD_AUTHORIZE": int(CmdAuthorize), "VMR_CMD_KICK_STATION": int(CmdKickStation),
		"__VMR_CMD_MAX": int(cmdEnd),

		"VMR_ATTR_UNSPEC": int(AttrUnspec), "VMR_ATTR_RADIO": int(AttrRadio),
		"VMR_ATTR_IFNAME": int(AttrIfname), "VMR_ATTR_ADDR": int(AttrAddr),
		"VMR_ATTR_IFTYPE": int(AttrIftype), "VMR_ATTR_UP": int(AttrUp),
		"VMR_ATTR_FRAME": int(AttrFrame), "VMR_ATTR_SSID": int(AttrSSID),
		"VMR_ATTR_BSSID": int(AttrBSSID), "VMR_ATTR_FREQ": int(AttrFreq),
		"VMR_ATTR_SIGNAL": int(AttrSignal), "VMR_ATTR_STATUS": int(AttrStatus),
		"VMR_ATTR_REASON": int(AttrReason), "VMR_ATTR_BEACON_INT": int(AttrBeaconInt),
		"VMR_ATTR_DTIM": int(AttrDTIM), "VMR_ATTR_IES": int(AttrIEs),
		"VMR_ATTR_CAPABILITY": int(AttrCapability), "VMR_ATTR_ABORTED": int(AttrAborted),
		"VMR_ATTR_STA_ADDR": int(AttrStaAddr), "VMR_ATTR_TX_PACKETS": int(AttrTxPackets),
		"VMR_ATTR_TX_BYTES": int(AttrTxBytes), "VMR_ATTR_RX_PACKETS": int(AttrRxPackets),
		"VMR_ATTR_RX_BYTES": int(AttrRxBytes), "VMR_ATTR_TX_FAILED": int(AttrTxFailed),
		"VMR_ATTR_CARRIER": int(AttrCarrier), "VMR_ATTR_TX_DROPPED": int(AttrTxDropped),
		"VMR_ATTR_HIDDEN": int(AttrHidden), "VMR_ATTR_PAD": int(AttrPad),
		"VMR_ATTR_KEY_IDX": int(AttrKeyIdx), "VMR_ATTR_CIPHER": int(AttrCipher),
		"VMR_ATTR_KEY": int(AttrKey), "VMR_ATTR_KEY_SEQ": int(AttrKeySeq),
		"VMR_ATTR_PAIRWISE": int(AttrPairwise), "VMR_ATTR_DEFAULT_UNICAST": int(AttrDefaultUnicast),
		"VMR_ATTR_DEFAULT_MULTICAST": int(AttrDefaultMulticast), "VMR_ATTR_MGMT": int(AttrMgmt),
		"VMR_ATTR_AUTHORIZED": int(AttrAuthorized), "VMR_ATTR_PRIVACY": int(AttrPrivacy),
		"VMR_ATTR_ASSOC_IES": int(AttrAssocIEs),
		"__VMR_ATTR_MAX":     int(attrEnd),
	}
	for name, v := range want {
		got, ok := h[name]
		if !ok {
			t.Errorf("%s: not in the header", name)
			continue
		}
		if got != int64(v) {
			t.Errorf("%s: header %d, Go %d", name, got, v)
		}
	}
	// Every enumerator in the header must be mirrored (catches additions).
	for name := range h {
		if (strings.HasPrefix(name, "VMR_CMD_") || strings.HasPrefix(name, "VMR_ATTR_") ||
			strings.HasPrefix(name, "__VMR_")) && name != "VMR_CMD_MAX" && name != "VMR_ATTR_MAX" {
			if _, ok := want[name]; !ok {
				t.Errorf("%s: in the header but not in consts.go", name)
			}
		}
	}
	if got := hdr.Defines["VMR_FAMILY_NAME"]; got != strconv.Quote(FamilyName) {
		t.Errorf("VMR_FAMILY_NAME: header %s, Go %q", got, FamilyName)
	}
	if int(CmdMax) != int(cmdEnd)-1 || int(AttrMax) != int(attrEnd)-1 {
		t.Errorf("CmdMax/AttrMax inconsistent")
	}
}
