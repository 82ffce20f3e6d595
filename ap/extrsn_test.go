// SPDX-License-Identifier: MIT

package ap_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

// TestExternalAuthenticator runs the AP and a station the way the kmod
// backend does under hostapd and wpa_supplicant: both MACs get a key
// table (Config.Keys) and the handshake is someone else's. Before keys,
// EAPOL passes in the clear to both stacks and other data is refused;
// once the test installs the same keys in both tables (as the daemons
// would) and opens the AP's port, data crosses the air protected only.
func TestExternalAuthenticator(t *testing.T) {
	m := medium.New(medium.Options{})
	o := &air{}
	m.AddObserver(o)
	apKeys, staKeys := new(rsn.KeyTable), new(rsn.KeyTable)
	ie := rsn.WPA2PSK().AppendIE(nil)
	apUp, up := &mactest.Recorder{}, &mactest.Recorder{}
	a, _ := startAP(t, m, ap.Config{Keys: apKeys, RSNIE: ie}, apUp)
	if c := a.MACStatus().Cipher; c != "CCMP" {
		t.Errorf("AP cipher %q, want CCMP", c)
	}

	cfg := staConfig(sta1)
	cfg.Keys = staKeys
	s, err := sta.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	s.SetAssocIEs(ie)
	r := mactest.AddRadio(t, m, "vw1", sta1, s)
	s.Attach(r)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := s.WaitAssociated(ctx); err != nil {
		t.Fatal(err) // associated at once: the handshake is the supplicant's
	}
	st, ok := a.Station(sta1)
	if !ok || !bytes.Equal(st.RSNIE, ie) {
		t.Fatalf("AP's station %+v (ok %v): want the station's RSN element %x for the authenticator", st, ok, ie)
	}

	eapol := func(dst, src frames.MAC, body string) []byte {
		e := mactest.Eth(dst, src, []byte(body))
		e[12], e[13] = rsn.EtherTypeEAPOL>>8, rsn.EtherTypeEAPOL&0xff
		return e
	}
	// EAPOL both ways in the clear; data refused both ways.
	m1, m2 := eapol(sta1, apAddr, "message 1"), eapol(apAddr, sta1, "message 2")
	if err := a.SendEthernet(m1); err != nil {
		t.Fatalf("EAPOL from the authenticator before keys: %v", err)
	}
	if err := s.SendEthernet(m2); err != nil {
		t.Fatalf("EAPOL from the supplicant before keys: %v", err)
	}
	mactest.Eventually(t, waitLong, "EAPOL at both stacks", func() bool {
		return up.Count(m1[14:]) == 1 && apUp.Count(m2[14:]) == 1
	})
	if err := s.SendEthernet(mactest.Eth(apAddr, sta1, []byte("early data"))); !errors.Is(err, sta.ErrNotAuthorized) {
		t.Errorf("station data before keys: %v, want ErrNotAuthorized", err)
	}
	if err := a.SendEthernet(mactest.Eth(sta1, apAddr, []byte("early data"))); !errors.Is(err, ap.ErrNotAuthorized) {
		t.Errorf("AP data before authorization: %v, want ErrNotAuthorized", err)
	}

	tk := bytes.Repeat([]byte{0x11}, 16)
	gtk := bytes.Repeat([]byte{0x22}, 16)
	for _, err := range []error{
		apKeys.SetPairwise(sta1, tk), apKeys.SetGroup(1, gtk, 0), apKeys.SetDefaultGroup(1),
		staKeys.SetPairwise(apAddr, tk), staKeys.SetGroup(1, gtk, 0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The station's port follows its pairwise key; the AP's waits for
	// the authenticator.
	secret := []byte("this payload must never appear in the clear on the air")
	toAP := mactest.Eth(apAddr, sta1, append([]byte("to ap "), secret...))
	dropped := a.Counters()["unauthorized_dropped"]
	if err := s.SendEthernet(toAP); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "the AP drops the station's data at its closed port", func() bool {
		return a.Counters()["unauthorized_dropped"] == dropped+1
	})
	if apUp.Count(toAP[14:]) != 0 {
		t.Fatal("data from a station whose port is closed reached the AP's stack")
	}
	if !a.Authorize(sta1, true) {
		t.Fatal("Authorize: station not found")
	}
	for _, c := range []struct {
		send func([]byte) error
		eth  []byte
		up   *mactest.Recorder
	}{
		{s.SendEthernet, toAP, apUp},
		{a.SendEthernet, mactest.Eth(sta1, apAddr, append([]byte("to sta "), secret...)), up},
		{a.SendEthernet, mactest.Eth(frames.Broadcast, apAddr, append([]byte("group "), secret...)), up},
	} {
		if err := c.send(c.eth); err != nil {
			t.Fatal(err)
		}
		mactest.Eventually(t, waitLong, "delivery of "+string(c.eth[14:20]), func() bool { return c.up.Count(c.eth[14:]) == 1 })
	}
	var protected int
	for _, f := range o.data(func(f frames.Frame) bool { return f.Subtype()&0x4 == 0 }) {
		if bytes.Contains(f.Bytes(), secret) {
			t.Fatalf("plaintext on the air: %x", f.Bytes())
		}
		if f.Protected() {
			protected++
		}
	}
	if protected < 4 {
		t.Errorf("%d protected data frames on the air, want at least 4", protected)
	}
	if c := s.MACStatus().Cipher; c != "CCMP" {
		t.Errorf("station cipher %q once keyed, want CCMP", c)
	}

	// A new association starts unkeyed on both sides, so the next
	// handshake's message 2 goes in the clear (a peer that dropped its
	// keys could not read it otherwise).
	if err := s.Disconnect(); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "the AP forgets the station", func() bool { _, ok := a.Station(sta1); return !ok })
	if err := s.Connect("vmedium"); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), waitLong)
	defer cancel2()
	if err := s.WaitAssociated(ctx2); err != nil {
		t.Fatal(err)
	}
	mactest.Eventually(t, waitLong, "the AP admits the station again", func() bool { _, ok := a.Station(sta1); return ok })
	if _, ok := staKeys.Pairwise(apAddr); ok {
		t.Error("the station kept its pairwise key across associations")
	}
	if _, ok := apKeys.Pairwise(sta1); ok {
		t.Error("the AP kept the station's pairwise key across associations")
	}
}

