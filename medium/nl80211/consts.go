// Package nl80211 is the small part of nl80211 (cfg80211's generic netlink
// family) vmedium needs to manage kernel radios: list a namespace's wireless
// interfaces and their stations, and move a wiphy into another network
// namespace.
package nl80211

// Protocol constants from include/uapi/linux/nl80211.h, pinned by a test.
const (
	FamilyName = "nl80211"

	CmdGetWiphy      = 1
	CmdGetInterface  = 5
	CmdNewInterface  = 7
	CmdGetStation    = 17
	CmdGetScan       = 32
	CmdSetWiphyNetns = 49
	AttrWiphy        = 1
	AttrWiphyName    = 2
	AttrIfindex      = 3
	AttrIfname       = 4
	AttrIftype       = 5
	AttrMAC          = 6
	AttrStaInfo      = 21
	AttrWiphyFreq    = 38
	AttrBSS          = 47
	AttrSSID         = 52
	AttrNetnsFD      = 219

	// enum nl80211_sta_info (nested in AttrStaInfo)
	StaInfoSignal   = 7  // u8: signal of the last frame, dBm (signed)
	StaInfoStaFlags = 17 // struct nl80211_sta_flag_update {u32 mask, set}

	// enum nl80211_sta_flags (bit numbers in StaInfoStaFlags)
	StaFlagAuthorized = 1
	StaFlagAssociated = 7

	// enum nl80211_bss (nested in AttrBSS) and enum nl80211_bss_status
	BSSBSSID            = 1
	BSSInfoElements     = 6
	BSSStatus           = 9
	BSSStatusAssociated = 1

	// enum nl80211_iftype
	IftypeAdhoc     = 1
	IftypeStation   = 2
	IftypeAP        = 3
	IftypeMonitor   = 6
	IftypeMeshPoint = 7
	IftypeP2PClient = 8
	IftypeP2PGO     = 9
)
