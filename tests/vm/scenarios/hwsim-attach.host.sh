#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hwsim-attach.host.sh: the host half of hwsim-attach. run.sh runs it after
# hwsim-attach passed in the guest, with the scenario's out directory: the
# pcap `vmctl capture` made in the guest must decode in tshark without a
# single malformed frame and hold beacons, EAPOL and protected data frames.
set -euo pipefail
dir="${1:?usage: hwsim-attach.host.sh OUTDIR}"
pcap="$dir/hwsim-attach.pcap"
[ -s "$pcap" ] || { echo "no capture at $pcap"; exit 1; }
command -v tshark >/dev/null || { echo "tshark is needed on the host (apt-get install tshark)"; exit 1; }
count() { tshark -r "$pcap" -Y "$1" 2>/dev/null | wc -l; }
total="$(count frame)"
malformed="$(tshark -r "$pcap" -Y _ws.malformed 2>/dev/null | wc -l)"
beacons="$(count 'wlan.fc.type_subtype == 0x0008')"
eapol="$(count eapol)"
protected="$(count 'wlan.fc.type == 2 && wlan.fc.protected == 1')"
echo "tshark: $total frames, $malformed malformed, $beacons beacons, $eapol EAPOL, $protected protected data"
[ "$total" -gt 0 ] || { echo "tshark decoded no frames"; exit 1; }
[ "$malformed" = 0 ] || { tshark -r "$pcap" -Y _ws.malformed 2>/dev/null | head; echo "malformed frames in the capture"; exit 1; }
[ "$beacons" -gt 0 ] || { echo "no beacons in the capture"; exit 1; }
[ "$eapol" -ge 4 ] || { echo "want the 4-way handshake (>= 4 EAPOL frames), got $eapol"; exit 1; }
[ "$protected" -gt 0 ] || { echo "no protected data frames in the capture"; exit 1; }
