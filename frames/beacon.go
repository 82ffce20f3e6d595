// SPDX-License-Identifier: MIT

package frames

// AppendBeaconHead appends a beacon head as nl80211's START_AP takes it
// (NL80211_ATTR_BEACON_HEAD): the broadcast beacon header from bssid,
// timestamp 0 (the driver fills it in), the beacon interval, capability and
// the SSID element; the elements after it (rates, DS parameters, …) belong
// to the beacon tail. ssid is the network's name (1 to MaxSSIDLen bytes:
// longer names are cut, as AppendSSID does).
func AppendBeaconHead(dst []byte, bssid MAC, intervalTU, capability uint16, ssid string) []byte {
	h := MgmtHeader{DA: Broadcast, SA: bssid, BSSID: bssid}
	dst = AppendBeacon(dst, h, 0, intervalTU, capability, nil)
	return AppendSSID(dst, ssid)
}
