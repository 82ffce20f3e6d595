// SPDX-License-Identifier: MIT

package air

import "time"

// Band is the frequency band of a channel.
type Band uint8

const (
	Band2GHz Band = iota
	Band5GHz
	Band6GHz
)

// BandOf returns the band of a centre frequency in MHz (0 counts as 2.4 GHz,
// the frequency hwsim assumes when none is given).
func BandOf(freqMHz uint32) Band {
	switch {
	case freqMHz >= 5925:
		return Band6GHz
	case freqMHz >= 4900:
		return Band5GHz
	}
	return Band2GHz
}

// Frame lengths of control frames, in bytes including the FCS.
const (
	AckLen      = 14 // ACK and CTS
	CtsLen      = 14
	RtsLen      = 20
	BlockAckLen = 32 // compressed BlockAck
)

const us = time.Microsecond

// PPDU durations of the PHY preambles, IEEE 802.11-2020.
const (
	dsssLongPreamble  = 192 * us // 144 µs SYNC+SFD + 48 µs PLCP header (15.3.3)
	dsssShortPreamble = 96 * us  // 72 + 24 µs (16.2.2.3)
	ofdmPreamble      = 16 * us  // L-STF + L-LTF (17.3.2.4)
	ofdmSignal        = 4 * us   // L-SIG
	ofdmSymbol        = 4 * us
	htSIG             = 8 * us
	htSTF             = 4 * us
	htLTF             = 4 * us
	htGFPreamble      = 24 * us // HT-GF-STF 8 + HT-LTF1 8 + HT-SIG 8 (19.3.9.4)
	vhtSIGA           = 8 * us
	vhtSTF            = 4 * us
	vhtSIGB           = 4 * us
	symbolShortGI     = 3600 * time.Nanosecond
	// SignalExtension is the 6 µs idle period after every OFDM/HT PPDU in
	// the 2.4 GHz band (ERP, 18.3.2.4), so an 11g SIFS of 10 µs behaves like
	// 11a's 16 µs.
	SignalExtension = 6 * us
)

