// SPDX-License-Identifier: MIT

package hwsim

// Protocol constants of the mac80211_hwsim generic netlink family, as defined
// by the kernel header drivers/net/wireless/virtual/mac80211_hwsim.h
// (mainline numbering). Every number the backend puts on the wire is here,
// pinned by TestConstants and, against the kernel's own header (taken from
// Debian's linux-source-6.1 by tests/vm/fetch.sh), by
// TestConstantsMatchKernelHeader.

// FamilyName and MulticastConfig identify the generic netlink family and its
// only multicast group.
const (
	FamilyName      = "MAC80211_HWSIM"
	FamilyVersion   = 1
	MulticastConfig = "config"
)

// Commands (enum hwsim_commands).
const (
	CmdUnspec      = 0
	CmdRegister    = 1
	CmdFrame       = 2
	CmdTxInfoFrame = 3
	CmdNewRadio    = 4
	CmdDelRadio    = 5
	CmdGetRadio    = 6
	CmdAddMacAddr  = 7
	CmdDelMacAddr  = 8
	CmdStartPMSR   = 9
	CmdAbortPMSR   = 10
	CmdReportPMSR  = 11
)

// Attributes (enum hwsim_attrs).
const (
	AttrUnspec              = 0
	AttrAddrReceiver        = 1
	AttrAddrTransmitter     = 2
	AttrFrame               = 3
	AttrFlags               = 4
	AttrRxRate              = 5
	AttrSignal              = 6
	AttrTxInfo              = 7
	AttrCookie              = 8
	AttrChannels            = 9
	AttrRadioID             = 10
	AttrRegHintAlpha2       = 11
	AttrRegCustomReg        = 12
	AttrRegStrictReg        = 13
	AttrSupportP2PDevice    = 14
	AttrUseChanctx          = 15
	AttrDestroyRadioOnClose = 16
	AttrRadioName           = 17
	AttrNoVif               = 18
	AttrFreq                = 19
	AttrPad                 = 20
	AttrTxInfoFlags         = 21
	AttrPermAddr            = 22
	AttrIftypeSupport       = 23
	AttrCipherSupport       = 24
	AttrMLOSupport          = 25
	AttrPMSRSupport         = 26
	AttrPMSRRequest         = 27
	AttrPMSRResult          = 28
	AttrMultiRadio          = 29
)

// TX control flags (enum hwsim_tx_control_flags) carried in AttrFlags.
const (
	TxCtlReqTxStatus = 1 << 0
	TxCtlNoAck       = 1 << 1
	TxStatAck        = 1 << 2
)

// TX rate layout: AttrTxInfo is TxMaxRates × struct hwsim_tx_rate
// { s8 idx; u8 count; } __packed.
const (
	TxMaxRates    = 4 // IEEE80211_TX_MAX_RATES
	TxRateSize    = 2 // sizeof(struct hwsim_tx_rate)
	TxInfoLen     = TxMaxRates * TxRateSize
	TxRateFlagLen = 3 // sizeof(struct hwsim_tx_rate_flag)
	MaxFrameLen   = 2304
	MinFrameLen   = 24 // sizeof(struct ieee80211_hdr_3addr)
	MaxRateTries  = 11 // hw->max_rate_tries in mac80211_hwsim
)

// Legacy rate table sizes: RX_RATE must be below these.
const (
	NumBitrates2GHz = 12
	NumBitrates5GHz = 8
)
