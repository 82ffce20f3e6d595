// SPDX-License-Identifier: MIT

package air

import (
	"fmt"
)

// Format is the PHY a PPDU is sent with.
type Format uint8

const (
	// FormatDSSS is the 802.11b DSSS/CCK PHY (Clause 15/16 of IEEE 802.11-2020).
	FormatDSSS Format = iota
	// FormatOFDM is the legacy OFDM PHY of 802.11a/g (Clause 17/18).
	FormatOFDM
	// FormatHT is 802.11n (Clause 19).
	FormatHT
	// FormatVHT is 802.11ac (Clause 21).
	FormatVHT
)

func (f Format) String() string {
	switch f {
	case FormatDSSS:
		return "dsss"
	case FormatOFDM:
		return "ofdm"
	case FormatHT:
		return "ht"
	case FormatVHT:
		return "vht"
	}
	return fmt.Sprintf("format(%d)", uint8(f))
}

// LegacyRate names the twelve legacy rates in the order of mac80211_hwsim's
// 2.4 GHz bitrate table, so a LegacyRate is also the hwsim 2.4 GHz rate
// index; the 5/6 GHz table starts at Rate6 (index = LegacyRate − 4).
type LegacyRate uint8

const (
	Rate1 LegacyRate = iota
	Rate2
	Rate5_5
	Rate11
	Rate6
	Rate9
	Rate12
	Rate18
	Rate24
	Rate36
	Rate48
	Rate54
	numLegacyRates
)

// legacyKbps is each legacy rate in kbit/s.
var legacyKbps = [numLegacyRates]uint32{1000, 2000, 5500, 11000, 6000, 9000, 12000, 18000, 24000, 36000, 48000, 54000}

// Kbps is the rate in kbit/s.
func (r LegacyRate) Kbps() uint32 {
	if r >= numLegacyRates {
		return 0
	}
	return legacyKbps[r]
}

// IsDSSS reports whether r is one of the 802.11b rates (1, 2, 5.5, 11).
func (r LegacyRate) IsDSSS() bool { return r <= Rate11 }

func (r LegacyRate) String() string {
	k := r.Kbps()
	if k%1000 == 0 {
		return fmt.Sprintf("%d", k/1000)
	}
	return fmt.Sprintf("%d.%d", k/1000, k%1000/100)
}

// Width is a channel width in MHz.
type Width uint16

const (
	Width20  Width = 20
	Width40  Width = 40
	Width80  Width = 80
	Width160 Width = 160
)

// widthIndex maps a width to 0..3 (20, 40, 80, 160) for per-width tables.
func (w Width) index() int {
	switch w {
	case Width40:
		return 1
	case Width80:
		return 2
	case Width160:
		return 3
	}
	return 0
}

// Modulation is the constellation of a data symbol (OFDM subcarrier or DSSS).
type Modulation uint8

const (
	ModDBPSK Modulation = iota // DSSS 1 Mbit/s
	ModDQPSK                   // DSSS 2 Mbit/s
	ModCCK55                   // CCK 5.5 Mbit/s (4 bits per 8-chip codeword)
	ModCCK11                   // CCK 11 Mbit/s (8 bits per 8-chip codeword)
	ModBPSK
	ModQPSK
	ModQAM16
	ModQAM64
	ModQAM256
)

// bitsPerSubcarrier is N_BPSCS for the OFDM constellations.
func (m Modulation) bitsPerSubcarrier() int {
	switch m {
	case ModBPSK:
		return 1
	case ModQPSK:
		return 2
	case ModQAM16:
		return 4
	case ModQAM64:
		return 6
	case ModQAM256:
		return 8
	}
	return 0
}

// CodeRate is a BCC code rate num/den.
type CodeRate struct{ Num, Den uint8 }

var (
	rate12 = CodeRate{1, 2}
	rate23 = CodeRate{2, 3}
	rate34 = CodeRate{3, 4}
	rate56 = CodeRate{5, 6}
)

// mcsTable is the modulation and code rate of VHT MCS 0–9; HT MCS m uses
// entry m mod 8 (IEEE 802.11-2020 Tables 19-27ff and 21-30ff).
var mcsTable = [10]struct {
	mod  Modulation
	code CodeRate
}{
	{ModBPSK, rate12}, {ModQPSK, rate12}, {ModQPSK, rate34}, {ModQAM16, rate12}, {ModQAM16, rate34},
	{ModQAM64, rate23}, {ModQAM64, rate34}, {ModQAM64, rate56}, {ModQAM256, rate34}, {ModQAM256, rate56},
}

