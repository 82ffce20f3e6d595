#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kmod-wpa2.host.sh: the host half of kmod-wpa2. The capture of vw1's
# reassociation and pings (vmedium.ko radios, hostapd and wpa_supplicant
# in charge, CCMP by the Go "firmware") must decode in tshark without a
# malformed frame, hold the 4-way handshake, carry no unprotected data
# frame after it, and decrypt with the passphrase and SSID.
set -euo pipefail
dir="${1:?usage: kmod-wpa2.host.sh OUTDIR}"
pcap="$dir/kmod-wpa2.pcap"
[ -s "$pcap" ] || { echo "no capture at $pcap"; exit 1; }
command -v tshark >/dev/null || { echo "tshark is needed on the host (apt-get install tshark)"; exit 1; }
key='wpa-pwd:vmedium-passphrase:vmedium'
ts() { tshark -r "$pcap" -o wlan.enable_decryption:TRUE -o "uat:80211_keys:\"wpa-pwd\",\"vmedium-passphrase:vmedium\"" "$@" 2>/dev/null; }
count() { ts -Y "$1" | wc -l; }
total="$(count frame)"
malformed="$(count _ws.malformed)"
eapol="$(count eapol)"
protected="$(count 'wlan.fc.type == 2 && wlan.fc.protected == 1')"
# the last EAPOL frame (message 4) ends the handshake; after it, data
# frames other than EAPOL and null functions must all be protected
last="$(ts -Y eapol -T fields -e frame.number | tail -n 1)"
[ -n "$last" ] || { echo "no EAPOL frame in the capture"; exit 1; }
clear="$(count "frame.number > $last && wlan.fc.type == 2 && !(wlan.fc.subtype & 4) && wlan.fc.protected == 0")"
decrypted="$(count 'wlan.fc.protected == 1 && (icmp || arp || ip)')"
echo "tshark: $total frames, $malformed malformed, $eapol EAPOL, $protected protected data, $clear unprotected data after the handshake, $decrypted decrypted with $key"
[ "$total" -gt 0 ] || { echo "tshark decoded no frames"; exit 1; }
[ "$malformed" = 0 ] || { ts -Y _ws.malformed | head; echo "malformed frames in the capture"; exit 1; }
[ "$eapol" -ge 4 ] || { echo "want the 4-way handshake (>= 4 EAPOL frames), got $eapol"; exit 1; }
[ "$protected" -gt 0 ] || { echo "no protected data frames in the capture"; exit 1; }
[ "$clear" = 0 ] || { ts -Y "frame.number > $last && wlan.fc.type == 2 && !(wlan.fc.subtype & 4) && wlan.fc.protected == 0" | head; echo "unprotected data after the handshake"; exit 1; }
[ "$decrypted" -gt 0 ] || { echo "tshark decrypted no protected frame with the passphrase"; exit 1; }
