// SPDX-License-Identifier: MIT

package air

import (
	"encoding/binary"
	"fmt"
)

// Rate flag bits of a hwsim TX_INFO_FLAGS entry (enum hwsim_tx_rate_flags
// in the kernel's mac80211_hwsim.h, which mirrors mac80211's
// IEEE80211_TX_RC_* bits of enum mac80211_rate_control_flags).
const (
	RateFlagRTSCTS        = 1 << 0
	RateFlagCTSProtect    = 1 << 1
	RateFlagShortPreamble = 1 << 2
	RateFlagMCS           = 1 << 3
	RateFlagGreenField    = 1 << 4
	RateFlag40MHz         = 1 << 5
	RateFlagDupData       = 1 << 6
	RateFlagShortGI       = 1 << 7
	RateFlagVHTMCS        = 1 << 8
	RateFlag80MHz         = 1 << 9
	RateFlag160MHz        = 1 << 10
)

// MaxStages is the number of multi-rate-retry stages hwsim carries
// (IEEE80211_TX_MAX_RATES).
const MaxStages = 4

// Sizes of the hwsim attributes: 4 × {s8 idx, u8 count} and
// 4 × {s8 idx, u16 flags} (packed).
const (
	TxInfoLen      = 2 * MaxStages
	TxInfoFlagsLen = 3 * MaxStages
)

// Stage is one stage of a multi-rate-retry chain: a mode tried Count times.
type Stage struct {
	Mode       Mode
	Count      uint8
	Protection Protection
}

// Chain is a multi-rate-retry chain of up to MaxStages stages; N is the
// number of valid stages.
type Chain struct {
	Stages [MaxStages]Stage
	N      int
}

// Attempts is the total number of attempts the chain allows.
func (c *Chain) Attempts() int {
	n := 0
	for i := 0; i < c.N; i++ {
		n += int(c.Stages[i].Count)
	}
	return n
}

// NumLegacy returns how many legacy rates a hwsim band advertises: 12 at
// 2.4 GHz (1…54), 8 at 5/6 GHz (6…54).
func NumLegacy(b Band) int {
	if b == Band2GHz {
		return 12
	}
	return 8
}

// legacyOffset is the LegacyRate of a band's index 0.
func legacyOffset(b Band) int {
	if b == Band2GHz {
		return 0
	}
	return int(Rate6)
}

// DecodeRate builds the mode of one hwsim rate entry: idx is the s8 index
// from TX_INFO, flags the u16 from TX_INFO_FLAGS (0 when the kernel sent
// none), b the band of the frame's channel. Legacy indices are relative to
// the band's table; with the MCS flag idx is the HT MCS; with the VHT flag
// idx is (NSS−1)<<4 | MCS, as mac80211's ieee80211_rate_set_vht stores it
// and hwsim copies it. A stage that is not a rate this package models
// returns an error naming the value and the accepted range.
func DecodeRate(idx int8, flags uint16, b Band) (Stage, error) {
	var s Stage
	if idx < 0 {
		return s, fmt.Errorf("rate index %d: chain terminator, not a rate", idx)
	}
	w := Width20
	switch {
	case flags&RateFlag160MHz != 0:
		w = Width160
	case flags&RateFlag80MHz != 0:
		w = Width80
	case flags&RateFlag40MHz != 0:
		w = Width40
	}
	sgi := flags&RateFlagShortGI != 0
	switch {
	case flags&RateFlagVHTMCS != 0:
		// mac80211 stores VHT rates as ((nss−1) << 4) | mcs
		// (ieee80211_rate_set_vht in include/net/mac80211.h).
		mcs, nss := uint8(idx)&0xf, uint8(idx)>>4+1
		s.Mode = VHT(mcs, nss, w, sgi)
	case flags&RateFlagMCS != 0:
		s.Mode = HT(uint8(idx), w, sgi)
		s.Mode.Greenfield = flags&RateFlagGreenField != 0
	default:
		n := NumLegacy(b)
		if int(idx) >= n {
			return s, fmt.Errorf("legacy rate index %d out of range [0, %d] for the band", idx, n-1)
		}
		s.Mode = Legacy(LegacyRate(int(idx) + legacyOffset(b)))
		s.Mode.ShortPreamble = flags&RateFlagShortPreamble != 0 && s.Mode.Format == FormatDSSS
	}
	if err := s.Mode.Validate(); err != nil {
		return s, err
	}
	switch {
	case flags&RateFlagRTSCTS != 0:
		s.Protection = ProtectRTSCTS
	case flags&RateFlagCTSProtect != 0:
		s.Protection = ProtectCTSToSelf
	}
	return s, nil
}

