// SPDX-License-Identifier: MIT

package hwsim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium/internal/cenum"
)

// headerNames maps every protocol number the backend uses to its name in
// the kernel's mac80211_hwsim.h (mainline numbering). Names missing from an
// older kernel's header (PMSR from 6.3, MULTI_RADIO from 6.12) are
// checked only where the header has them.
var headerNames = []struct {
	name string
	got  int
}{
	{"HWSIM_CMD_UNSPEC", CmdUnspec},
	{"HWSIM_CMD_REGISTER", CmdRegister},
	{"HWSIM_CMD_FRAME", CmdFrame},
	{"HWSIM_CMD_TX_INFO_FRAME", CmdTxInfoFrame},
	{"HWSIM_CMD_NEW_RADIO", CmdNewRadio},
	{"HWSIM_CMD_DEL_RADIO", CmdDelRadio},
	{"HWSIM_CMD_GET_RADIO", CmdGetRadio},
	{"HWSIM_CMD_ADD_MAC_ADDR", CmdAddMacAddr},
	{"HWSIM_CMD_DEL_MAC_ADDR", CmdDelMacAddr},
	{"HWSIM_CMD_START_PMSR", CmdStartPMSR},
	{"HWSIM_CMD_ABORT_PMSR", CmdAbortPMSR},
	{"HWSIM_CMD_REPORT_PMSR", CmdReportPMSR},
	{"HWSIM_ATTR_UNSPEC", AttrUnspec},
	{"HWSIM_ATTR_ADDR_RECEIVER", AttrAddrReceiver},
	{"HWSIM_ATTR_ADDR_TRANSMITTER", AttrAddrTransmitter},
	{"HWSIM_ATTR_FRAME", AttrFrame},
	{"HWSIM_ATTR_FLAGS", AttrFlags},
	{"HWSIM_ATTR_RX_RATE", AttrRxRate},
	{"HWSIM_ATTR_SIGNAL", AttrSignal},
	{"HWSIM_ATTR_TX_INFO", AttrTxInfo},
	{"HWSIM_ATTR_COOKIE", AttrCookie},
	{"HWSIM_ATTR_CHANNELS", AttrChannels},
	{"HWSIM_ATTR_RADIO_ID", AttrRadioID},
	{"HWSIM_ATTR_REG_HINT_ALPHA2", AttrRegHintAlpha2},
	{"HWSIM_ATTR_REG_CUSTOM_REG", AttrRegCustomReg},
	{"HWSIM_ATTR_REG_STRICT_REG", AttrRegStrictReg},
	{"HWSIM_ATTR_SUPPORT_P2P_DEVICE", AttrSupportP2PDevice},
	{"HWSIM_ATTR_USE_CHANCTX", AttrUseChanctx},
	{"HWSIM_ATTR_DESTROY_RADIO_ON_CLOSE", AttrDestroyRadioOnClose},
	{"HWSIM_ATTR_RADIO_NAME", AttrRadioName},
	{"HWSIM_ATTR_NO_VIF", AttrNoVif},
	{"HWSIM_ATTR_FREQ", AttrFreq},
	{"HWSIM_ATTR_PAD", AttrPad},
	{"HWSIM_ATTR_TX_INFO_FLAGS", AttrTxInfoFlags},
	{"HWSIM_ATTR_PERM_ADDR", AttrPermAddr},
	{"HWSIM_ATTR_IFTYPE_SUPPORT", AttrIftypeSupport},
	{"HWSIM_ATTR_CIPHER_SUPPORT", AttrCipherSupport},
	{"HWSIM_ATTR_MLO_SUPPORT", AttrMLOSupport},
	{"HWSIM_ATTR_PMSR_SUPPORT", AttrPMSRSupport},
	{"HWSIM_ATTR_PMSR_REQUEST", AttrPMSRRequest},
	{"HWSIM_ATTR_PMSR_RESULT", AttrPMSRResult},
	{"HWSIM_ATTR_MULTI_RADIO", AttrMultiRadio},
	{"HWSIM_TX_CTL_REQ_TX_STATUS", TxCtlReqTxStatus},
	{"HWSIM_TX_CTL_NO_ACK", TxCtlNoAck},
	{"HWSIM_TX_STAT_ACK", TxStatAck},
}

