#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# wmediumd-models.host.sh: the pcapng `wmediumd -p` wrote in the guest must
# decode in tshark (radiotap + 802.11) without a malformed frame.
set -euo pipefail
dir="${1:?usage: wmediumd-models.host.sh OUTDIR}"
f="$dir/wmd.pcapng"
[ -s "$f" ] || { echo "no pcapng at $f"; exit 1; }
command -v tshark >/dev/null || { echo "tshark is needed on the host (apt-get install tshark)"; exit 1; }
total="$(tshark -r "$f" 2>/dev/null | wc -l)"
malformed="$(tshark -r "$f" -Y _ws.malformed 2>/dev/null | wc -l)"
radiotap="$(tshark -r "$f" -Y radiotap 2>/dev/null | wc -l)"
echo "tshark: $total frames, $radiotap with radiotap, $malformed malformed"
[ "$total" -gt 0 ] && [ "$radiotap" = "$total" ] && [ "$malformed" = 0 ]
