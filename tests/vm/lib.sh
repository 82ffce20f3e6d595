# SPDX-License-Identifier: MIT
# lib.sh — helpers for VM scenarios (sourced inside the guest; busybox ash).
# Helpers keep their variables `local`, so they compose with each other and
# with the scenario's own variables.
#
# A scenario is a shell script in tests/vm/scenarios/NAME.sh. run.sh boots the
# guest with it; /init runs it with `sh -x` from /vm (this file is /vm/lib.sh,
# source it with `. /vm/lib.sh`). The scenario's exit status is the test
# result. Inside the guest:
#   PATH        includes /usr/local/bin, where the project's binaries are
#               (vmedium, vmctl, and anything else put in VMEDIUM_VM_BINDIR)
#   /vm/modules the .ko files from tests/vm/out/modules (insmod them)
#   /vm/work    scratch directory (configs, daemon logs)
#   "$@"        the arguments given after `--` to run.sh
#
# Logging and failing
#   log MSG...              print "[uptime] MSG" (uptime in seconds)
#   fail MSG...             print "FAIL: MSG", dump daemon logs, exit 1
#   skip MSG...             print "SKIP: MSG", exit 77 (run-all.sh counts the
#                           scenario as skipped, not passed)
#   Inside $(...) fail/skip end only that subshell: write
#   `x="$(helper ...)" || fail "...: $x"` for helpers that print a value.
# Assertions (each fails the scenario with a message on mismatch)
#   assert CMD...           CMD must succeed
#   assert_fail CMD...      CMD must fail
#   assert_eq GOT WANT [WHAT]        string equality
#   assert_contains HAY NEEDLE [WHAT]  substring
#   assert_ge GOT MIN [WHAT]         integer GOT >= MIN
# Waiting
#   wait_for SECS CMD...    retry CMD every 0.2 s until it succeeds or SECS
#                           pass (then fail)
# Network namespaces
#   ns_add NAME...          create namespaces (lo up in each)
#   in_ns NS CMD...         run CMD in namespace NS (ip netns exec)
#   hwsim_load N            modprobe mac80211_hwsim radios=N; waits for phys
#   phy_of IFACE            print the phy name (e.g. phy0) of IFACE in the
#                           init namespace
#   phy_to_ns PHY NS        move wiphy PHY into NS (iw phy PHY set netns name NS)
# Wi-Fi daemons (config, log and control files under /vm/work)
#   start_hostapd NS IFACE SSID CHANNEL [PSK]   WPA2-PSK when PSK is given,
#                           open otherwise; waits until the AP is ENABLED
#   start_wpa NS IFACE SSID [PSK] [FREQ]   wpa_supplicant (nl80211); open
#                           when PSK is empty; FREQ (MHz, e.g. 2437) limits
#                           scanning to that channel: a full scan of every
#                           hwsim channel takes ~8 s under TCG
#   wpa_state NS IFACE      print wpa_state (e.g. COMPLETED)
#   wait_wpa_completed SECS NS IFACE...   wait for wpa_state=COMPLETED
# Traffic
#   ping_ok NS ADDR [COUNT]      COUNT (default 3) pings, 0 % loss required
#   ping_loss NS ADDR COUNT      print the loss percentage (integer)
#   iperf_tcp NS_SERVER SERVER_ADDR NS_CLIENT SECS   print Mbit/s (receiver)
# Kernel
#   check_dmesg             fail if dmesg has "WARNING:", "BUG:", "Oops",
#                           "general protection" or "Call Trace"
#   dmesg_has PATTERN       succeed if dmesg matches PATTERN (grep -E)
# Files to the host
#   vm_export_file PATH [NAME]  send PATH to the host; run.sh writes it to
#                           tests/vm/out/<scenario>/NAME (default basename)
# Results to the host
#   vm_metric NAME VALUE [UNIT]  print "VM-METRIC name=value unit"; run.sh
#                           collects these into tests/vm/out/<scenario>/metrics

