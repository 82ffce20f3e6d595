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
}