// startExtSTA starts a station whose supplicant is external (Keys), with
// the RSN element ie in its association requests.
func startExtSTA(t testing.TB, m *medium.Medium, name string, addr frames.MAC, keys *rsn.KeyTable, ie []byte, up sta.Uplink) *sta.STA {
	t.Helper()
	cfg := staConfig(addr)
	cfg.Keys = keys
	s, err := sta.New(cfg, up)
	if err != nil {
		t.Fatal(err)
	}
	s.SetAssocIEs(ie)
	r := mactest.AddRadio(t, m, name, addr, s)
	s.Attach(r)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := s.WaitAssociated(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// externalPair is an AP and two stations keyed as hostapd and
// wpa_supplicant would key them (distinct PTKs, one GTK), ports open.
func externalPair(t testing.TB, m *medium.Medium, apUp ap.Uplink, up1, up2 sta.Uplink) (*ap.AP, *sta.STA, *sta.STA) {
	t.Helper()
	ie := rsn.WPA2PSK().AppendIE(nil)
	apKeys, k1, k2 := new(rsn.KeyTable), new(rsn.KeyTable), new(rsn.KeyTable)
	a, _ := startAP(t, m, ap.Config{Keys: apKeys, RSNIE: ie}, apUp)
	s1 := startExtSTA(t, m, "vw1", sta1, k1, ie, up1)
	s2 := startExtSTA(t, m, "vw2", sta2, k2, ie, up2)
	tk1, tk2, gtk := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16), bytes.Repeat([]byte{3}, 16)
	for _, err := range []error{
		apKeys.SetPairwise(sta1, tk1), apKeys.SetPairwise(sta2, tk2), apKeys.SetGroup(1, gtk, 0), apKeys.SetDefaultGroup(1),
		k1.SetPairwise(apAddr, tk1), k1.SetGroup(1, gtk, 0), k2.SetPairwise(apAddr, tk2), k2.SetGroup(1, gtk, 0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	a.Authorize(sta1, true)
	a.Authorize(sta2, true)
	return a, s1, s2
}

// BenchmarkRelayUnicastExternalKeys is BenchmarkRelayUnicastCCMP with the
// keys installed from outside (the kmod backend under hostapd and
// wpa_supplicant): the AP decrypts, then encrypts again for STA2.
func BenchmarkRelayUnicastExternalKeys(b *testing.B) {
	m := medium.New(medium.Options{})
	var got int
	nop := func([]byte) error { return nil }
	_, s1, _ := externalPair(b, m, ap.UplinkFunc(nop), sta.UplinkFunc(nop), sta.UplinkFunc(func([]byte) error { got++; return nil }))
	eth := mactest.Eth(sta2, sta1, make([]byte, 1486))
	sendFrames(b, s1.SendEthernet, eth, &got, "STA2")
}

func TestExternalKeysDataPathAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	m := medium.New(medium.Options{})
	nop := func([]byte) error { return nil }
	var got2 int
	a, s1, _ := externalPair(t, m, ap.UplinkFunc(nop), sta.UplinkFunc(nop), sta.UplinkFunc(func([]byte) error { got2++; return nil }))
	checkDataPathAllocs(t, a, s1, " with external keys")
	if got2 == 0 {
		t.Error("STA2 received nothing: the frames were dropped, not carried")
	}
}
