#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# lab-iperf.sh — the lab throughput benchmark, run by
# `make bench-lab` as root after `make build`.
#
# Measures iperf3 TCP for $DURATION s (default 10):
#   1. lab:       ns vmb1 → vmb2 (STA → AP → STA) through a lab brought up
#                 by the vmedium binary (tap backend, namespaces vmb0..2)
#   2. veth:      a plain veth pair in two fresh namespaces, default offloads
#   3. veth-nooff: the same with TSO/GSO/GRO off (802.11 frames never exceed
#                 2304 bytes, so this per-packet path is the fair limit)
#   4. tap floor: two TAPs in two fresh namespaces joined by nothing but
#                 vmedium's TAP reader (tests/bench/taprelay: one read(2)
#                 and one write(2) per frame, no 802.11): the most any
#                 TAP-based radio can reach on this machine
# and prints all three with the ratios. Only the namespaces it creates are
# touched; they are removed on exit, whatever happens.
#
# Environment: BIN (directory with vmedium, default bin), DURATION (s).
set -euo pipefail

BIN=${BIN:-bin}
DURATION=${DURATION:-10}
VMEDIUM=$BIN/vmedium
TAPRELAY=$BIN/taprelay
LAB_NS=(vmb0 vmb1 vmb2)
VETH_NS=(vmbv0 vmbv1)
RELAY_NS=(vmbr0 vmbr1)

if [ "$(id -u)" != 0 ]; then
	echo "bench-lab: needs root (network namespaces, TAP and veth devices): run sudo make bench-lab" >&2
	exit 1