// TestConstants pins the numbers to mainline's header (as listed in the
// shared notes), and the facts the header does not state as constants.
func TestConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"HWSIM_CMD_UNSPEC", CmdUnspec, 0},
		{"HWSIM_CMD_REGISTER", CmdRegister, 1},
		{"HWSIM_CMD_FRAME", CmdFrame, 2},
		{"HWSIM_CMD_TX_INFO_FRAME", CmdTxInfoFrame, 3},
		{"HWSIM_CMD_NEW_RADIO", CmdNewRadio, 4},
		{"HWSIM_CMD_DEL_RADIO", CmdDelRadio, 5},
		{"HWSIM_CMD_GET_RADIO", CmdGetRadio, 6},
		{"HWSIM_CMD_ADD_MAC_ADDR", CmdAddMacAddr, 7},
		{"HWSIM_CMD_DEL_MAC_ADDR", CmdDelMacAddr, 8},
		{"HWSIM_CMD_START_PMSR", CmdStartPMSR, 9},
		{"HWSIM_CMD_ABORT_PMSR", CmdAbortPMSR, 10},
		{"HWSIM_CMD_REPORT_PMSR", CmdReportPMSR, 11},
		{"HWSIM_ATTR_UNSPEC", AttrUnspec, 0},
		{"HWSIM_ATTR_ADDR_RECEIVER", AttrAddrReceiver, 1},
		{"HWSIM_ATTR_ADDR_TRANSMITTER", AttrAddrTransmitter, 2},
		{"HWSIM_ATTR_FRAME", AttrFrame, 3},
		{"HWSIM_ATTR_FLAGS", AttrFlags, 4},
		{"HWSIM_ATTR_RX_RATE", AttrRxRate, 5},
		{"HWSIM_ATTR_SIGNAL", AttrSignal, 6},
		{"HWSIM_ATTR_TX_INFO", AttrTxInfo, 7},
		{"HWSIM_ATTR_COOKIE", AttrCookie, 8},
		{"HWSIM_ATTR_CHANNELS", AttrChannels, 9},
		{"HWSIM_ATTR_RADIO_ID", AttrRadioID, 10},
		{"HWSIM_ATTR_REG_HINT_ALPHA2", AttrRegHintAlpha2, 11},
		{"HWSIM_ATTR_REG_CUSTOM_REG", AttrRegCustomReg, 12},
		{"HWSIM_ATTR_REG_STRICT_REG", AttrRegStrictReg, 13},
		{"HWSIM_ATTR_SUPPORT_P2P_DEVICE", AttrSupportP2PDevice, 14},
		{"HWSIM_ATTR_USE_CHANCTX", AttrUseChanctx, 15},
		{"HWSIM_ATTR_DESTROY_RADIO_ON_CLOSE", AttrDestroyRadioOnClose, 16},
		{"HWSIM_ATTR_RADIO_NAME", AttrRadioName, 17},
		{"HWSIM_ATTR_NO_VIF", AttrNoVif, 18},
		{"HWSIM_ATTR_FREQ", AttrFreq, 19},
		{"HWSIM_ATTR_PAD", AttrPad, 20},
		{"HWSIM_ATTR_TX_INFO_FLAGS", AttrTxInfoFlags, 21},
		{"HWSIM_ATTR_PERM_ADDR", AttrPermAddr, 22},
		{"HWSIM_ATTR_IFTYPE_SUPPORT", AttrIftypeSupport, 23},
		{"HWSIM_ATTR_CIPHER_SUPPORT", AttrCipherSupport, 24},
		{"HWSIM_ATTR_MLO_SUPPORT", AttrMLOSupport, 25},
		{"HWSIM_ATTR_PMSR_SUPPORT", AttrPMSRSupport, 26},
		{"HWSIM_ATTR_PMSR_REQUEST", AttrPMSRRequest, 27},
		{"HWSIM_ATTR_PMSR_RESULT", AttrPMSRResult, 28},
		{"HWSIM_ATTR_MULTI_RADIO", AttrMultiRadio, 29},
		{"HWSIM_TX_CTL_REQ_TX_STATUS", TxCtlReqTxStatus, 1},
		{"HWSIM_TX_CTL_NO_ACK", TxCtlNoAck, 2},
		{"HWSIM_TX_STAT_ACK", TxStatAck, 4},
		{"HWSIM_ATTR_TX_INFO length", TxInfoLen, 8},
		{"IEEE80211_TX_MAX_RATES", TxMaxRates, 4},
		{"sizeof(struct hwsim_tx_rate)", TxRateSize, 2},
		{"sizeof(struct hwsim_tx_rate_flag)", TxRateFlagLen, 3},
		{"IEEE80211_MAX_DATA_LEN", MaxFrameLen, 2304},
		{"2.4 GHz legacy rates", NumBitrates2GHz, 12},
		{"5 GHz legacy rates", NumBitrates5GHz, 8},
		{"MAC80211_HWSIM_TX_RC_MCS", rateFlagMCS, 1 << 3},
		{"MAC80211_HWSIM_TX_RC_VHT_MCS", rateFlagVHTMCS, 1 << 8},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, kernel header says %d", c.name, c.got, c.want)
		}
	}
	if FamilyName != "MAC80211_HWSIM" || MulticastConfig != "config" || FamilyVersion != 1 {
		t.Errorf("family %q v%d group %q", FamilyName, FamilyVersion, MulticastConfig)
	}
}

