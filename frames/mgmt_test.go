// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/vmedium/vmedium/internal/testutil"
)

var testHdr = MgmtHeader{DA: macA, SA: macB, BSSID: bssid, Seq: 0x123}

// testIEs is what an AP puts in a beacon: SSID, rates (8 + 4 extended), DS.
func testIEs() []byte {
	ies := AppendSSID(nil, "vmedium")
	ies = AppendRates(ies, Rates24)
	return AppendDSParams(ies, 6)
}

// ieLayers returns the information elements gopacket decoded from p.
func ieLayers(p gopacket.Packet) []*layers.Dot11InformationElement {
	var out []*layers.Dot11InformationElement
	for _, l := range p.Layers() {
		if ie, ok := l.(*layers.Dot11InformationElement); ok {
			out = append(out, ie)
		}
	}
	return out
}

func checkMgmtHeader(t *testing.T, p gopacket.Packet, typ layers.Dot11Type) {
	t.Helper()
	d := dot11Of(p)
	if d.Type != typ {
		t.Errorf("gopacket type = %v, want %v", d.Type, typ)
	}
	hwEq(t, "Address1", d.Address1, testHdr.DA)
	hwEq(t, "Address2", d.Address2, testHdr.SA)
	hwEq(t, "Address3", d.Address3, testHdr.BSSID)
	if d.SequenceNumber != testHdr.Seq || d.FragmentNumber != 0 {
		t.Errorf("seq/frag = %d/%d, want %d/0", d.SequenceNumber, d.FragmentNumber, testHdr.Seq)
	}
}

func checkIEs(t *testing.T, p gopacket.Packet) {
	t.Helper()
	ies := ieLayers(p)
	want := []struct {
		id   layers.Dot11InformationElementID
		info []byte
	}{
		{layers.Dot11InformationElementIDSSID, []byte("vmedium")},
		{layers.Dot11InformationElementIDRates, Rates24[:8]},
		{layers.Dot11InformationElementIDDSSet, []byte{6}},
	}
	// Extended rates (50) sits between rates and DS set.
	if len(ies) != 4 {
		t.Fatalf("gopacket decoded %d IEs, want 4", len(ies))
	}
	if ies[2].ID != layers.Dot11InformationElementIDESRates || !bytes.Equal(ies[2].Info, Rates24[8:]) {
		t.Errorf("IE 2 = %v % x, want extended rates % x", ies[2].ID, ies[2].Info, Rates24[8:])
	}
	ies = append(ies[:2], ies[3])
	for i, w := range want {
		if ies[i].ID != w.id || !bytes.Equal(ies[i].Info, w.info) {
			t.Errorf("IE %d = %v % x, want %v % x", i, ies[i].ID, ies[i].Info, w.id, w.info)
		}
	}
}

func parseOK(t *testing.T, b []byte) Frame {
	t.Helper()
	f, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.TA() != testHdr.SA || f.RA() != testHdr.DA || f.BSSID() != testHdr.BSSID || f.Sequence() != testHdr.Seq {
		t.Errorf("view header RA/TA/BSSID/seq = %v/%v/%v/%d", f.RA(), f.TA(), f.BSSID(), f.Sequence())
	}
	return f
}

