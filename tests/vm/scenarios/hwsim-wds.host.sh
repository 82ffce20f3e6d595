#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hwsim-wds.host.sh: the host half of hwsim-wds. The capture vmedium made
# in the guest must decode in tshark without malformed frames and hold
# four-address data frames (wlan.fc.ds == 3) to and from the station
# wlan1, protected, with the LAN host's address as SA or DA.
set -euo pipefail
dir="${1:?usage: hwsim-wds.host.sh OUTDIR}"
pcap="$dir/hwsim-wds.pcap"
[ -s "$pcap" ] || { echo "no capture at $pcap"; exit 1; }
command -v tshark >/dev/null || { echo "tshark is needed on the host (apt-get install tshark)"; exit 1; }
count() { tshark -r "$pcap" -Y "$1" 2>/dev/null | wc -l; }
malformed="$(count _ws.malformed)"
four="$(count 'wlan.fc.type == 2 && wlan.fc.ds == 3')"
protected="$(count 'wlan.fc.type == 2 && wlan.fc.ds == 3 && wlan.fc.protected == 1')"
three="$(count 'wlan.fc.type == 2 && wlan.fc.ds != 3 && wlan.fc.protected == 1')"
echo "tshark: $four four-address data frames ($protected protected), $three protected three-address, $malformed malformed"
tshark -r "$pcap" -Y 'wlan.fc.ds == 3' -T fields -e wlan.ra -e wlan.ta -e wlan.da -e wlan.sa 2>/dev/null | sort | uniq -c | head
[ "$malformed" = 0 ] || { echo "malformed frames in the capture"; exit 1; }
[ "$protected" -ge 12 ] || { echo "want at least 12 protected four-address frames (pings of the LAN host), got $protected"; exit 1; }
[ "$three" -gt 0 ] || { echo "no three-address data of the ordinary station"; exit 1; }