VM_WORK=/vm/work
mkdir -p "$VM_WORK"

log() {
	echo "[$(cut -d' ' -f1 /proc/uptime)] $*"
}

# _vm_dump_logs prints the tail of every daemon log (called on failure).
_vm_dump_logs() {
	for f in "$VM_WORK"/*.log; do
		[ -f "$f" ] || continue
		echo "----- tail $f"
		tail -n 30 "$f"
	done
}

fail() {
	{ set +x; } 2>/dev/null
	echo "FAIL: $*"
	_vm_dump_logs
	exit 1
}

skip() {
	{ set +x; } 2>/dev/null
	echo "SKIP: $*"
	exit 77
}

assert() {
	"$@" || fail "command failed: $*"
}

assert_fail() {
	if "$@"; then fail "command succeeded but should fail: $*"; fi
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', want '$2'"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "${3:-output} does not contain '$2': $1" ;;
	esac
}

assert_ge() {
	[ "$1" -ge "$2" ] 2>/dev/null || fail "${3:-value}: got '$1', want >= $2"
}

# _xoff/_xon silence `sh -x` tracing inside polling loops and restore it.
_xoff() {
	case "$-" in *x*) _vm_x=1 ;; *) _vm_x=0 ;; esac
	set +x
}
_xon() {
	[ "$_vm_x" = 1 ] && set -x
	:
}

wait_for() {
	{ _xoff; } 2>/dev/null
	local _wf_secs="$1" _wf_t0 _wf_end
	shift
	_wf_t0="$(cut -d' ' -f1 /proc/uptime)"
	_wf_end=$(($(date +%s) + _wf_secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_wf_end" ] || fail "timed out after ${_wf_secs}s waiting for: $*"
		sleep 0.2
	done
	echo "[$(cut -d' ' -f1 /proc/uptime)] waited $(awk "BEGIN { print $(cut -d' ' -f1 /proc/uptime) - $_wf_t0 }")s for: $*" >&2
	_xon
}

ns_add() {
	local _ns
	for _ns in "$@"; do
		ip netns add "$_ns" || fail "ip netns add $_ns"
		ip -n "$_ns" link set lo up
	done
}

in_ns() {
	local _ns="$1"
	shift
	ip netns exec "$_ns" "$@"
}

_phy_count() {
	[ "$(ls /sys/class/ieee80211 2>/dev/null | wc -l)" -ge "$1" ]
}

hwsim_load() {
	modprobe mac80211_hwsim radios="$1" || fail "modprobe mac80211_hwsim radios=$1"
	wait_for 10 _phy_count "$1"
}

phy_of() {
	cat "/sys/class/net/$1/phy80211/name" 2>/dev/null || fail "no wiphy behind interface $1"
}

phy_to_ns() {
	iw phy "$1" set netns name "$2" || fail "iw phy $1 set netns name $2"
}

start_hostapd() {
	local _ns="$1" _if="$2" _ssid="$3" _ch="$4" _psk="${5:-}"
	local _conf="$VM_WORK/hostapd-$_if.conf"
	cat >"$_conf" <<EOF
interface=$_if
driver=nl80211
ctrl_interface=/run/hostapd
ssid=$_ssid
hw_mode=g
channel=$_ch
EOF
	if [ -n "$_psk" ]; then
		cat >>"$_conf" <<EOF
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=$_psk
EOF
	fi
	in_ns "$_ns" hostapd -B -t -f "$VM_WORK/hostapd-$_if.log" -P "$VM_WORK/hostapd-$_if.pid" "$_conf" ||
		fail "hostapd failed to start on $_if in $_ns"
	wait_for 15 _hostapd_enabled "$_ns" "$_if"
}

_hostapd_enabled() {
	in_ns "$1" hostapd_cli -p /run/hostapd -i "$2" status 2>/dev/null | grep -q '^state=ENABLED'
}

start_wpa() {
	local _ns="$1" _if="$2" _ssid="$3" _psk="${4:-}" _freq="${5:-}"
	local _conf="$VM_WORK/wpa-$_if.conf"
	{
		echo "ctrl_interface=/run/wpa_supplicant"
		echo "network={"
		echo "	ssid=\"$_ssid\""
		echo "	scan_ssid=1"
		if [ -n "$_freq" ]; then
			echo "	scan_freq=$_freq"
			echo "	freq_list=$_freq"
		fi
		if [ -n "$_psk" ]; then
			echo "	key_mgmt=WPA-PSK"
			echo "	psk=\"$_psk\""
		else
			echo "	key_mgmt=NONE"
		fi
		echo "}"
	} >"$_conf"
	in_ns "$_ns" wpa_supplicant -B -D nl80211 -i "$_if" -c "$_conf" -t -f "$VM_WORK/wpa-$_if.log" \
		-P "$VM_WORK/wpa-$_if.pid" || fail "wpa_supplicant failed to start on $_if in $_ns"
}

wpa_state() {
	in_ns "$1" wpa_cli -p /run/wpa_supplicant -i "$2" status 2>/dev/null | sed -n 's/^wpa_state=//p'
}

_wpa_completed() {
	[ "$(wpa_state "$1" "$2")" = COMPLETED ]
}

wait_wpa_completed() {
	local _secs="$1" _ns="$2" _if
	shift 2
	for _if in "$@"; do
		wait_for "$_secs" _wpa_completed "$_ns" "$_if"
	done
}

ping_loss() {
	local _out _loss
	_out="$(in_ns "$1" ping -q -c "$3" -i 0.2 -W 2 "$2" 2>&1)"
	_loss="$(echo "$_out" | sed -n 's/.* \([0-9][0-9]*\)% packet loss.*/\1/p')"
	[ -n "$_loss" ] || fail "cannot parse ping output: $_out"
	echo "$_loss"
}