// ofdmLegacy is the modulation and code rate of the legacy OFDM rates 6–54
// (IEEE 802.11-2020 Table 17-4), indexed by LegacyRate − Rate6.
var ofdmLegacy = [8]struct {
	mod  Modulation
	code CodeRate
}{
	{ModBPSK, rate12}, {ModBPSK, rate34}, {ModQPSK, rate12}, {ModQPSK, rate34},
	{ModQAM16, rate12}, {ModQAM16, rate34}, {ModQAM64, rate23}, {ModQAM64, rate34},
}

// Mode is everything about a transmission rate that decides its airtime and
// its error rate: the "rate a transmitter used". It is a small comparable
// value; build it with Legacy, HT or VHT, or decode it from hwsim TX_INFO.
type Mode struct {
	Format Format
	// Index is the LegacyRate for DSSS/OFDM, the HT MCS (0–31) or the VHT MCS (0–9).
	Index uint8
	// NSS is the number of spatial streams (1 for legacy, MCS/8+1 for HT, 1–4 for VHT).
	NSS   uint8
	Width Width
	// ShortGI: 400 ns guard interval (HT/VHT).
	ShortGI bool
	// ShortPreamble: 96 µs DSSS PLCP for 2, 5.5 and 11 Mbit/s.
	ShortPreamble bool
	// Greenfield: HT-greenfield preamble instead of HT-mixed.
	Greenfield bool
}

// Legacy returns the DSSS or OFDM mode of a legacy rate (20 MHz, long preamble).
func Legacy(r LegacyRate) Mode {
	f := FormatOFDM
	if r.IsDSSS() {
		f = FormatDSSS
	}
	return Mode{Format: f, Index: uint8(r), NSS: 1, Width: Width20}
}

// HT returns HT MCS mcs (0–31) at width w (20 or 40) with the given guard interval.
func HT(mcs uint8, w Width, shortGI bool) Mode {
	return Mode{Format: FormatHT, Index: mcs, NSS: mcs/8 + 1, Width: w, ShortGI: shortGI}
}

// VHT returns VHT MCS mcs (0–9) with nss streams at width w.
func VHT(mcs, nss uint8, w Width, shortGI bool) Mode {
	return Mode{Format: FormatVHT, Index: mcs, NSS: nss, Width: w, ShortGI: shortGI}
}

// vhtInvalid lists the VHT MCS/NSS/width combinations the standard
// excludes (IEEE 802.11-2020 21.5, the MCS tables mark them "not valid").
func vhtInvalid(mcs, nss uint8, w Width) bool {
	switch {
	case w == Width20 && mcs == 9 && (nss == 1 || nss == 2 || nss == 4):
		return true
	case w == Width80 && mcs == 6 && nss == 3:
		return true
	case w == Width160 && mcs == 9 && nss == 3:
		return true
	}
	return false
}

// Validate reports why m is not a rate this package models.
func (m Mode) Validate() error {
	switch m.Format {
	case FormatDSSS:
		if LegacyRate(m.Index) > Rate11 {
			return fmt.Errorf("dsss rate index %d out of range [0, 3]", m.Index)
		}
	case FormatOFDM:
		if m.Index < uint8(Rate6) || LegacyRate(m.Index) > Rate54 {
			return fmt.Errorf("ofdm rate index %d out of range [4, 11]", m.Index)
		}
	case FormatHT:
		if m.Index > 31 {
			return fmt.Errorf("ht mcs %d out of range [0, 31]", m.Index)
		}
		if m.Width != Width20 && m.Width != Width40 {
			return fmt.Errorf("ht width %d MHz not one of 20, 40", m.Width)
		}
	case FormatVHT:
		if m.Index > 9 {
			return fmt.Errorf("vht mcs %d out of range [0, 9]", m.Index)
		}
		if m.NSS < 1 || m.NSS > 4 {
			return fmt.Errorf("vht nss %d out of range [1, 4]", m.NSS)
		}
		if m.Width != Width20 && m.Width != Width40 && m.Width != Width80 && m.Width != Width160 {
			return fmt.Errorf("vht width %d MHz not one of 20, 40, 80, 160", m.Width)
		}
		if vhtInvalid(m.Index, m.NSS, m.Width) {
			return fmt.Errorf("vht mcs %d nss %d at %d MHz is not a valid combination", m.Index, m.NSS, m.Width)
		}
	default:
		return fmt.Errorf("unknown format %d", m.Format)
	}
	return nil
}

