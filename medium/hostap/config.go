// SPDX-License-Identifier: MIT

package hostap

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
)

// MaxSSIDLen is the longest SSID 802.11 allows, in bytes.
const MaxSSIDLen = 32

// ValidateSSID accepts 1 to 32 bytes of any value: configurations carry the
// SSID hex-encoded, so nothing in it needs escaping.
func ValidateSSID(ssid string) error {
	if n := len(ssid); n < 1 || n > MaxSSIDLen {
		return fmt.Errorf("SSID %q of %d bytes: accepted are 1 to %d bytes", ssid, n, MaxSSIDLen)
	}
	return nil
}

// ValidatePassphrase accepts a WPA2-PSK passphrase: 8 to 63 printable
// ASCII characters (IEEE 802.11i; a 64-character key would be a raw hex
// PSK, which is not what a passphrase field means). "" means an open
// network and is accepted.
func ValidatePassphrase(p string) error {
	if p == "" {
		return nil
	}
	if n := len(p); n < 8 || n > 63 {
		return fmt.Errorf("passphrase of %d characters: WPA2-PSK accepts 8 to 63 (none: an open network)", n)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("passphrase character %d is byte %#02x: accepted are printable ASCII characters (space to ~)", i+1, c)
		}
	}
	return nil
}

// validCtrlDir refuses a control directory a configuration line cannot
// hold (a newline would start a line of its own).
func validCtrlDir(dir string) error {
	if dir == "" || !filepath.IsAbs(dir) {
		return fmt.Errorf("control directory %q: accepted is an absolute path", dir)
	}
	if strings.ContainsAny(dir, "\n\r\x00") {
		return fmt.Errorf("control directory %q: it must not contain a newline or NUL", dir)
	}
	return nil
}

// validIfname refuses what Linux does not accept as an interface name.
func validIfname(name string) error {
	if name == "" || len(name) > 15 || strings.ContainsAny(name, "/ \t\n\r\x00:") {
		return fmt.Errorf("interface name %q: accepted are 1 to 15 characters without '/', ':' or white space", name)
	}
	return nil
}

// APConfig describes one hostapd access point.
type APConfig struct {
	Interface  string // the radio's interface (in the daemon's namespace)
	CtrlDir    string // ctrl_interface: the control socket is CtrlDir/Interface
	SSID       string
	Channel    int    // 2.4 GHz channel 1-14
	Passphrase string // WPA2-PSK (CCMP) with it, open without
}

// Validate reports the first field hostapd would not accept.
func (c APConfig) Validate() error {
	if err := validIfname(c.Interface); err != nil {
		return err
	}
	if err := validCtrlDir(c.CtrlDir); err != nil {
		return err
	}
	if err := ValidateSSID(c.SSID); err != nil {
		return err
	}
	if c.Channel < 1 || c.Channel > 14 {
		return fmt.Errorf("channel %d: accepted are 2.4 GHz channels 1 to 14", c.Channel)
	}
	return ValidatePassphrase(c.Passphrase)
}

// Render returns hostapd.conf for c.
func (c APConfig) Render() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("hostapd config: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "interface=%s\ndriver=nl80211\nctrl_interface=%s\n", c.Interface, c.CtrlDir)
	// ssid2 without quotes is hex: any byte of the SSID is safe.
	fmt.Fprintf(&b, "ssid2=%s\nhw_mode=g\nchannel=%d\nauth_algs=1\n", hex.EncodeToString([]byte(c.SSID)), c.Channel)
	if c.Passphrase != "" {
		fmt.Fprintf(&b, "wpa=2\nwpa_key_mgmt=WPA-PSK\nrsn_pairwise=CCMP\nwpa_passphrase=%s\n", c.Passphrase)
	}
	return []byte(b.String()), nil
}

// STAConfig describes one wpa_supplicant network.
type STAConfig struct {
	CtrlDir    string // ctrl_interface: the control socket is CtrlDir/<interface>
	SSID       string
	Passphrase string // WPA2-PSK (CCMP) with it, open without
	FreqMHz    int    // when not 0, scan only this frequency (a full scan is slow under emulation)
}

// Validate reports the first field wpa_supplicant would not accept.
func (c STAConfig) Validate() error {
	if err := validCtrlDir(c.CtrlDir); err != nil {
		return err
	}
	if err := ValidateSSID(c.SSID); err != nil {
		return err
	}
	if c.FreqMHz < 0 || c.FreqMHz > 7125 {
		return fmt.Errorf("frequency %d MHz: accepted are 0 (any) to 7125", c.FreqMHz)
	}
	return ValidatePassphrase(c.Passphrase)
}

// Render returns wpa_supplicant.conf for c.
func (c STAConfig) Render() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("wpa_supplicant config: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ctrl_interface=%s\nnetwork={\n", c.CtrlDir)
	// An unquoted ssid is hex: any byte of the SSID is safe.
	fmt.Fprintf(&b, "\tssid=%s\n", hex.EncodeToString([]byte(c.SSID)))
	if c.Passphrase != "" {
		// A quoted string ends at the line's last '"': the printable
		// ASCII ValidatePassphrase allows needs no escaping.
		fmt.Fprintf(&b, "\tkey_mgmt=WPA-PSK\n\tproto=RSN\n\tpairwise=CCMP\n\tgroup=CCMP\n\tpsk=\"%s\"\n", c.Passphrase)
	} else {
		b.WriteString("\tkey_mgmt=NONE\n")
	}
	if c.FreqMHz != 0 {
		fmt.Fprintf(&b, "\tscan_freq=%d\n", c.FreqMHz)
	}
	b.WriteString("}\n")
	return []byte(b.String()), nil
}
