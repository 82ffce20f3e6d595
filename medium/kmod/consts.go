// SPDX-License-Identifier: MIT

// Package kmod is vmedium's backend for its own cfg80211 kernel module
// (kmod/, vmedium.ko): a generic netlink client for the VMEDIUM_RADIO family
// and the glue that turns each vwN interface into a medium radio driven by
// the userspace sta/ap MACs.
package kmod

// The VMEDIUM_RADIO generic netlink family, mirrored from
// kmod/uapi/vmedium_radio.h (consts_test.go pins every value to the header).
const (
	FamilyName    = "VMEDIUM_RADIO"
	FamilyVersion = 1

	MaxFrame    = 2304 // largest Ethernet frame in AttrFrame
	MaxIEs      = 1024 // largest AttrIEs
	MaxStations = 16   // stations the module caches per interface
	MaxKey      = 32   // largest AttrKey
)

// Commands (enum vmr_cmd). "kmod->medium" are events the module sends to the
// registered medium; "medium->kmod" are requests the medium sends.
const (
	CmdUnspec        uint8 = iota
	CmdRegister            // medium->kmod: become the (only) medium
	CmdUnregister          // medium->kmod: stop being the medium
	CmdGetRadio            // medium->kmod: dump radios; kmod->medium: a radio changed
	CmdTx                  // kmod->medium: Ethernet frame from the stack
	CmdRx                  // medium->kmod: inject a received Ethernet frame
	CmdScan                // kmod->medium: scan request
	CmdScanResult          // medium->kmod: one BSS heard
	CmdScanDone            // medium->kmod: scan finished
	CmdConnect             // kmod->medium: connect request
	CmdConnectResult       // medium->kmod: status + BSS
	CmdDisconnect          // kmod->medium: the user disconnected
	CmdDisconnected        // medium->kmod: link lost
	CmdStartAP             // kmod->medium: AP started
	CmdChangeBeacon        // kmod->medium: beacon IEs changed
	CmdStopAP              // kmod->medium: AP stopped
	CmdStation             // medium->kmod: station info cache update
	CmdNewStation          // medium->kmod: a station associated (AP)
	CmdDelStation          // medium->kmod: a station left (AP)
	CmdCarrier             // medium->kmod: carrier on/off
	CmdAddKey              // kmod->medium: install a key
	CmdDelKey              // kmod->medium: remove a key
	CmdSetDefaultKey       // kmod->medium: default transmit key
	CmdAuthorize           // kmod->medium: controlled port of a peer opened/closed
	CmdKickStation         // kmod->medium: AP: remove a station (broadcast: all)
	cmdEnd
)

// CmdMax is the highest command value (VMR_CMD_MAX).
const CmdMax = cmdEnd - 1

// Attributes (enum vmr_attr).
const (
	AttrUnspec           uint16 = iota
	AttrRadio                   // u32 radio index
	AttrIfname                  // string
	AttrAddr                    // 6 bytes
	AttrIftype                  // u32 nl80211_iftype
	AttrUp                      // u8
	AttrFrame                   // Ethernet frame
	AttrSSID                    // <= 32 bytes
	AttrBSSID                   // 6 bytes
	AttrFreq                    // u32 MHz
	AttrSignal                  // s32 dBm
	AttrStatus                  // u16 802.11 status code
	AttrReason                  // u16 802.11 reason code
	AttrBeaconInt               // u32 TU
	AttrDTIM                    // u32
	AttrIEs                     // information elements
	AttrCapability              // u16
	AttrAborted                 // flag
	AttrStaAddr                 // 6 bytes
	AttrTxPackets               // u64
	AttrTxBytes                 // u64
	AttrRxPackets               // u64
	AttrRxBytes                 // u64
	AttrTxFailed                // u32
	AttrCarrier                 // u8
	AttrTxDropped               // u64
	AttrHidden                  // flag
	AttrPad                     // padding
	AttrKeyIdx                  // u8 key index
	AttrCipher                  // u32 cipher suite selector
	AttrKey                     // temporal key
	AttrKeySeq                  // receive sequence counter, little endian
	AttrPairwise                // flag
	AttrDefaultUnicast          // flag
	AttrDefaultMulticast        // flag
	AttrMgmt                    // flag
	AttrAuthorized              // u8
	AttrPrivacy                 // flag
	AttrAssocIEs                // association request IEs
	attrEnd
)

// AttrMax is the highest attribute value (VMR_ATTR_MAX).
const AttrMax = attrEnd - 1

// nl80211 interface types the module reports in AttrIftype.
const (
	IftypeStation uint32 = 2 // NL80211_IFTYPE_STATION
	IftypeAP      uint32 = 3 // NL80211_IFTYPE_AP
)
