// Package nl80211 is the small part of nl80211 (cfg80211's generic netlink
// family) vmedium needs to manage kernel radios: list a namespace's wireless
// interfaces, and move a wiphy into another network namespace.
package nl80211

// Protocol constants from include/uapi/linux/nl80211.h, pinned by a test.
const (
	FamilyName = "nl80211"

	CmdGetWiphy      = 1
	CmdGetInterface  = 5
	CmdNewInterface  = 7
	CmdSetWiphyNetns = 49
	AttrWiphy        = 1
	AttrWiphyName    = 2
	AttrIfindex      = 3
	AttrIfname       = 4
	AttrIftype       = 5
	AttrMAC          = 6
	AttrWiphyFreq    = 38
	AttrNetnsFD      = 219
)
