// SPDX-License-Identifier: MIT

package medium

import (
	"strconv"

	"github.com/vmedium/vmedium/medium/air"
)

// RTS/CTS for radios whose MAC gives no rate chain (tap, vmnic and kmod radios:
// the medium's rate control picks their rates). hwsim radios say per frame
// whether the kernel asked for RTS/CTS (TX_INFO_FLAGS), so the threshold
// is the medium's to apply for the others, as mac80211 applies
// `iw phy set rts` to its own frames: a unicast frame whose MPDU (with
// FCS) is longer than the threshold is sent behind an RTS/CTS exchange.
// Only the air model reads it (errors per prices the RTS and CTS attempts,
// airtime timed schedules them and lets the CTS silence hidden stations).

// MaxRTSThreshold is the largest RTS threshold in bytes a radio accepts
// (dot11RTSThreshold's classic range, as `iw phy set rts` takes).
const MaxRTSThreshold = 2347

// rtsOff marks a radio that never sends RTS/CTS.
const rtsOff = -1

// SetRTSThreshold makes the radio send unicast frames longer than n bytes
// behind RTS/CTS (0: every unicast frame); n < 0 turns RTS/CTS off.
// n above MaxRTSThreshold is refused and nothing is changed.
func (r *Radio) SetRTSThreshold(n int) error {
	if n > MaxRTSThreshold {
		return &InvalidValueError{What: "RTS threshold", Value: strconv.Itoa(n), Accepted: "0 to 2347 bytes, or negative for off"}
	}
	if n < 0 {
		n = rtsOff
	}
	r.rts.Store(int32(n))
	return nil
}

// RTSThreshold returns the radio's RTS threshold in bytes, −1 when off.
func (r *Radio) RTSThreshold() int { return int(r.rts.Load()) }

// protect marks every stage of a chain the medium chose for tx as RTS/CTS
// protected when the frame of length bytes (with FCS) is above tx's
// threshold.
func (tx *Radio) protect(c *air.Chain, length int) {
	if t := tx.rts.Load(); t >= 0 && length > int(t) {
		for i := 0; i < c.N; i++ {
			c.Stages[i].Protection = air.ProtectRTSCTS
		}
	}
}
