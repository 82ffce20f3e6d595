// SPDX-License-Identifier: MIT

package sta_test

import (
	"testing"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

// On a WPA2 network the connect event comes after the 4-way handshake
// (what a kmod connect result needs: data can flow) and the station
// reports CCMP.
func TestWPA2EventsAndStatus(t *testing.T) {
	m := medium.New(medium.Options{})
	apAddr := mactest.Addr(0)
	startAP(t, m, "vw0", ap.Config{SSID: "sec", Channel: 6, Addr: apAddr, Passphrase: "station-test-pass", EAPOLTimeout: 100 * time.Millisecond})
	var ev events
	cfg := fastSTA("sec", 6, mactest.Addr(1))
	cfg.Passphrase = "station-test-pass"
	cfg.OnEvent = func(e sta.Event) {
		if e.Type == sta.EventConnected && e.SSID == "sec" {
			ev.add(e)
		}
	}
	s, _, _ := startSTA(t, m, "vw1", cfg)
	mactest.Eventually(t, waitLong, "connected event", func() bool {
		_, ok := ev.find(sta.EventConnected)
		return ok
	})
	st := s.MACStatus()
	if st.Cipher != "CCMP" || st.State != "associated" {
		t.Errorf("status %+v, want associated with CCMP", st)
	}
	if sta.Handshaking.String() != "4-way-handshake" {
		t.Errorf("state name %q", sta.Handshaking)
	}
	if err := s.SendEthernet(mactest.Eth(apAddr, mactest.Addr(1), []byte("hi"))); err != nil {
		t.Fatal(err)
	}
}

// A wrong passphrase: connect failures with the 4-way handshake timeout
// (or the AP's deauthentication), never a connect event.
func TestWPA2WrongPassphraseEvents(t *testing.T) {
	m := medium.New(medium.Options{})
	apAddr := mactest.Addr(0)
	startAP(t, m, "vw0", ap.Config{SSID: "sec", Channel: 6, Addr: apAddr, Passphrase: "station-test-pass",
		EAPOLTimeout: 30 * time.Millisecond, EAPOLAttempts: 2})
	var ev events
	cfg := fastSTA("sec", 6, mactest.Addr(1))
	cfg.Passphrase = "another-passphrase"
	cfg.HandshakeTimeout = 500 * time.Millisecond
	cfg.OnEvent = func(e sta.Event) { ev.add(e) }
	s, up, _ := startSTA(t, m, "vw1", cfg)
	mactest.Eventually(t, waitLong, "a failed connection", func() bool {
		e, ok := ev.find(sta.EventConnectFailed)
		// Reason 15 either way: the AP gave up on message 2, or the
		// station on message 3.
		return ok && e.BSSID == apAddr && e.Reason == rsn.Reason4WayTimeout
	})
	if _, ok := ev.find(sta.EventConnected); ok {
		t.Fatal("connect event with a wrong passphrase")
	}
	if _, ok := ev.find(sta.EventDisconnected); ok {
		t.Fatal("disconnect event without a connect event")
	}
	if s.Counters()["handshake_failures"] == 0 {
		t.Error("handshake failure not counted")
	}
	if len(up.Frames()) != 0 {
		t.Error("frames reached the station's stack")
	}
}

// An open station does not pick a WPA2 BSS, a WPA2 station does not pick
// an open one.
func TestSecurityMatching(t *testing.T) {
	m := medium.New(medium.Options{})
	startAP(t, m, "vw0", ap.Config{SSID: "sec", Channel: 6, Addr: mactest.Addr(0), Passphrase: "station-test-pass"})
	startAP(t, m, "vw9", ap.Config{SSID: "open", Channel: 6, Addr: mactest.Addr(9)})
	cfg := fastSTA("open", 6, mactest.Addr(1))
	cfg.Passphrase = "station-test-pass"
	s, _, _ := startSTA(t, m, "vw1", cfg)
	time.Sleep(300 * time.Millisecond)
	if _, ok := s.BSSID(); ok {
		t.Error("a WPA2 station joined an open network")
	}
	if err := s.Connect("sec"); err != nil {
		t.Fatal(err)
	}
	waitAssoc(t, s)
	if b := bssidOf(s); b != mactest.Addr(0) {
		t.Errorf("joined %s", b)
	}
}
