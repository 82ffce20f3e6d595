// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to every decoder in the package: Parse and
// every accessor of the view, every management *Fields parser, IterIEs and
// FindIE, DataToEthernet and ParseRadiotap (whose frame is decoded the same
// way). Nothing may panic, every error must wrap ErrMalformed, and what
// decodes must re-encode consistently. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFrame(t, data)
		rt, frame, err := ParseRadiotap(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseRadiotap error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		// Re-encoding what was decoded gives a header that decodes the same
		// (with four bytes after it, for the FCS flag's sake).
		again, _, err := ParseRadiotap(append(AppendRadiotap(nil, rt), 0, 0, 0, 0))
		if err != nil || again != normalRadiotap(rt) {
			t.Fatalf("radiotap %+v re-encodes to %+v, %v", rt, again, err)
		}
		checkFrame(t, frame)
	})
}

// normalRadiotap is rt as AppendRadiotap writes it: channel flags only
// with a frequency, signal/noise values only when present.
func normalRadiotap(rt Radiotap) Radiotap {
	if rt.FreqMHz == 0 {
		rt.ChanFlags = 0
	}
	if !rt.HasSignal {
		rt.SignalDBm = 0
	}
	if !rt.HasNoise {
		rt.NoiseDBm = 0
	}
	return rt
}

func checkFrame(t *testing.T, data []byte) {
	fr, err := Parse(data)
	if err != nil {
		if !errors.Is(err, ErrMalformed) {
			t.Fatalf("Parse error does not wrap ErrMalformed: %v", err)
		}
		return
	}
	if fr.HeaderLen() > fr.Len() || len(fr.Body()) != fr.Len()-fr.HeaderLen() {
		t.Fatalf("header length %d, frame length %d", fr.HeaderLen(), fr.Len())
	}
	_ = fr.FrameControl()
	_, _, _, _ = fr.Type(), fr.Subtype(), fr.Flags(), fr.Duration()
	_, _, _, _ = fr.ToDS(), fr.FromDS(), fr.Protected(), fr.Retry()
	_, _, _, _ = fr.IsMgmt(), fr.IsData(), fr.IsCtrl(), fr.IsQoS()
	_, _, _, _ = fr.Addr1(), fr.Addr2(), fr.Addr3(), fr.Addr4()
	_, _, _, _, _ = fr.RA(), fr.TA(), fr.DA(), fr.SA(), fr.BSSID()
	_, _, _, _ = fr.SequenceControl(), fr.Sequence(), fr.Fragment(), fr.QoSControl()
	_ = fr.TID()

	var ieSets [][]byte
	if _, _, _, ies, err := fr.BeaconFields(); mustMalformed(t, "BeaconFields", err) {
		ieSets = append(ieSets, ies)
	}
	_, _, _, err = fr.AuthFields()
	mustMalformed(t, "AuthFields", err)
	if _, _, ies, err := fr.AssocReqFields(); mustMalformed(t, "AssocReqFields", err) {
		ieSets = append(ieSets, ies)
	}
	if _, _, aid, ies, err := fr.AssocRespFields(); mustMalformed(t, "AssocRespFields", err) {
		if aid&0xc000 != 0 {
			t.Fatalf("AID %#x has bits 14-15 set", aid)
		}
		ieSets = append(ieSets, ies)
	}
	_, err = fr.ReasonCode()
	mustMalformed(t, "ReasonCode", err)
	ieSets = append(ieSets, fr.ProbeReqIEs(), fr.Body())
	for _, ies := range ieSets {
		total := 0
		var seen [256]bool
		err := IterIEs(ies, func(id uint8, d []byte) bool {
			total += 2 + len(d)
			if !seen[id] { // FindIE returns the first element with an ID
				seen[id] = true
				if got, ok := FindIE(ies, id); !ok || !bytes.Equal(got, d) {
					t.Fatalf("FindIE(%d) disagrees with IterIEs", id)
				}
			}
			return true
		})
		if mustMalformed(t, "IterIEs", err) && total != len(ies) {
			t.Fatalf("IterIEs covered %d of %d bytes without error", total, len(ies))
		}
	}

	eth, err := DataToEthernet(nil, fr)
	if !mustMalformed(t, "DataToEthernet", err) {
		return
	}
	if len(eth) != fr.Len()-fr.HeaderLen()-LLCSNAPLen+EthHeaderLen {
		t.Fatalf("Ethernet frame of %d bytes from a %d-byte body", len(eth), len(fr.Body()))
	}
	// Encoding the Ethernet frame again (in the frame's own address
	// format: three or four addresses) and decoding it gives it back.
	h := DataHeader{ToDS: fr.ToDS(), FromDS: fr.FromDS(), Addr1: fr.Addr1(), Addr2: fr.Addr2(), Addr3: fr.Addr3()}
	switch {
	case h.ToDS && h.FromDS: // WDS: all four addresses survive
		h.Addr3, h.Addr4 = fr.DA(), fr.SA()
	case h.ToDS:
		h.Addr3 = fr.DA()
	case h.FromDS:
		h.Addr3 = fr.SA()
	}
	if binary.BigEndian.Uint16(eth[12:]) < 0x0600 || h.Len()+LLCSNAPLen+len(eth)-EthHeaderLen > MaxMPDU {
		return // an 802.3 length in the SNAP type, or a body EthernetToData refuses as too long
	}
	b, err := EthernetToData(nil, h, eth)
	if err != nil {
		t.Fatalf("EthernetToData of %d-byte Ethernet frame decoded from a valid frame: %v", len(eth), err)
	}
	f2, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse of re-encoded frame: %v", err)
	}
	eth2, err := DataToEthernet(nil, f2)
	if err != nil || !bytes.Equal(eth, eth2) {
		t.Fatalf("Ethernet round trip:\n% x\n% x, %v", eth, eth2, err)
	}
	if f2.RA() != fr.RA() || f2.TA() != fr.TA() || f2.DA() != fr.DA() || f2.SA() != fr.SA() || f2.HeaderLen() != h.Len() {
		t.Fatalf("addresses after the round trip: RA %s TA %s DA %s SA %s (%d-byte header), want %s %s %s %s",
			f2.RA(), f2.TA(), f2.DA(), f2.SA(), f2.HeaderLen(), fr.RA(), fr.TA(), fr.DA(), fr.SA())
	}
}

