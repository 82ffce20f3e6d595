// SPDX-License-Identifier: MIT

package rsn

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"fmt"
)

// PSK length in bytes (the PMK of WPA2-PSK).
const PSKLen = 32

// Passphrase bounds of WPA2-PSK: 8 to 63 printable ASCII characters.
const (
	MinPassphraseLen = 8
	MaxPassphraseLen = 63
)

// CheckPassphrase reports a passphrase WPA2-PSK does not accept.
func CheckPassphrase(pass string) error {
	if len(pass) < MinPassphraseLen || len(pass) > MaxPassphraseLen {
		return fmt.Errorf("invalid WPA2 passphrase of %d characters: accepted is 8 to 63 printable ASCII characters", len(pass))
	}
	for i := 0; i < len(pass); i++ {
		if pass[i] < 32 || pass[i] > 126 {
			return fmt.Errorf("invalid WPA2 passphrase: character %d is not printable ASCII (32..126)", i+1)
		}
	}
	return nil
}

// PSK derives the pre-shared key (the PMK) from a passphrase and SSID:
// PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 iterations, 32 bytes)
// (IEEE 802.11 J.4). It uses the standard library's crypto/pbkdf2;
// golang.org/x/crypto/pbkdf2 is now only a frozen wrapper around it.
func PSK(passphrase, ssid string) ([PSKLen]byte, error) {
	var out [PSKLen]byte
	if err := CheckPassphrase(passphrase); err != nil {
		return out, err
	}
	if len(ssid) == 0 || len(ssid) > 32 {
		return out, fmt.Errorf("derive PSK: invalid SSID of %d bytes: accepted is 1 to 32", len(ssid))
	}
	k, err := pbkdf2.Key(sha1.New, passphrase, []byte(ssid), 4096, PSKLen)
	if err != nil {
		return out, fmt.Errorf("derive PSK: %w", err)
	}
	copy(out[:], k)
	return out, nil
}
