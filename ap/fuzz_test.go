// SPDX-License-Identifier: MIT

package ap_test

import (
	"testing"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
)

// FuzzMACDeliver hands arbitrary frames, as if heard on the air, to a
// running AP (with an associated station) and to that station. Seeds are
// well-formed frames of every kind the MACs handle, addressed so that they
// reach the state machines; the fuzzer mutates them. Nothing may panic and
// Deliver never fails: malformed frames are counted and dropped.
func FuzzMACDeliver(f *testing.F) {
	me := mactest.Addr(7)
	h := frames.MgmtHeader{DA: apAddr, SA: me, BSSID: apAddr}
	toSTA := frames.MgmtHeader{DA: sta1, SA: apAddr, BSSID: apAddr}
	ies := frames.AppendDSParams(frames.AppendRates(frames.AppendSSID(nil, "vmedium"), []uint8{0x82, 0x84}), 6)
	eth := mactest.Eth(sta2, me, []byte("payload"))
	toDS, _ := frames.EthernetToData(nil, frames.DataHeader{ToDS: true, Addr1: apAddr, Addr2: sta1, Addr3: sta2}, eth)
	fromDS, _ := frames.EthernetToData(nil, frames.DataHeader{FromDS: true, Addr1: sta1, Addr2: apAddr, Addr3: me}, eth)
	// WPA2: EAPOL-Key messages in data frames, a protected data frame.
	m1 := (&rsn.EAPOLKey{Info: rsn.KeyDescriptorV2 | rsn.KeyInfoPairwise | rsn.KeyInfoAck, KeyLen: 16, ReplayCounter: 9}).Append(nil)
	m2 := (&rsn.EAPOLKey{Info: rsn.KeyDescriptorV2 | rsn.KeyInfoPairwise | rsn.KeyInfoMIC, ReplayCounter: 1, Data: rsn.WPA2PSK().AppendIE(nil)}).Append(nil)
	eapolToSTA := rsn.AppendEAPOLData(nil, frames.DataHeader{FromDS: true, Addr1: sta1, Addr2: apAddr, Addr3: apAddr}, m1)
	eapolToAP := rsn.AppendEAPOLData(nil, frames.DataHeader{ToDS: true, Addr1: apAddr, Addr2: sta1, Addr3: apAddr}, m2)
	k, _ := rsn.NewKey(make([]byte, 16), 0)
	protected, _ := k.Encrypt(append(make([]byte, 0, len(toDS)+rsn.CCMPOverhead), toDS...))
	rsnIEs := rsn.WPA2PSK().AppendIE(append([]byte(nil), ies...))
	for _, seed := range [][]byte{
		frames.AppendBeacon(nil, frames.MgmtHeader{DA: frames.Broadcast, SA: apAddr, BSSID: apAddr}, 1, 100, 1, ies),
		frames.AppendProbeRequest(nil, frames.MgmtHeader{DA: frames.Broadcast, SA: me, BSSID: frames.Broadcast}, ies),
		frames.AppendProbeResponse(nil, toSTA, 1, 100, 1, ies),
		frames.AppendAuth(nil, h, frames.AuthOpenSystem, 1, 0),
		frames.AppendAuth(nil, toSTA, frames.AuthOpenSystem, 2, 0),
		frames.AppendAssocRequest(nil, h, 1, 10, ies),
		frames.AppendAssocResponse(nil, toSTA, 1, 0, 1, ies),
		frames.AppendDeauth(nil, toSTA, 3),
		frames.AppendDisassoc(nil, h, 8),
		toDS, fromDS, eapolToSTA, eapolToAP, protected,
		frames.AppendBeacon(nil, frames.MgmtHeader{DA: frames.Broadcast, SA: apAddr, BSSID: apAddr}, 1, 100, 0x11, rsnIEs),
		frames.AppendAssocRequest(nil, h, 0x11, 10, rsnIEs),
		nil, {0x08}, {0xb0, 0, 0, 0},
	} {
		f.Add(seed, int8(-50))
	}
	// One AP and one associated station per fuzzing process (the body
	// of a fuzz test runs once per worker): their state carries over from
	// input to input, which is what shakes the state machines. Closed by
	// f's cleanup.
	m := medium.New(medium.Options{Seed: 1})
	a, _ := startAP(f, m, ap.Config{}, &mactest.Recorder{})
	s := startSTA(f, m, "vw1", staConfig(sta1), &mactest.Recorder{})
	// The same on a WPA2 network: handshakes and CCMP take the input too.
	mw := medium.New(medium.Options{Seed: 1})
	aw, _ := startAP(f, mw, wpaAP(ap.Config{}), &mactest.Recorder{})
	sw := startSTA(f, mw, "vw1", wpaSTA(sta1, labPass), &mactest.Recorder{})
	f.Fuzz(func(t *testing.T, b []byte, signal int8) {
		rx := medium.RxInfo{SignalDBm: int32(signal), FreqMHz: frames.ChannelToFreq(6)}
		if err := a.Deliver(b, rx); err != nil {
			t.Fatalf("AP Deliver(% x) = %v", b, err)
		}
		if err := s.Deliver(b, rx); err != nil {
			t.Fatalf("STA Deliver(% x) = %v", b, err)
		}
		if err := aw.Deliver(b, rx); err != nil {
			t.Fatalf("WPA2 AP Deliver(% x) = %v", b, err)
		}
		if err := sw.Deliver(b, rx); err != nil {
			t.Fatalf("WPA2 STA Deliver(% x) = %v", b, err)
		}
		_ = a.Stations()
		_ = s.MACStatus()
	})
}
