// SPDX-License-Identifier: MIT

// Package nl80211 is the small part of nl80211 (cfg80211's generic netlink
// family) vmedium needs to manage kernel radios: list a namespace's wireless
// interfaces and their stations, move a wiphy into another network
// namespace, set an interface's type, start an AP and connect a station.
package nl80211

import "golang.org/x/sys/unix"

// Protocol constants, from golang.org/x/sys/unix (generated from
// include/uapi/linux/nl80211.h), under the short names this package uses.
const (
	FamilyName = unix.NL80211_GENL_NAME

	CmdGetWiphy      = unix.NL80211_CMD_GET_WIPHY
	CmdGetInterface  = unix.NL80211_CMD_GET_INTERFACE
	CmdSetInterface  = unix.NL80211_CMD_SET_INTERFACE
	CmdNewInterface  = unix.NL80211_CMD_NEW_INTERFACE
	CmdStartAP       = unix.NL80211_CMD_START_AP
	CmdStopAP        = unix.NL80211_CMD_STOP_AP
	CmdGetStation    = unix.NL80211_CMD_GET_STATION
	CmdGetScan       = unix.NL80211_CMD_GET_SCAN
	CmdConnect       = unix.NL80211_CMD_CONNECT
	CmdDisconnect    = unix.NL80211_CMD_DISCONNECT
	CmdSetWiphyNetns = unix.NL80211_CMD_SET_WIPHY_NETNS

	AttrWiphy          = unix.NL80211_ATTR_WIPHY
	AttrWiphyName      = unix.NL80211_ATTR_WIPHY_NAME
	AttrIfindex        = unix.NL80211_ATTR_IFINDEX
	AttrIfname         = unix.NL80211_ATTR_IFNAME
	AttrIftype         = unix.NL80211_ATTR_IFTYPE
	AttrMAC            = unix.NL80211_ATTR_MAC
	AttrBeaconInterval = unix.NL80211_ATTR_BEACON_INTERVAL
	AttrDTIMPeriod     = unix.NL80211_ATTR_DTIM_PERIOD
	AttrBeaconHead     = unix.NL80211_ATTR_BEACON_HEAD
	AttrBeaconTail     = unix.NL80211_ATTR_BEACON_TAIL
	AttrStaInfo        = unix.NL80211_ATTR_STA_INFO
	AttrWiphyFreq      = unix.NL80211_ATTR_WIPHY_FREQ
	AttrBSS            = unix.NL80211_ATTR_BSS
	AttrSSID           = unix.NL80211_ATTR_SSID
	AttrHiddenSSID     = unix.NL80211_ATTR_HIDDEN_SSID
	AttrNetnsFD        = unix.NL80211_ATTR_NETNS_FD

	// enum nl80211_sta_info (nested in AttrStaInfo)
	StaInfoSignal   = unix.NL80211_STA_INFO_SIGNAL    // u8: signal of the last frame, dBm (signed)
	StaInfoStaFlags = unix.NL80211_STA_INFO_STA_FLAGS // struct nl80211_sta_flag_update {u32 mask, set}

	// enum nl80211_sta_flags (bit numbers in StaInfoStaFlags)
	StaFlagAuthorized = unix.NL80211_STA_FLAG_AUTHORIZED
	StaFlagAssociated = unix.NL80211_STA_FLAG_ASSOCIATED

	// enum nl80211_bss (nested in AttrBSS) and enum nl80211_bss_status
	BSSBSSID            = unix.NL80211_BSS_BSSID
	BSSInfoElements     = unix.NL80211_BSS_INFORMATION_ELEMENTS
	BSSStatus           = unix.NL80211_BSS_STATUS
	BSSStatusAssociated = unix.NL80211_BSS_STATUS_ASSOCIATED

	// enum nl80211_iftype
	IftypeAdhoc     = unix.NL80211_IFTYPE_ADHOC
	IftypeStation   = unix.NL80211_IFTYPE_STATION
	IftypeAP        = unix.NL80211_IFTYPE_AP
	IftypeMonitor   = unix.NL80211_IFTYPE_MONITOR
	IftypeMeshPoint = unix.NL80211_IFTYPE_MESH_POINT
	IftypeP2PClient = unix.NL80211_IFTYPE_P2P_CLIENT
	IftypeP2PGO     = unix.NL80211_IFTYPE_P2P_GO

	// enum nl80211_auth_type, enum nl80211_hidden_ssid
	AuthTypeOpenSystem = unix.NL80211_AUTHTYPE_OPEN_SYSTEM
	HiddenSSIDNotInUse = unix.NL80211_HIDDEN_SSID_NOT_IN_USE
)
