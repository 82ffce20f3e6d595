// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

func parse(t *testing.T, b []byte) *EAPOLKey {
	t.Helper()
	k, err := ParseEAPOLKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return &k
}

func pair(t *testing.T, apPass, staPass string) (*Authenticator, *Supplicant) {
	apPMK, _ := PSK(apPass, "lab")
	staPMK, _ := PSK(staPass, "lab")
	ie := WPA2PSK().AppendIE(nil)
	aa, spa := frames.MAC{2, 0, 0, 0, 0, 0}, frames.MAC{2, 0, 0, 0, 1, 0}
	return &Authenticator{PMK: apPMK[:], AA: aa, SPA: spa, APIE: ie, STAIE: ie},
		&Supplicant{PMK: staPMK[:], AA: aa, SPA: spa, APIE: ie, STAIE: ie}
}

func TestHandshakes(t *testing.T) {
	a, s := pair(t, "correct horse", "correct horse")
	m1 := a.Message1(true)
	if k := parse(t, m1); k.Kind() != Msg1 {
		t.Fatalf("message 1 classified as %v", k.Kind())
	}
	m2, err := s.HandleMessage1(parse(t, m1))
	if err != nil {
		t.Fatal(err)
	}
	if k := parse(t, m2); k.Kind() != Msg2 {
		t.Fatalf("message 2 classified as %v", k.Kind())
	}
	if err := a.HandleMessage2(parse(t, m2), m2); err != nil {
		t.Fatal(err)
	}
	gtk := GroupKey{Key: bytes.Repeat([]byte{9}, 16), ID: 1, RSC: 42}
	m3, err := a.Message3(gtk)
	if err != nil {
		t.Fatal(err)
	}
	if k := parse(t, m3); k.Kind() != Msg3 {
		t.Fatalf("message 3 classified as %v", k.Kind())
	}
	m4, keys, err := s.HandleMessage3(parse(t, m3), m3)
	if err != nil {
		t.Fatal(err)
	}
	if *keys.PTK != a.PTK() || !bytes.Equal(keys.GTK, gtk.Key) || keys.GTKID != 1 || keys.GTKRSC != 42 {
		t.Fatalf("installed keys %+v", keys)
	}
	if k := parse(t, m4); k.Kind() != Msg4 {
		t.Fatalf("message 4 classified as %v", k.Kind())
	}
	if err := a.HandleMessage4(parse(t, m4), m4); err != nil {
		t.Fatal(err)
	}
	// A replayed message 3 is refused.
	if _, _, err := s.HandleMessage3(parse(t, m3), m3); !errors.Is(err, ErrUnexpected) {
		t.Fatalf("replayed message 3: %v", err)
	}

	g := GroupKey{Key: bytes.Repeat([]byte{7}, 16), ID: 2, RSC: 0}
	g1, err := a.GroupMessage1(g)
	if err != nil {
		t.Fatal(err)
	}
	if k := parse(t, g1); k.Kind() != Group1 {
		t.Fatalf("group message 1 classified as %v", k.Kind())
	}
	g2, keys, err := s.HandleGroupMessage1(parse(t, g1), g1)
	if err != nil {
		t.Fatal(err)
	}
	if keys.PTK != nil || !bytes.Equal(keys.GTK, g.Key) || keys.GTKID != 2 {
		t.Fatalf("group keys %+v", keys)
	}
	if k := parse(t, g2); k.Kind() != Group2 {
		t.Fatalf("group message 2 classified as %v", k.Kind())
	}
	if err := a.HandleGroupMessage2(parse(t, g2), g2); err != nil {
		t.Fatal(err)
	}
}

func TestHandshakeWrongPassphrase(t *testing.T) {
	a, s := pair(t, "correct horse", "battery staple")
	m1 := a.Message1(true)
	m2, err := s.HandleMessage1(parse(t, m1))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.HandleMessage2(parse(t, m2), m2); !errors.Is(err, ErrMICFailure) {
		t.Fatalf("message 2 with another passphrase: %v, want ErrMICFailure", err)
	}
	if _, err := a.Message3(GroupKey{Key: make([]byte, 16), ID: 1}); err == nil {
		t.Fatal("message 3 built after a MIC failure")
	}
}