func TestBeaconAndProbeResponse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func([]byte, MgmtHeader, uint64, uint16, uint16, []byte) []byte
		typ   layers.Dot11Type
		sub   uint8
	}{
		{"beacon", AppendBeacon, layers.Dot11TypeMgmtBeacon, SubtypeBeacon},
		{"probe response", AppendProbeResponse, layers.Dot11TypeMgmtProbeResp, SubtypeProbeResp},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caps := CapESS | CapShortPreamble | CapShortSlot
			b := tc.build(nil, testHdr, 0x0102030405060708, 100, caps, testIEs())
			p := decodeDot11(t, b)
			checkMgmtHeader(t, p, tc.typ)
			checkIEs(t, p)
			if tc.sub == SubtypeBeacon {
				bl, ok := p.Layer(layers.LayerTypeDot11MgmtBeacon).(*layers.Dot11MgmtBeacon)
				if !ok {
					t.Fatal("no beacon layer")
				}
				if bl.Timestamp != 0x0102030405060708 || bl.Interval != 100 || bl.Flags != caps {
					t.Errorf("gopacket beacon = ts %#x int %d caps %#x", bl.Timestamp, bl.Interval, bl.Flags)
				}
			}
			f := parseOK(t, b)
			if f.Subtype() != tc.sub {
				t.Errorf("subtype %d", f.Subtype())
			}
			ts, iv, c, ies, err := f.BeaconFields()
			if err != nil || ts != 0x0102030405060708 || iv != 100 || c != caps || !bytes.Equal(ies, testIEs()) {
				t.Errorf("BeaconFields = %#x %d %#x % x %v", ts, iv, c, ies, err)
			}
		})
	}
}

func TestProbeRequest(t *testing.T) {
	ies := AppendRates(AppendSSID(nil, ""), Rates24)
	b := AppendProbeRequest(nil, testHdr, ies)
	p := decodeDot11(t, b)
	checkMgmtHeader(t, p, layers.Dot11TypeMgmtProbeReq)
	// gopacket's probe request layer keeps the elements in Contents
	// without chaining them: decode them from there.
	pr, ok := p.Layer(layers.LayerTypeDot11MgmtProbeReq).(*layers.Dot11MgmtProbeReq)
	if !ok {
		t.Fatal("no probe request layer")
	}
	got := ieLayers(gopacket.NewPacket(pr.Contents, layers.LayerTypeDot11InformationElement, gopacket.Default))
	if len(got) != 3 || got[0].ID != layers.Dot11InformationElementIDSSID || len(got[0].Info) != 0 {
		t.Fatalf("gopacket IEs = %v", got)
	}
	f := parseOK(t, b)
	if !bytes.Equal(f.ProbeReqIEs(), ies) {
		t.Errorf("ProbeReqIEs = % x", f.ProbeReqIEs())
	}
	beacon, _ := Parse(AppendBeacon(nil, testHdr, 0, 100, 0, nil))
	if beacon.ProbeReqIEs() != nil {
		t.Error("ProbeReqIEs of a beacon is not nil")
	}
}

func TestAuth(t *testing.T) {
	b := AppendAuth(nil, testHdr, AuthOpenSystem, 2, StatusSuccess)
	p := decodeDot11(t, b)
	checkMgmtHeader(t, p, layers.Dot11TypeMgmtAuthentication)
	a, ok := p.Layer(layers.LayerTypeDot11MgmtAuthentication).(*layers.Dot11MgmtAuthentication)
	if !ok {
		t.Fatal("no auth layer")
	}
	if a.Algorithm != layers.Dot11AlgorithmOpen || a.Sequence != 2 || a.Status != layers.Dot11StatusSuccess {
		t.Errorf("gopacket auth = %v %d %v", a.Algorithm, a.Sequence, a.Status)
	}
	alg, tr, st, err := parseOK(t, b).AuthFields()
	if err != nil || alg != 0 || tr != 2 || st != 0 {
		t.Errorf("AuthFields = %d %d %d %v", alg, tr, st, err)
	}
	b = AppendAuth(nil, testHdr, AuthSharedKey, 4, StatusChallengeFail)
	alg, tr, st, err = parseOK(t, b).AuthFields()
	if err != nil || alg != 1 || tr != 4 || st != 15 {
		t.Errorf("AuthFields = %d %d %d %v", alg, tr, st, err)
	}
}