fi
need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v ethtool >/dev/null || need+=(ethtool)
command -v ping >/dev/null || need+=(iputils-ping)
if [ ${#need[@]} -gt 0 ]; then
	echo "bench-lab: installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}" >/tmp/vmedium-bench-apt.log 2>&1 ||
		{ echo "bench-lab: apt-get install ${need[*]} failed, see /tmp/vmedium-bench-apt.log" >&2; exit 1; }
fi
[ -x "$VMEDIUM" ] || { echo "bench-lab: $VMEDIUM not found: run make build first" >&2; exit 1; }
[ -x "$TAPRELAY" ] || { echo "bench-lab: $TAPRELAY not found: run make bench-lab (it builds it)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/vmedium-bench.XXXXXX)
vmpid=""
relaypid=""
cleanup() {
	if [ -n "$vmpid" ] && kill -0 "$vmpid" 2>/dev/null; then
		kill -TERM "$vmpid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$vmpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$vmpid" 2>/dev/null || true
	fi
	[ -z "$relaypid" ] || { kill -TERM "$relaypid" 2>/dev/null; wait "$relaypid" 2>/dev/null; } || true
	for ns in "${VETH_NS[@]}" "${RELAY_NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	# The lab's own namespaces are removed by vmedium on SIGTERM; delete
	# leftovers only if it failed to.
	for ns in "${LAB_NS[@]}"; do
		if ip netns list | grep -qw "$ns"; then
			echo "bench-lab: warning: vmedium left namespace $ns; deleting it" >&2
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

for ns in "${LAB_NS[@]}" "${VETH_NS[@]}" "${RELAY_NS[@]}"; do
	if ip netns list | grep -qw "$ns"; then
		echo "bench-lab: namespace $ns already exists (an earlier run?): delete it with ip netns del $ns" >&2
		trap - EXIT; rm -rf "$tmp"; exit 1
	fi
done

# iperf3_mbps SERVER_NS CLIENT_NS ADDR: TCP for $DURATION s, prints Mbit/s
# as measured by the receiver.
iperf3_mbps() {
	local sns=$1 cns=$2 addr=$3 out
	ip netns exec "$sns" iperf3 -s -1 >"$tmp/iperf3-server.log" 2>&1 &
	local spid=$!
	for _ in $(seq 50); do
		ip netns exec "$sns" ss -ltn 2>/dev/null | grep -q ':5201 ' && break
		sleep 0.1
	done
	out=$(ip netns exec "$cns" iperf3 -c "$addr" -t "$DURATION" -f m) || { echo "$out" >&2; kill "$spid" 2>/dev/null; return 1; }
	wait "$spid" 2>/dev/null || true
	echo "$out" >>"$tmp/iperf3-client.log"
	echo "$out" | awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1) }' | tail -1
}

# --- 1. the lab -------------------------------------------------------------
cat >"$tmp/lab.yaml" <<YAML
radios:
  - {name: vw0, role: ap,  netns: vmb0, ssid: vmedium-bench, channel: 6, address: 10.0.0.1/24}
  - {name: vw1, role: sta, netns: vmb1, ssid: vmedium-bench, channel: 6, address: 10.0.0.2/24}
  - {name: vw2, role: sta, netns: vmb2, ssid: vmedium-bench, channel: 6, address: 10.0.0.3/24}
YAML
echo "bench-lab: starting vmedium (tap backend, namespaces ${LAB_NS[*]})"
"$VMEDIUM" run --backend tap --config "$tmp/lab.yaml" --socket "$tmp/vmedium.sock" \
	--state-dir "$tmp/state" --metrics-addr 127.0.0.1:0 >"$tmp/vmedium.log" 2>&1 &
vmpid=$!
up=""
for _ in $(seq 150); do
	kill -0 "$vmpid" 2>/dev/null || break
	if ip netns list | grep -qw vmb1 && ip netns exec vmb1 ping -c 1 -W 1 10.0.0.3 >/dev/null 2>&1; then up=1; break; fi
	sleep 0.1
done
if [ -z "$up" ]; then
	echo "bench-lab: the lab did not come up within 15 s; vmedium log:" >&2
	cat "$tmp/vmedium.log" >&2
	exit 1
fi
lab=$(iperf3_mbps vmb2 vmb1 10.0.0.3)
kill -TERM "$vmpid"; wait "$vmpid" 2>/dev/null || true; vmpid=""

# --- 2./3. veth ---------------------------------------------------------------
ip netns add vmbv0
ip netns add vmbv1
ip -n vmbv0 link add vb0 type veth peer name vb1 netns vmbv1
ip -n vmbv0 addr add 10.9.9.1/24 dev vb0
ip -n vmbv1 addr add 10.9.9.2/24 dev vb1
for n in 0 1; do ip -n "vmbv$n" link set lo up; ip -n "vmbv$n" link set "vb$n" up; done
veth=$(iperf3_mbps vmbv1 vmbv0 10.9.9.2)
ip netns exec vmbv0 ethtool -K vb0 tso off gso off gro off >/dev/null
ip netns exec vmbv1 ethtool -K vb1 tso off gso off gro off >/dev/null
vethno=$(iperf3_mbps vmbv1 vmbv0 10.9.9.2)

# --- 4. the TAP floor ---------------------------------------------------------
for ns in "${RELAY_NS[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
"$TAPRELAY" -ns vmbr0,vmbr1 -addr 10.9.8.1/24,10.9.8.2/24 >"$tmp/taprelay.log" 2>&1 &
relaypid=$!
for _ in $(seq 50); do grep -q '^ready' "$tmp/taprelay.log" && break; sleep 0.1; done
grep -q '^ready' "$tmp/taprelay.log" || { echo "bench-lab: taprelay did not start:" >&2; cat "$tmp/taprelay.log" >&2; exit 1; }
ip netns exec vmbr0 ping -c 1 -W 2 10.9.8.2 >/dev/null 2>&1 || true # resolve neighbours
floor=$(iperf3_mbps vmbr1 vmbr0 10.9.8.2)
kill -TERM "$relaypid"; wait "$relaypid" 2>/dev/null || true; relaypid=""

# --- report -----------------------------------------------------------------
awk -v lab="$lab" -v veth="$veth" -v vethno="$vethno" -v floor="$floor" -v d="$DURATION" -v cpus="$(nproc)" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
	printf "\niperf3 TCP, %d s, %d CPUs, load average %s (Mbit/s as received)\n", d, cpus, load
	printf "  %-42s %10.0f\n", "lab: vmb1 → vmb2 (STA → AP → STA, tap)", lab
	printf "  %-42s %10.0f\n", "veth, default offloads", veth
	printf "  %-42s %10.0f\n", "veth, TSO/GSO/GRO off", vethno
	printf "  %-42s %10.0f\n", "tap floor: bare TAP-to-TAP relay", floor
	printf "  lab / veth            %6.1f %%\n", 100 * lab / veth
	printf "  lab / veth no offload %6.1f %%\n", 100 * lab / vethno
	printf "  tap floor / veth no offload %6.1f %%\n", 100 * floor / vethno
	printf "  lab / tap floor       %6.1f %%\n", 100 * lab / floor
	ok = (lab >= 1000 && lab >= 0.25 * vethno)
	printf "  target (≥ 1000 Mbit/s and ≥ 25 %% of no-offload veth): %s\n", ok ? "met" : "NOT met"
}'