// DecodeTxInfo decodes hwsim's TX_INFO (4 × {s8 idx, u8 count}) and
// TX_INFO_FLAGS (4 × {s8 idx, u16 flags}, host byte order; may be empty on
// kernels that do not send it) into c, for a frame on freqMHz. The chain
// ends at the first idx < 0 or zero count. A stage that does not decode
// ends the chain with an error naming the stage; the stages before it stay
// in c, so a caller can still use them.
func DecodeTxInfo(c *Chain, txInfo, txFlags []byte, freqMHz uint32) error {
	c.N = 0
	if len(txInfo) < 2 {
		return fmt.Errorf("tx info: %d bytes, want at least 2", len(txInfo))
	}
	b := BandOf(freqMHz)
	for i := 0; i < MaxStages && 2*i+1 < len(txInfo); i++ {
		idx, cnt := int8(txInfo[2*i]), txInfo[2*i+1]
		if idx < 0 || cnt == 0 {
			break
		}
		var fl uint16
		if 3*i+2 < len(txFlags) {
			fl = binary.NativeEndian.Uint16(txFlags[3*i+1 : 3*i+3])
		}
		s, err := DecodeRate(idx, fl, b)
		if err != nil {
			return fmt.Errorf("tx info stage %d: %w", i, err)
		}
		s.Count = cnt
		c.Stages[i] = s
		c.N = i + 1
	}
	if c.N == 0 {
		return fmt.Errorf("tx info: no rate in the chain")
	}
	return nil
}

// RxRateIndex returns the legacy RX_RATE index the kernel accepts on band b
// for a frame received in mode m: a legacy mode's own index, an HT/VHT
// mode's non-HT reference rate (the kernel's injection path has no HT/VHT
// encoding), clamped into the band's table (5/6 GHz has no DSSS rates:
// they map to index 0, 6 Mbit/s).
func RxRateIndex(m Mode, b Band) uint8 {
	r := int(m.NonHTReference()) - legacyOffset(b)
	if r < 0 {
		r = 0
	}
	if n := NumLegacy(b); r >= n {
		r = n - 1
	}
	return uint8(r)
}

// RewriteTxInfo writes into out the TX_INFO to report for a transmission
// whose chain the kernel gave as in: the stages before the last one used
// at their full count, the last used stage with the attempts it used, the
// rest idx −1 count 0. attempts holds the attempts used per stage (as
// Outcome.Attempts); an all-zero attempts (nothing sent) reports one
// attempt at stage 0.
func RewriteTxInfo(out, in *[TxInfoLen]byte, attempts *[MaxStages]uint8) {
	for i := 0; i < MaxStages; i++ {
		out[2*i], out[2*i+1] = 0xff, 0
	}
	last := -1
	for i := 0; i < MaxStages; i++ {
		if attempts[i] > 0 && int8(in[2*i]) >= 0 {
			last = i
		}
	}
	if last < 0 {
		out[0], out[1] = in[0], 1
		return
	}
	for i := 0; i <= last; i++ {
		out[2*i], out[2*i+1] = in[2*i], attempts[i]
	}
}