// kernelHeader returns the kernel's mac80211_hwsim.h as tests/vm/fetch.sh
// extracts it from Debian's linux-source-6.1 into the VM cache
// (VMEDIUM_VM_CACHE, default tests/vm/cache), or skips.
func kernelHeader(t *testing.T) *cenum.Header {
	t.Helper()
	cache := os.Getenv("VMEDIUM_VM_CACHE")
	if cache == "" {
		cache = filepath.Join("..", "..", "tests", "vm", "cache")
	}
	path := filepath.Join(cache, "src", "mac80211_hwsim.h")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs the kernel header: run tests/vm/fetch.sh as root (VMEDIUM_VM_CACHE): %v", err)
	}
	h, err := cenum.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestConstantsMatchKernelHeader checks every protocol number against the
// kernel's own header, and that every command, attribute and TX control
// flag the header defines has a constant here (a new one is noticed).
func TestConstantsMatchKernelHeader(t *testing.T) {
	h := kernelHeader(t)
	known := map[string]bool{}
	for _, c := range headerNames {
		known[c.name] = true
		v, ok := h.Values[c.name]
		if !ok {
			t.Logf("%s: not in this kernel's header (newer kernels)", c.name)
			continue
		}
		if int64(c.got) != v {
			t.Errorf("%s = %d, kernel header says %d", c.name, c.got, v)
		}
	}
	for _, c := range []struct {
		name string
		got  int
	}{
		{"MAC80211_HWSIM_TX_RC_MCS", rateFlagMCS},
		{"MAC80211_HWSIM_TX_RC_VHT_MCS", rateFlagVHTMCS},
	} {
		if v, ok := h.Values[c.name]; !ok || int64(c.got) != v {
			t.Errorf("%s = %d, kernel header says %d (found %v)", c.name, c.got, v, ok)
		}
	}
	for _, c := range []struct {
		tag string
		got int
	}{
		{"hwsim_tx_rate", TxRateSize},
		{"hwsim_tx_rate_flag", TxRateFlagLen},
	} {
		if n, ok := h.PackedSizes[c.tag]; !ok || n != c.got {
			t.Errorf("sizeof(struct %s) = %d here, kernel header says %d (found %v)", c.tag, c.got, n, ok)
		}
	}
	for name := range h.Values {
		mirrored := strings.HasPrefix(name, "HWSIM_CMD_") || strings.HasPrefix(name, "HWSIM_ATTR_") ||
			strings.HasPrefix(name, "HWSIM_TX_CTL_") || strings.HasPrefix(name, "HWSIM_TX_STAT_")
		switch name {
		case "HWSIM_CMD_MAX", "HWSIM_ATTR_MAX", "HWSIM_CMD_CREATE_RADIO", "HWSIM_CMD_DESTROY_RADIO":
			mirrored = false // limits and aliases
		}
		if mirrored && !known[name] {
			t.Errorf("%s = %d: in the kernel header but not in consts.go", name, h.Values[name])
		}
	}
	if len(h.Values) < 40 {
		t.Fatalf("only %d constants parsed from the header: the parser missed its enums", len(h.Values))
	}
}
