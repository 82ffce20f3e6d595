#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab-wpa2.sh — the tap lab's iperf3 throughput with WPA2-PSK (CCMP) next to the
# open lab: RUNS pairs (default 5) of DURATION s (default 8) TCP from ns vmb1 to
# vmb2 (STA → AP → STA), each lab a fresh `vmedium run`, alternating, printing
# Mbit/s as received, vmedium's CPU time (utime+stime) per MB carried, the two
# iperf3 processes' CPU per MB, vmedium's three busiest threads (% of one CPU),
# the machine's idle CPU and the CPU other work took (% of one CPU; the
# machine is shared), and the CCMP replay and MIC drops counted by the radios.
# Run as root after make build: sudo bash tests/bench/lab-wpa2.sh
set -euo pipefail
BIN=${BIN:-bin}
DURATION=${DURATION:-8}
RUNS=${RUNS:-5}
if [ "$(id -u)" != 0 ]; then
	echo "lab-wpa2: needs root (network namespaces, TAP devices)" >&2
	exit 1
fi
[ -x "$BIN/vmedium" ] || { echo "lab-wpa2: $BIN/vmedium not found: run make build first" >&2; exit 1; }
for ns in vmb0 vmb1 vmb2; do
	if ip netns list | grep -qw "$ns"; then
		echo "lab-wpa2: namespace $ns already exists (an earlier run?): delete it with ip netns del $ns" >&2
		exit 1
	fi
done
tmp=$(mktemp -d /tmp/vmwpa.XXXXXX)
vmpid=""
cleanup() {
	if [ -n "$vmpid" ]; then
		kill -TERM "$vmpid" 2>/dev/null || true
		wait "$vmpid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
cputicks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# threads PID: "tid ticks" for every thread of PID (utime+stime), to find
# the busiest thread (the serial path) and see whether the other CPU idles.
threads() { for t in /proc/"$1"/task/*; do echo "${t##*/} $(awk '{ print $14 + $15 }' "$t/stat" 2>/dev/null)"; done; }
idleticks() { awk '/^cpu / { print $5 + $6 }' /proc/stat; }
run() { # $1 = security yaml line
	cat >"$tmp/lab.yaml" <<YAML
$1
radios:
  - {name: vw0, role: ap,  netns: vmb0, ssid: vmedium-bench, channel: 6, address: 10.0.0.1/24}
  - {name: vw1, role: sta, netns: vmb1, ssid: vmedium-bench, channel: 6, address: 10.0.0.2/24}
  - {name: vw2, role: sta, netns: vmb2, ssid: vmedium-bench, channel: 6, address: 10.0.0.3/24}
YAML
	"$BIN/vmedium" run --backend tap --config "$tmp/lab.yaml" --socket "$tmp/s.sock" --state-dir "$tmp/state" --metrics-addr 127.0.0.1:0 >"$tmp/vm.log" 2>&1 &
	vmpid=$!
	for _ in $(seq 150); do
		if ip netns list | grep -qw vmb1 && ip netns exec vmb1 ping -c 1 -W 1 10.0.0.3 >/dev/null 2>&1; then break; fi
		sleep 0.1
	done
	ip netns exec vmb2 iperf3 -s -1 >/dev/null 2>&1 & spid=$!
	for _ in $(seq 50); do ip netns exec vmb2 ss -ltn | grep -q ':5201 ' && break; sleep 0.1; done
	t0=$(cputicks $vmpid); threads $vmpid >"$tmp/th0"; i0=$(idleticks); w0=$(date +%s%N)
	ip netns exec vmb1 iperf3 -c 10.0.0.3 -t "$DURATION" -J >"$tmp/ip.json"
	t1=$(cputicks $vmpid); threads $vmpid >"$tmp/th1"; i1=$(idleticks); w1=$(date +%s%N)
	wait $spid || true
	# CCMP replay and MIC drops over the whole lab (every radio's counters).
	drops=$("$BIN/vmctl" --socket "$tmp/s.sock" --json radios | grep -o '"ccmp_\(replays\|mic_errors\)": *[0-9]*' | awk -F: '{ n += $2 } END { print n + 0 }')
	kill -TERM "$vmpid"; wait "$vmpid" 2>/dev/null || true; vmpid=""
	echo -n "$drops "
	python3 - "$tmp/ip.json" $((t1 - t0)) "$(getconf CLK_TCK)" "$tmp/th0" "$tmp/th1" $((i1 - i0)) $((w1 - w0)) "$(nproc)" <<'PY'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
r, cu = end["sum_received"], end["cpu_utilization_percent"]
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
mb = r["bytes"] / 1e6
def load(p):
    return dict(l.split() for l in open(p) if len(l.split()) == 2)
a, b = load(sys.argv[4]), load(sys.argv[5])
wall = int(sys.argv[7]) / 1e9
busy = sorted((int(v) - int(a.get(t, 0)) for t, v in b.items()), reverse=True) + [0, 0, 0]
# the three busiest threads of vmedium in % of one CPU; the machine's idle
# and what neither vmedium nor the two iperf3 used (other work), in % of
# one CPU; the iperf3 client's and server's CPU in µs per MB carried.
top = "/".join("%.0f" % (100 * x / hz / wall) for x in busy[:3])
ncpu = int(sys.argv[8])
idle = 100 * int(sys.argv[6]) / hz / wall
vm = 100 * ticks / hz / wall
other = max(0, 100 * ncpu - idle - vm - cu["host_total"] - cu["remote_total"])
ipc = (cu["host_total"] + cu["remote_total"]) / 100 * wall * 1e6 / mb
print("%.0f %.0f %s %.0f %.0f %.0f" % (r["bits_per_second"] / 1e6, ticks / hz * 1e6 / mb, top, idle, other, ipc))
PY
}
for i in $(seq "$RUNS"); do
	read -r _ om oc ot oi oo oq < <(run "security: open")
	read -r wd wm wc wt wi wo wq < <(run "passphrase: bench-passphrase")
	echo "run $i: open $om Mbit/s ($oc cpu-us/MB; iperf3 $oq cpu-us/MB; threads $ot %; idle $oi %, other work $oo %)," \
		"wpa2 $wm Mbit/s ($wc cpu-us/MB; iperf3 $wq cpu-us/MB; threads $wt %; idle $wi %, other work $wo %; CCMP replay/MIC drops $wd)," \
		"throughput $((100 * wm / om)) %, cpu/MB ratio $((100 * oc / wc)) %, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
