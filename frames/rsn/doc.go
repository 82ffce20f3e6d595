// SPDX-License-Identifier: MIT

// Package rsn is the WPA2-PSK (RSN) security of vmedium's userspace MACs:
// the RSN element, the key hierarchy (passphrase → PSK → PTK → KCK/KEK/TK,
// random GTK), the EAPOL-Key frames of the 4-way and group key handshakes,
// AES key wrap for their key data, and CCMP-128 encryption of data frames
// with per-key packet-number replay checks.
//
// It is the "firmware" crypto that both the Go AP/STA (ap, sta) and the
// kmod backend use: a Key is one installed temporal key (pairwise for a
// peer, or a group key by key index) that encrypts and decrypts frames in
// place without allocating. Only CCMP-128 with AKM PSK (key descriptor
// version 2: HMAC-SHA1-128 MIC, AES key wrap) is implemented, the suite
// hostapd and wpa_supplicant choose for `wpa=2 wpa_key_mgmt=WPA-PSK
// rsn_pairwise=CCMP`.
//
// Everything is written from the standard (IEEE Std 802.11-2020 clause
// 12) and RFCs 3394 and 3610 on the standard library's crypto/aes,
// crypto/hmac and crypto/pbkdf2, and checked against their published test
// vectors.
package rsn
