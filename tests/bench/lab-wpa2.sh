#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab-wpa2.sh — the tap lab's iperf3 throughput with WPA2-PSK (CCMP) next to the
# open lab: RUNS pairs (default 3) of DURATION s (default 8) TCP from ns vmb1 to
# vmb2 (STA → AP → STA), each lab a fresh `vmedium run`, alternating, printing
# Mbit/s as received and vmedium's CPU time (utime+stime) per MB carried.
# Run as root after make build: sudo bash tests/bench/lab-wpa2.sh
set -euo pipefail
BIN=${BIN:-bin}
DURATION=${DURATION:-8}
RUNS=${RUNS:-3}
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
	t0=$(cputicks $vmpid)
	ip netns exec vmb1 iperf3 -c 10.0.0.3 -t "$DURATION" -J >"$tmp/ip.json"
	t1=$(cputicks $vmpid)
	wait $spid || true
	kill -TERM "$vmpid"; wait "$vmpid" 2>/dev/null || true; vmpid=""
	python3 - "$tmp/ip.json" $((t1 - t0)) "$(getconf CLK_TCK)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["end"]["sum_received"]
ticks, hz = int(sys.argv[2]), int(sys.argv[3])
mb = r["bytes"] / 1e6
print("%.0f %.0f" % (r["bits_per_second"] / 1e6, ticks / hz * 1e6 / mb))
PY
}
for i in $(seq "$RUNS"); do
	read -r om oc < <(run "security: open")
	read -r wm wc < <(run "passphrase: bench-passphrase")
	echo "run $i: open $om Mbit/s ($oc cpu-us/MB), wpa2 $wm Mbit/s ($wc cpu-us/MB), throughput $((100 * wm / om)) %, cpu/MB ratio $((100 * oc / wc)) %, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