ping_ok() {
	local _l
	_l="$(ping_loss "$1" "$2" "${3:-3}")"
	[ "$_l" = 0 ] || fail "ping $2 from $1: ${_l}% loss, want 0%"
	log "ping $1 -> $2: 0% loss"
}

iperf_tcp() {
	local _sns="$1" _saddr="$2" _cns="$3" _secs="$4"
	in_ns "$_sns" iperf3 -s -1 -D -B "$_saddr" --logfile "$VM_WORK/iperf3-server.log" ||
		fail "iperf3 server in $_sns"
	# the server needs a moment to listen under TCG
	wait_for 5 sh -c "ip netns exec $_sns ss -ltn | grep -q ':5201 '"
	in_ns "$_cns" iperf3 -c "$_saddr" -t "$_secs" -f m >"$VM_WORK/iperf3-client.log" 2>&1 ||
		fail "iperf3 client: $(cat "$VM_WORK/iperf3-client.log")"
	cat "$VM_WORK/iperf3-client.log" >&2
	awk '/receiver$/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i-1) }' "$VM_WORK/iperf3-client.log" | tail -n1
}

check_dmesg() {
	local _bad
	_bad="$(dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace' || true)"
	[ -z "$_bad" ] || { dmesg | tail -n 60; fail "kernel reported problems: $_bad"; }
	log "dmesg clean"
}

dmesg_has() {
	dmesg | grep -qE "$1"
}

vm_export_file() {
	local _src="$1" _name="${2:-$(basename "$1")}"
	[ -f "$_src" ] || fail "vm_export_file: no such file $_src"
	{
		echo "VM-FILE-BEGIN $_name"
		base64 "$_src"
		echo "VM-FILE-END $_name $(sha256sum "$_src" | cut -d' ' -f1)"
	} 2>&1
}

vm_metric() {
	echo "VM-METRIC $1=$2 ${3:-}"
}
