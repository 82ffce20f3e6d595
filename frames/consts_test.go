// SPDX-License-Identifier: MIT

package frames

import (
	"testing"

	"github.com/gopacket/gopacket/layers"
)

// TestConstants pins the protocol constants to the values in Linux
// include/linux/ieee80211.h (WLAN_*), include/net/ieee80211_radiotap.h and,
// where gopacket has them right, to gopacket's layers. (gopacket's
// Dot11Reason values are off by one, so reasons are pinned to the kernel
// values only.)
func TestConstants(t *testing.T) {
	pins := []struct {
		name      string
		got, want int
	}{
		// WLAN_CAPABILITY_*
		{"CapESS", int(CapESS), 1 << 0}, {"CapIBSS", int(CapIBSS), 1 << 1}, {"CapPrivacy", int(CapPrivacy), 1 << 4},
		{"CapShortPreamble", int(CapShortPreamble), 1 << 5}, {"CapShortSlot", int(CapShortSlot), 1 << 10},
		// WLAN_REASON_*
		{"ReasonUnspecified", int(ReasonUnspecified), 1}, {"ReasonPrevAuthNotValid", int(ReasonPrevAuthNotValid), 2},
		{"ReasonDeauthLeaving", int(ReasonDeauthLeaving), 3}, {"ReasonInactivity", int(ReasonInactivity), 4},
		{"ReasonAPBusy", int(ReasonAPBusy), 5}, {"ReasonClass2FromNonAuth", int(ReasonClass2FromNonAuth), 6},
		{"ReasonClass3FromNonAssoc", int(ReasonClass3FromNonAssoc), 7}, {"ReasonDisassocLeaving", int(ReasonDisassocLeaving), 8},
		{"ReasonNotAuthenticated", int(ReasonNotAuthenticated), 9},
		// WLAN_STATUS_* (same numbers as gopacket's Dot11Status)
		{"StatusSuccess", int(StatusSuccess), int(layers.Dot11StatusSuccess)},
		{"StatusUnspecified", int(StatusUnspecified), int(layers.Dot11StatusFailure)},
		{"StatusCapsUnsupported", int(StatusCapsUnsupported), int(layers.Dot11StatusCannotSupportAllCapabilities)},
		{"StatusReassocNoAssoc", int(StatusReassocNoAssoc), int(layers.Dot11StatusInabilityExistsAssociation)},
		{"StatusAssocDeniedUnspec", int(StatusAssocDeniedUnspec), int(layers.Dot11StatusAssociationDenied)},
		{"StatusNotSupportedAuthAlg", int(StatusNotSupportedAuthAlg), int(layers.Dot11StatusAlgorithmUnsupported)},
		{"StatusUnknownAuthTrans", int(StatusUnknownAuthTrans), int(layers.Dot11StatusOufOfExpectedSequence)},
		{"StatusChallengeFail", int(StatusChallengeFail), int(layers.Dot11StatusChallengeFailure)},
		{"StatusAuthTimeout", int(StatusAuthTimeout), int(layers.Dot11StatusTimeout)},
		{"StatusAPUnableToHandleSTA", int(StatusAPUnableToHandleSTA), int(layers.Dot11StatusAPUnableToHandle)},
		{"StatusAssocDeniedRates", int(StatusAssocDeniedRates), int(layers.Dot11StatusRateUnsupported)},
		{"StatusRefusedTemporarily", int(StatusRefusedTemporarily), 30}, {"StatusInvalidIE", int(StatusInvalidIE), 40},
		{"StatusUnsupportedRSNVersion", int(StatusUnsupportedRSNVersion), 44},
		// WLAN_AUTH_*
		{"AuthOpenSystem", int(AuthOpenSystem), int(layers.Dot11AlgorithmOpen)},
		{"AuthSharedKey", int(AuthSharedKey), int(layers.Dot11AlgorithmSharedKey)}, {"AuthSAE", int(AuthSAE), 3},
		// WLAN_EID_*
		{"IESSID", IESSID, int(layers.Dot11InformationElementIDSSID)},
		{"IESupportedRates", IESupportedRates, int(layers.Dot11InformationElementIDRates)},
		{"IEDSParams", IEDSParams, int(layers.Dot11InformationElementIDDSSet)},
		{"IETIM", IETIM, int(layers.Dot11InformationElementIDTIM)},
		{"IEExtRates", IEExtRates, int(layers.Dot11InformationElementIDESRates)},
		// IEEE80211_RADIOTAP_F_* and IEEE80211_CHAN_*
		{"RadiotapFlagShortPreamble", int(RadiotapFlagShortPreamble), int(layers.RadioTapFlagsShortPreamble)},
		{"RadiotapFlagFCS", int(RadiotapFlagFCS), int(layers.RadioTapFlagsFCS)},
		{"RadiotapFlagBadFCS", int(RadiotapFlagBadFCS), int(layers.RadioTapFlagsBadFCS)},
		{"ChanCCK", int(ChanCCK), int(layers.RadioTapChannelFlagsCCK)}, {"ChanOFDM", int(ChanOFDM), int(layers.RadioTapChannelFlagsOFDM)},
		{"Chan2GHz", int(Chan2GHz), int(layers.RadioTapChannelFlagsGhz2)}, {"Chan5GHz", int(Chan5GHz), int(layers.RadioTapChannelFlagsGhz5)},
		// IEEE80211_RADIOTAP_* present bits
		{"rtTSFT", 1 << rtTSFT, int(layers.RadioTapPresentTSFT)}, {"rtFlags", 1 << rtFlags, int(layers.RadioTapPresentFlags)},
		{"rtRate", 1 << rtRate, int(layers.RadioTapPresentRate)}, {"rtChannel", 1 << rtChannel, int(layers.RadioTapPresentChannel)},
		{"rtFHSS", 1 << rtFHSS, int(layers.RadioTapPresentFHSS)}, {"rtSignal", 1 << rtSignal, int(layers.RadioTapPresentDBMAntennaSignal)},
		{"rtNoise", 1 << rtNoise, int(layers.RadioTapPresentDBMAntennaNoise)}, {"rtExt", 1 << rtExt, int(layers.RadioTapPresentEXT)},
		// IEEE80211_MAX_DATA_LEN
		{"MaxMPDU", MaxMPDU, 2304},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("%s = %d, want %d", p.name, p.got, p.want)
		}
	}
}