func TestAssocRequest(t *testing.T) {
	ies := AppendRates(AppendSSID(nil, "vmedium"), Rates24)
	b := AppendAssocRequest(nil, testHdr, CapESS|CapShortSlot, 10, ies)
	p := decodeDot11(t, b)
	checkMgmtHeader(t, p, layers.Dot11TypeMgmtAssociationReq)
	a, ok := p.Layer(layers.LayerTypeDot11MgmtAssociationReq).(*layers.Dot11MgmtAssociationReq)
	if !ok {
		t.Fatal("no assoc req layer")
	}
	if a.CapabilityInfo != CapESS|CapShortSlot || a.ListenInterval != 10 {
		t.Errorf("gopacket assoc req = %#x %d", a.CapabilityInfo, a.ListenInterval)
	}
	if n := len(ieLayers(p)); n != 3 {
		t.Errorf("gopacket decoded %d IEs, want 3", n)
	}
	c, li, gotIEs, err := parseOK(t, b).AssocReqFields()
	if err != nil || c != CapESS|CapShortSlot || li != 10 || !bytes.Equal(gotIEs, ies) {
		t.Errorf("AssocReqFields = %#x %d % x %v", c, li, gotIEs, err)
	}

	// Reassociation request: same fields after the current AP address.
	re := append([]byte(nil), b[:28]...)
	re[0] = SubtypeReassocReq << 4
	re = append(re, bssid[:]...)
	re = append(re, ies...)
	c, li, gotIEs, err = parseOK(t, re).AssocReqFields()
	if err != nil || c != CapESS|CapShortSlot || li != 10 || !bytes.Equal(gotIEs, ies) {
		t.Errorf("reassoc AssocReqFields = %#x %d % x %v", c, li, gotIEs, err)
	}
	if _, _, _, err := parseOK(t, re[:30]).AssocReqFields(); !errors.Is(err, ErrMalformed) {
		t.Errorf("short reassoc: err = %v", err)
	}
}

func TestAssocResponse(t *testing.T) {
	ies := AppendRates(nil, Rates24)
	b := AppendAssocResponse(nil, testHdr, CapESS, StatusSuccess, 1, ies)
	p := decodeDot11(t, b)
	checkMgmtHeader(t, p, layers.Dot11TypeMgmtAssociationResp)
	a, ok := p.Layer(layers.LayerTypeDot11MgmtAssociationResp).(*layers.Dot11MgmtAssociationResp)
	if !ok {
		t.Fatal("no assoc resp layer")
	}
	if a.CapabilityInfo != CapESS || a.Status != layers.Dot11StatusSuccess || a.AID != 0xc001 {
		t.Errorf("gopacket assoc resp = %#x %v AID %#x (want 0xc001 on the wire)", a.CapabilityInfo, a.Status, a.AID)
	}
	c, st, aid, gotIEs, err := parseOK(t, b).AssocRespFields()
	if err != nil || c != CapESS || st != 0 || aid != 1 || !bytes.Equal(gotIEs, ies) {
		t.Errorf("AssocRespFields = %#x %d %d % x %v", c, st, aid, gotIEs, err)
	}
}

func TestDeauthDisassoc(t *testing.T) {
	b := AppendDeauth(nil, testHdr, ReasonDeauthLeaving)
	p := decodeDot11(t, b)
	checkMgmtHeader(t, p, layers.Dot11TypeMgmtDeauthentication)
	d, ok := p.Layer(layers.LayerTypeDot11MgmtDeauthentication).(*layers.Dot11MgmtDeauthentication)
	if !ok || d.Reason != layers.Dot11Reason(ReasonDeauthLeaving) {
		t.Errorf("gopacket deauth = %v", d)
	}
	if r, err := parseOK(t, b).ReasonCode(); err != nil || r != 3 {
		t.Errorf("ReasonCode = %d %v", r, err)
	}

	b = AppendDisassoc(nil, testHdr, ReasonInactivity)
	p = decodeDot11(t, b)
	checkMgmtHeader(t, p, layers.Dot11TypeMgmtDisassociation)
	da, ok := p.Layer(layers.LayerTypeDot11MgmtDisassociation).(*layers.Dot11MgmtDisassociation)
	if !ok || da.Reason != layers.Dot11Reason(ReasonInactivity) {
		t.Errorf("gopacket disassoc = %v", da)
	}
	if r, err := parseOK(t, b).ReasonCode(); err != nil || r != 4 {
		t.Errorf("ReasonCode = %d %v", r, err)
	}
}