// ceilDiv is ⌈a/b⌉ for positive b.
func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Duration returns the time on air of a PPDU carrying length bytes (the
// MPDU including FCS) in mode m on band b, per the TXTIME equations of
// IEEE 802.11-2020: 15.4.4.5 / 16.3.4 (DSSS), 17.4.3 (OFDM; plus the ERP
// signal extension at 2.4 GHz), 19.4.3 (HT mixed and greenfield) and
// 21.4.3 (VHT). The OFDM case equals Linux's ieee80211_frame_duration
// without its SIFS term. An invalid mode (see Validate) lasts 0.
func (m Mode) Duration(length int, b Band) time.Duration {
	if m.Validate() != nil {
		return 0
	}
	if length < 0 {
		length = 0
	}
	bits := 8 * length
	var ext time.Duration
	if b == Band2GHz {
		ext = SignalExtension
	}
	switch m.Format {
	case FormatDSSS:
		pre := dsssLongPreamble
		if m.ShortPreamble && LegacyRate(m.Index) != Rate1 {
			pre = dsssShortPreamble
		}
		// ⌈8·L / rate⌉ µs, rate in kbit/s.
		k := int(m.Kbps())
		return pre + time.Duration(ceilDiv(bits*1000, k))*us
	case FormatOFDM:
		n := ceilDiv(16+bits+6, m.NDBPS())
		return ofdmPreamble + ofdmSignal + time.Duration(n)*ofdmSymbol + ext
	case FormatHT:
		nss := m.nss()
		n := ceilDiv(16+bits+6*m.encoders(), m.NDBPS())
		var pre time.Duration
		if m.Greenfield {
			pre = htGFPreamble + time.Duration(ltfs(nss)-1)*htLTF
		} else {
			pre = ofdmPreamble + ofdmSignal + htSIG + htSTF + time.Duration(ltfs(nss))*htLTF
		}
		return pre + dataTime(n, m.ShortGI, !m.Greenfield) + ext
	case FormatVHT:
		n := ceilDiv(16+bits+6*m.encoders(), m.NDBPS())
		pre := ofdmPreamble + ofdmSignal + vhtSIGA + vhtSTF + time.Duration(ltfs(int(m.NSS)))*htLTF + vhtSIGB
		return pre + dataTime(n, m.ShortGI, true) + ext
	}
	return 0
}

// dataTime is the duration of n data symbols. With a short GI in a mixed
// (legacy-compatible) PPDU the standard rounds the data part up to a whole
// number of 4 µs symbols so legacy receivers can defer on L-SIG.
func dataTime(n int, shortGI, roundTo4 bool) time.Duration {
	if !shortGI {
		return time.Duration(n) * ofdmSymbol
	}
	d := time.Duration(n) * symbolShortGI
	if roundTo4 {
		d = (d + ofdmSymbol - 1) / ofdmSymbol * ofdmSymbol
	}
	return d
}

// Timing holds the MAC timing constants of a PHY (IEEE 802.11-2020 Tables
// 15-4, 17-21, 18-5 and 19-25).
type Timing struct {
	SIFS time.Duration
	Slot time.Duration
	// RxStartDelay is aRxPHYStartDelay, part of the ACK/CTS timeout.
	RxStartDelay time.Duration
	// CWMin and CWMax are aCWmin and aCWmax in slots.
	CWMin, CWMax int
	Band         Band
}

// Timing11a is the 5 GHz OFDM timing (SIFS 16 µs, slot 9 µs, CW 15–1023).
var Timing11a = Timing{SIFS: 16 * us, Slot: 9 * us, RxStartDelay: 25 * us, CWMin: 15, CWMax: 1023, Band: Band5GHz}

// Timing11b is the DSSS timing (SIFS 10 µs, slot 20 µs, CW 31–1023).
var Timing11b = Timing{SIFS: 10 * us, Slot: 20 * us, RxStartDelay: 192 * us, CWMin: 31, CWMax: 1023, Band: Band2GHz}

// Timing11g is the 2.4 GHz ERP timing: SIFS 10 µs (OFDM PPDUs add the
// 6 µs signal extension), slot 9 µs when every station is ERP (short
// slot) or 20 µs, CW 15–1023.
func Timing11g(shortSlot bool) Timing {
	t := Timing{SIFS: 10 * us, Slot: 20 * us, RxStartDelay: 25 * us, CWMin: 15, CWMax: 1023, Band: Band2GHz}
	if shortSlot {
		t.Slot = 9 * us
	}
	return t
}

// DefaultTiming is the timing used for a channel: 11a at 5/6 GHz, ERP with
// the short slot at 2.4 GHz (every radio vmedium simulates is ERP-capable).
func DefaultTiming(freqMHz uint32) Timing {
	if b := BandOf(freqMHz); b != Band2GHz {
		t := Timing11a
		t.Band = b
		return t
	}
	return Timing11g(true)
}

// DIFS is SIFS + 2 slots.
func (t Timing) DIFS() time.Duration { return t.SIFS + 2*t.Slot }

// AIFS is SIFS + AIFSN slots for an access category.
func (t Timing) AIFS(ac AC) time.Duration {
	return t.SIFS + time.Duration(ac.Params(t).AIFSN)*t.Slot
}

// AckTimeout is how long a transmitter waits for an ACK or CTS before
// counting the attempt failed: aSIFSTime + aSlotTime + aRxPHYStartDelay
// (IEEE 802.11-2020 10.3.2.11).
func (t Timing) AckTimeout() time.Duration { return t.SIFS + t.Slot + t.RxStartDelay }

// AC is an access category; ACLegacy is plain DCF (DIFS, aCWmin..aCWmax).
type AC uint8

const (
	ACBestEffort AC = iota
	ACBackground
	ACVideo
	ACVoice
	ACLegacy
	numAC
)

func (a AC) String() string {
	return [...]string{"be", "bk", "vi", "vo", "dcf"}[a%numAC]
}

// EDCAParams are an access category's contention parameters.
type EDCAParams struct {
	AIFSN        int
	CWMin, CWMax int
}

// Params returns the default EDCA parameter set of IEEE 802.11-2020
// Table 9-155 (the values hostapd uses by default): BK 7, BE 3, VI and VO
// 2 slots; VI CW (aCWmin+1)/2−1..aCWmin, VO (aCWmin+1)/4−1..(aCWmin+1)/2−1.
// ACLegacy is DCF: DIFS (2 slots) and aCWmin..aCWmax.
func (a AC) Params(t Timing) EDCAParams {
	switch a {
	case ACBackground:
		return EDCAParams{7, t.CWMin, t.CWMax}
	case ACBestEffort:
		return EDCAParams{3, t.CWMin, t.CWMax}
	case ACVideo:
		return EDCAParams{2, (t.CWMin+1)/2 - 1, t.CWMin}
	case ACVoice:
		return EDCAParams{2, (t.CWMin+1)/4 - 1, (t.CWMin+1)/2 - 1}
	}
	return EDCAParams{2, t.CWMin, t.CWMax}
}

// BasicRates is a set of legacy rates (bit i = LegacyRate i) a BSS uses for
// control responses.
type BasicRates uint16

// DefaultBasicRates is 1, 2 Mbit/s for DSSS and 6, 12, 24 Mbit/s for OFDM,
// the mandatory sets ns-3 and most BSSs assume.
const DefaultBasicRates = BasicRates(1<<Rate1 | 1<<Rate2 | 1<<Rate6 | 1<<Rate12 | 1<<Rate24)

// ControlRate returns the mode of a control response (ACK, CTS) to a frame
// sent in mode data: the highest basic rate of the same PHY family (DSSS or
// OFDM) not faster than data's rate or non-HT reference rate, else the
// family's lowest rate (IEEE 802.11-2020 10.6.6.5).
func (b BasicRates) ControlRate(data Mode) Mode {
	ref := data.NonHTReference()
	lo, hi := Rate6, Rate54
	if data.Format == FormatDSSS {
		lo, hi = Rate1, Rate11
	}
	best := lo
	for r := lo; r <= hi; r++ {
		if b&(1<<r) != 0 && r.Kbps() <= ref.Kbps() {
			best = r
		}
	}
	m := Legacy(best)
	if data.Format == FormatDSSS {
		m.ShortPreamble = data.ShortPreamble
	}
	return m
}

// AckDuration is the airtime of the ACK answering a frame sent in mode data.
func (b BasicRates) AckDuration(data Mode, band Band) time.Duration {
	return b.ControlRate(data).Duration(AckLen, band)
}

// Exchange is the airtime breakdown of one attempt of a frame exchange.
type Exchange struct {
	// Protect is RTS + SIFS + CTS + SIFS (RTS/CTS) or CTS + SIFS
	// (CTS-to-self); zero without protection.
	Protect time.Duration
	// Data is the data PPDU.
	Data time.Duration
	// Ack is SIFS + ACK PPDU; zero for frames without ACK.
	Ack time.Duration
	// AckTimeout replaces Ack when the ACK does not come.
	AckTimeout time.Duration
}

// Total is the airtime of a successful attempt.
func (e Exchange) Total() time.Duration { return e.Protect + e.Data + e.Ack }

// Failed is the airtime of an attempt whose ACK never came.
func (e Exchange) Failed() time.Duration { return e.Protect + e.Data + e.AckTimeout }

// Protection says how a data frame is protected.
type Protection uint8

const (
	ProtectNone Protection = iota
	ProtectRTSCTS
	ProtectCTSToSelf
)

// ExchangeFor computes the airtime of one attempt of length bytes in mode
// data, with the given protection and ACK policy. Control frames go at
// the control rate derived from the basic rates.
func (t Timing) ExchangeFor(data Mode, length int, p Protection, ack bool, b BasicRates) Exchange {
	ctl := b.ControlRate(data)
	e := Exchange{Data: data.Duration(length, t.Band)}
	switch p {
	case ProtectRTSCTS:
		e.Protect = ctl.Duration(RtsLen, t.Band) + t.SIFS + ctl.Duration(CtsLen, t.Band) + t.SIFS
	case ProtectCTSToSelf:
		e.Protect = ctl.Duration(CtsLen, t.Band) + t.SIFS
	}
	if ack {
		e.Ack = t.SIFS + ctl.Duration(AckLen, t.Band)
		e.AckTimeout = t.AckTimeout()
	}
	return e
}
