// SPDX-License-Identifier: MIT

package hostap

import (
	"strings"
	"testing"
)

func TestAPConfigRender(t *testing.T) {
	c := APConfig{Interface: "vw0", CtrlDir: "/run/v/hostapd", SSID: "vmedium", Channel: 6, Passphrase: "secret passphrase"}
	b, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	want := "interface=vw0\ndriver=nl80211\nctrl_interface=/run/v/hostapd\nssid2=766d656469756d\nhw_mode=g\nchannel=6\nauth_algs=1\n" +
		"wpa=2\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nwpa_passphrase=secret passphrase\n"
	if string(b) != want {
		t.Fatalf("hostapd.conf:\n%s\nwant:\n%s", b, want)
	}
	c.Passphrase = ""
	b, _ = c.Render()
	if strings.Contains(string(b), "wpa") {
		t.Fatalf("open network with WPA lines:\n%s", b)
	}
}

func TestSTAConfigRender(t *testing.T) {
	c := STAConfig{CtrlDir: "/run/v/wpa-vw1", SSID: "vmedium", Passphrase: `pa"ss#word`, FreqMHz: 2437}
	b, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	want := "ctrl_interface=/run/v/wpa-vw1\nnetwork={\n\tssid=766d656469756d\n\tkey_mgmt=WPA-PSK\n\tproto=RSN\n\tpairwise=CCMP\n\tgroup=CCMP\n\tpsk=\"pa\"ss#word\"\n\tscan_freq=2437\n}\n"
	if string(b) != want {
		t.Fatalf("wpa_supplicant.conf:\n%s\nwant:\n%s", b, want)
	}
	c.Passphrase, c.FreqMHz = "", 0
	b, _ = c.Render()
	if !strings.Contains(string(b), "key_mgmt=NONE") || strings.Contains(string(b), "psk") || strings.Contains(string(b), "scan_freq") {
		t.Fatalf("open network:\n%s", b)
	}
}

// An SSID is hex in both files: newlines, quotes and '#' cannot make a
// line of their own.
func TestSSIDEscaped(t *testing.T) {
	evil := "x\nctrl_interface=/tmp\"#"
	ap, err := APConfig{Interface: "vw0", CtrlDir: "/c", SSID: evil, Channel: 1}.Render()
	if err != nil {
		t.Fatal(err)
	}
	sta, err := STAConfig{CtrlDir: "/c", SSID: evil}.Render()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"hostapd": ap, "wpa_supplicant": sta} {
		if n := strings.Count(string(b), "ctrl_interface="); n != 1 {
			t.Errorf("%s config has %d ctrl_interface lines:\n%s", name, n, b)
		}
		if !strings.Contains(string(b), "780a6374726c5f696e746572666163653d2f746d702223") {
			t.Errorf("%s config without the hex SSID:\n%s", name, b)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	ap := APConfig{Interface: "vw0", CtrlDir: "/c", SSID: "s", Channel: 6}
	sta := STAConfig{CtrlDir: "/c", SSID: "s"}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"empty SSID", func() error { c := ap; c.SSID = ""; _, err := c.Render(); return err }(), "accepted are 1 to 32 bytes"},
		{"long SSID", func() error { c := sta; c.SSID = strings.Repeat("s", 33); _, err := c.Render(); return err }(), "accepted are 1 to 32 bytes"},
		{"short passphrase", func() error { c := ap; c.Passphrase = "short"; _, err := c.Render(); return err }(), "WPA2-PSK accepts 8 to 63"},
		{"long passphrase", func() error { c := sta; c.Passphrase = strings.Repeat("p", 64); _, err := c.Render(); return err }(), "8 to 63"},
		{"newline in passphrase", func() error { c := ap; c.Passphrase = "password\nx=1"; _, err := c.Render(); return err }(), "printable ASCII"},
		{"non-ASCII passphrase", func() error { c := sta; c.Passphrase = "pässwörter"; _, err := c.Render(); return err }(), "printable ASCII"},
		{"channel", func() error { c := ap; c.Channel = 36; _, err := c.Render(); return err }(), "channels 1 to 14"},
		{"interface", func() error { c := ap; c.Interface = "vw0\nx"; _, err := c.Render(); return err }(), "interface name"},
		{"relative ctrl dir", func() error { c := sta; c.CtrlDir = "run"; _, err := c.Render(); return err }(), "absolute path"},
		{"newline in ctrl dir", func() error { c := ap; c.CtrlDir = "/a\nb"; _, err := c.Render(); return err }(), "newline"},
		{"frequency", func() error { c := sta; c.FreqMHz = -1; _, err := c.Render(); return err }(), "frequency"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
	// The fix's own words: "8 to 63" with what an empty one means.
	if err := ValidatePassphrase("short"); !strings.Contains(err.Error(), "none: an open network") {
		t.Errorf("passphrase error %q does not say what none means", err)
	}
}