func TestMgmtParsersReject(t *testing.T) {
	beacon := AppendBeacon(nil, testHdr, 1, 100, CapESS, nil)
	auth := AppendAuth(nil, testHdr, 0, 1, 0)
	deauth := AppendDeauth(nil, testHdr, 1)
	assocReq := AppendAssocRequest(nil, testHdr, 0, 0, nil)
	assocResp := AppendAssocResponse(nil, testHdr, 0, 0, 1, nil)
	protected := append([]byte(nil), auth...)
	protected[1] |= FlagProtected
	data := AppendDataHeader(nil, DataHeader{ToDS: true, Addr1: bssid, Addr2: macA, Addr3: macB})

	calls := map[string]func(Frame) error{
		"BeaconFields":    func(f Frame) error { _, _, _, _, err := f.BeaconFields(); return err },
		"AuthFields":      func(f Frame) error { _, _, _, err := f.AuthFields(); return err },
		"AssocReqFields":  func(f Frame) error { _, _, _, err := f.AssocReqFields(); return err },
		"AssocRespFields": func(f Frame) error { _, _, _, _, err := f.AssocRespFields(); return err },
		"ReasonCode":      func(f Frame) error { _, err := f.ReasonCode(); return err },
	}
	own := map[string][]byte{"BeaconFields": beacon, "AuthFields": auth, "AssocReqFields": assocReq, "AssocRespFields": assocResp, "ReasonCode": deauth}
	for name, call := range calls {
		ok := own[name]
		if err := call(parseOK(t, ok)); err != nil {
			t.Errorf("%s on its own frame: %v", name, err)
		}
		// Every body length short of the fixed fields is malformed.
		for n := 24; n < len(ok); n++ {
			f, _ := Parse(ok[:n])
			if err := call(f); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s on %d-byte frame: err = %v", name, n, err)
			}
		}
		for other, b := range own {
			if other == name {
				continue
			}
			f, _ := Parse(b)
			if err := call(f); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s on %s frame: err = %v", name, other, err)
			}
		}
		f, _ := Parse(data)
		if err := call(f); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s on data frame: err = %v", name, err)
		}
		if err := call(Frame{}); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s on zero Frame: err = %v", name, err)
		}
	}
	if _, _, _, err := parseOK(t, protected).AuthFields(); !errors.Is(err, ErrMalformed) {
		t.Errorf("protected auth: err = %v", err)
	}
}

func TestMgmtBuildersAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	buf := make([]byte, 0, 512)
	ies := testIEs()
	n := testing.AllocsPerRun(100, func() {
		b := AppendBeacon(buf[:0], testHdr, 1, 100, CapESS, ies)
		b = AppendProbeRequest(b[:0], testHdr, ies)
		b = AppendProbeResponse(b[:0], testHdr, 1, 100, CapESS, ies)
		b = AppendAuth(b[:0], testHdr, 0, 1, 0)
		b = AppendAssocRequest(b[:0], testHdr, 0, 1, ies)
		b = AppendAssocResponse(b[:0], testHdr, 0, 0, 1, ies)
		b = AppendDeauth(b[:0], testHdr, 1)
		b = AppendDisassoc(b[:0], testHdr, 1)
		b = AppendSSID(b[:0], "vmedium")
		b = AppendRates(b, Rates24)
		b = AppendDSParams(b, 1)
		b = AppendTIM(b, 0, 1, 0, nil)
		f, _ := Parse(AppendBeacon(b[:0], testHdr, 1, 100, CapESS, ies))
		_, _, _, _, _ = f.BeaconFields()
		_, _ = f.ReasonCode() // error path too
	})
	if n != 0 {
		t.Errorf("builders/parsers allocate %.1f times per run, want 0", n)
	}
}