func (m Mode) String() string {
	switch m.Format {
	case FormatDSSS, FormatOFDM:
		s := LegacyRate(m.Index).String() + "M"
		if m.ShortPreamble && m.Format == FormatDSSS {
			s += "-sp"
		}
		return s
	case FormatHT:
		s := fmt.Sprintf("ht-mcs%d/%d", m.Index, m.Width)
		if m.ShortGI {
			s += "-sgi"
		}
		if m.Greenfield {
			s += "-gf"
		}
		return s
	case FormatVHT:
		s := fmt.Sprintf("vht-mcs%dx%d/%d", m.Index, m.NSS, m.Width)
		if m.ShortGI {
			s += "-sgi"
		}
		return s
	}
	return "invalid"
}

// modcode is the modulation and BCC code rate of an OFDM-based mode.
func (m Mode) modcode() (Modulation, CodeRate) {
	switch m.Format {
	case FormatOFDM:
		if m.Index < uint8(Rate6) || m.Index > uint8(Rate54) {
			return ModBPSK, rate12 // invalid mode: any answer, no panic
		}
		e := ofdmLegacy[m.Index-uint8(Rate6)]
		return e.mod, e.code
	case FormatHT:
		e := mcsTable[m.Index%8]
		return e.mod, e.code
	case FormatVHT:
		e := mcsTable[m.Index%10]
		return e.mod, e.code
	}
	switch LegacyRate(m.Index) {
	case Rate1:
		return ModDBPSK, CodeRate{}
	case Rate2:
		return ModDQPSK, CodeRate{}
	case Rate5_5:
		return ModCCK55, CodeRate{}
	}
	return ModCCK11, CodeRate{}
}

// dataSubcarriers is N_SD for HT/VHT at a width (IEEE 802.11-2020 Table 21-5).
func dataSubcarriers(w Width) int {
	switch w {
	case Width40:
		return 108
	case Width80:
		return 234
	case Width160:
		return 468
	}
	return 52
}

// nss is the stream count (HT derives it from the MCS).
func (m Mode) nss() int {
	switch m.Format {
	case FormatHT:
		return int(m.Index/8) + 1
	case FormatVHT:
		return int(m.NSS)
	}
	return 1
}

// NDBPS is the number of data bits per OFDM symbol (all streams); 0 for DSSS.
func (m Mode) NDBPS() int {
	switch m.Format {
	case FormatOFDM:
		return int(LegacyRate(m.Index).Kbps()) * 4 / 1000
	case FormatHT, FormatVHT:
		mod, code := m.modcode()
		return dataSubcarriers(m.Width) * mod.bitsPerSubcarrier() * m.nss() * int(code.Num) / int(code.Den)
	}
	return 0
}

// Kbps is the PHY data rate in kbit/s.
func (m Mode) Kbps() uint32 {
	switch m.Format {
	case FormatHT, FormatVHT:
	default:
		return LegacyRate(m.Index).Kbps()
	}
	// N_DBPS bits per 4 µs (long GI) or 3.6 µs (short GI) symbol.
	if m.ShortGI {
		return uint32(m.NDBPS() * 10000 / 36)
	}
	return uint32(m.NDBPS() * 1000 / 4)
}

// encoders is N_ES, the number of BCC encoders: one per 300 Mbit/s for HT
// (19.3.11.2) and, as an approximation of the VHT tables, one per
// 600 Mbit/s of long-GI rate for VHT. It only changes the tail bits.
func (m Mode) encoders() int {
	switch m.Format {
	case FormatHT:
		if m.NDBPS()*1000/36 > 300000 { // short-GI rate above 300 Mbit/s
			return 2
		}
	case FormatVHT:
		r := m.NDBPS() * 1000 / 4
		return (r + 599999) / 600000
	}
	return 1
}

// ltfs is the number of HT/VHT long training fields for the stream count
// (N_LTF: 1, 2, 4, 4 for 1–4 streams).
func ltfs(nss int) int {
	switch nss {
	case 1:
		return 1
	case 2:
		return 2
	}
	return 4
}

// NonHTReference is the legacy OFDM rate with the same modulation and code
// rate (the non-HT reference rate used for control responses and for the
// legacy RX rate index); 256-QAM and 64-QAM 5/6 map to 54 Mbit/s. DSSS and
// OFDM modes return their own rate.
func (m Mode) NonHTReference() LegacyRate {
	if m.Format == FormatDSSS || m.Format == FormatOFDM {
		return LegacyRate(m.Index)
	}
	mod, code := m.modcode()
	switch mod {
	case ModBPSK:
		if code == rate34 {
			return Rate9
		}
		return Rate6
	case ModQPSK:
		if code == rate34 {
			return Rate18
		}
		return Rate12
	case ModQAM16:
		if code == rate34 {
			return Rate36
		}
		return Rate24
	case ModQAM64:
		if code == rate23 {
			return Rate48
		}
	}
	return Rate54
}