// FuzzWDSData builds four-address (ToDS and FromDS) data frames from
// arbitrary addresses and Ethernet frames, and parses them back: the
// header is 30 bytes, RA/TA/DA/SA come back as built, the BSSID is zero,
// and the Ethernet frame survives (or EthernetToData refuses it without
// touching dst).
func FuzzWDSData(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 9, 0}, uint16(7), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 9, 0, 0x08, 0x06, 1, 2, 3})
	f.Add(make([]byte, 24), uint16(0), []byte{})
	f.Fuzz(func(t *testing.T, addrs []byte, seq uint16, eth []byte) {
		if len(addrs) < 24 {
			return
		}
		h := DataHeader{ToDS: true, FromDS: true, Seq: seq & 0xfff}
		copy(h.Addr1[:], addrs[0:6])
		copy(h.Addr2[:], addrs[6:12])
		copy(h.Addr3[:], addrs[12:18])
		copy(h.Addr4[:], addrs[18:24])
		b, err := EthernetToData(nil, h, eth)
		if err != nil {
			if !errors.Is(err, ErrEthernet) || b != nil {
				t.Fatalf("EthernetToData: %v (dst %x)", err, b)
			}
			return
		}
		fr, err := Parse(b)
		if err != nil {
			t.Fatalf("Parse of a built four-address frame: %v", err)
		}
		if fr.HeaderLen() != DataHeaderLen4 || !fr.ToDS() || !fr.FromDS() || fr.Sequence() != h.Seq {
			t.Fatalf("header: %d bytes, ToDS %v FromDS %v, seq %d", fr.HeaderLen(), fr.ToDS(), fr.FromDS(), fr.Sequence())
		}
		if fr.RA() != h.Addr1 || fr.TA() != h.Addr2 || fr.DA() != h.Addr3 || fr.SA() != h.Addr4 || !fr.BSSID().IsZero() {
			t.Fatalf("addresses RA %s TA %s DA %s SA %s BSSID %s, built from %+v", fr.RA(), fr.TA(), fr.DA(), fr.SA(), fr.BSSID(), h)
		}
		eth2, err := DataToEthernet(nil, fr)
		if err != nil {
			t.Fatalf("DataToEthernet: %v", err)
		}
		want := append(append(append([]byte(nil), h.Addr3[:]...), h.Addr4[:]...), eth[12:]...)
		if !bytes.Equal(eth2, want) {
			t.Fatalf("Ethernet frame\n% x\nwant\n% x", eth2, want)
		}
	})
}

// mustMalformed fails the test if err is set but does not wrap
// ErrMalformed, and reports whether err is nil.
func mustMalformed(t *testing.T, what string, err error) bool {
	if err != nil && !errors.Is(err, ErrMalformed) {
		t.Fatalf("%s error does not wrap ErrMalformed: %v", what, err)
	}
	return err == nil
}
