# SPDX-License-Identifier: MIT
# multi-lib.sh — host-side helpers for multi-guest scenarios
# (scenarios/NAME.multi.sh, run by multi.sh). Such a scenario is a bash
# script on the host: it starts several QEMU guests at once (each one
# vCPU, VMEDIUM_VM_MEM MiB, default 512), each running guest-shell.sh, and
# runs commands in them; host-side processes (vmedium, vmctl, tshark) run
# next to them, connected through host sockets:
#   a virtio-serial port (the guest's /dev/virtio-ports/NAME) whose host
#   end is a unix socket a host process listens on: QEMU connects to it,
#   and reconnects every second while it is gone (vm_port_args);
#   a virtio-net NIC whose frames go to a unix socket as QEMU's
#   -netdev stream (vm_stream_nic_args), e.g. a vmedium vmnic radio.
#
#   vm_port_args PORTNAME SOCKET      print the --qemu-arg pairs for a
#                                     virtio-serial port on SOCKET
#   vm_stream_nic_args SOCKET MAC     the same for a virtio-net NIC on
#                                     -netdev stream,server=off (vmnic)
#   vm_start NAME [--qemu-arg ARG]... boot guest NAME in the background
#                                     (console: tests/vm/out/MULTI-NAME.log)
#   vm_ready NAME...                  wait until the guests accept commands
#   vmx NAME CMD                      run CMD (one sh string; lib.sh's helpers
#                                     work) in guest NAME; prints its output,
#                                     returns its exit status (VM_CMD_TIMEOUT
#                                     seconds at most, default 180)
#   vm_stop NAME                      end guest NAME (exit 0), wait for it;
#                                     fails if its run did not pass
#   mlog MSG / mfail MSG              log / fail the scenario (every guest
#                                     is killed on exit)
#   mwait SECS CMD...                 retry CMD every 0.2 s for SECS
# Set by multi.sh: VM_HERE (tests/vm), VM_MULTI (the scenario's name),
# VM_OUT (tests/vm/out/NAME: files for the host to keep).

VM_TMP="$(mktemp -d /tmp/vmedium-multi.XXXXXX)"
chmod 755 "$VM_TMP"
declare -A _vm_pid=() _vm_wfd=()
_vm_kmods="virtio_pci virtio_console virtio_net"

mlog() { echo "[$(date +%T)] $*" >&2; }

mfail() {
	echo "FAIL: $*" >&2
	exit 1
}

mwait() {
	local secs="$1" end
	shift
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || mfail "timed out after ${secs}s waiting for: $*"
		sleep 0.2
	done
}

# _vm_cleanup kills every guest still running (each run.sh is the leader
# of its own process group: timeout and QEMU go with it).
_vm_cleanup() {
	local n p
	for n in "${!_vm_pid[@]}"; do
		# run.sh's timeout runs QEMU in a process group of its own and
		# hands a TERM on to it
		pkill -TERM -P "${_vm_pid[$n]}" 2>/dev/null
		kill -- -"${_vm_pid[$n]}" 2>/dev/null
	done
	# host processes the scenario left running (vmedium, vmctl capture)
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$VM_TMP"
}
trap _vm_cleanup EXIT
trap 'exit 143' TERM INT

vm_port_args() {
	local id="p${RANDOM}"
	printf '%s\n' --qemu-arg -chardev --qemu-arg "socket,id=$id,path=$2,reconnect=1" \
		--qemu-arg -device --qemu-arg "virtserialport,bus=vser0.0,chardev=$id,name=$1"
}

vm_stream_nic_args() {
	local id="n${RANDOM}"
	# QEMU 7.2's stream netdev connects once, at start (no reconnect=):
	# its host end must listen before the guest starts
	printf '%s\n' --qemu-arg -netdev --qemu-arg "stream,id=$id,server=off,addr.type=unix,addr.path=$1" \
		--qemu-arg -device --qemu-arg "virtio-net-pci,netdev=$id,mac=$2"
}

vm_start() {
	local name="$1"
	shift
	local d="$VM_TMP/$name"
	mkdir -p "$d"
	mkfifo "$d/ctl.in" "$d/ctl.out"
	# the control port: host → guest through ctl.in, guest → host ctl.out
	VMEDIUM_VM_QUIET=1 VMEDIUM_VM_NO_BUILD=1 VMEDIUM_VM_SMP=1 VMEDIUM_VM_MEM="${VMEDIUM_VM_MEM:-512}" \
		VMEDIUM_VM_KMODS="$_vm_kmods ${VMEDIUM_VM_KMODS:-}" \
		setsid "$VM_HERE/run.sh" "$VM_HERE/guest-shell.sh" --name "$VM_MULTI-$name" \
		--timeout "${VM_GUEST_TIMEOUT:-600}" \
		--qemu-arg -device --qemu-arg "virtio-serial-pci,id=vser0" \
		--qemu-arg -chardev --qemu-arg "pipe,id=ctl,path=$d/ctl" \
		--qemu-arg -device --qemu-arg "virtserialport,bus=vser0.0,chardev=ctl,name=ctl" \
		"$@" -- "$name" >"$d/run.out" 2>&1 &
	_vm_pid[$name]=$!
	# kept open read-write: never blocks, and QEMU never sees EOF
	exec {_vm_wfd[$name]}<>"$d/ctl.in"
	echo 0 >"$d/seq"
	(cat "$d/ctl.out" >"$d/ctl.log" 2>/dev/null) &
	mlog "guest $name starting (log tests/vm/out/$VM_MULTI-$name.log)"
}

_vm_alive() { kill -0 "${_vm_pid[$1]}" 2>/dev/null; }

vm_ready() {
	local n end
	for n in "$@"; do
		end=$(($(date +%s) + ${VM_BOOT_TIMEOUT:-240}))
		until grep -q "^READY $n" "$VM_TMP/$n/ctl.log" 2>/dev/null; do
			_vm_alive "$n" || { cat "$VM_TMP/$n/run.out" >&2; mfail "guest $n ended before it was ready"; }
			[ "$(date +%s)" -lt "$end" ] || mfail "guest $n not ready after ${VM_BOOT_TIMEOUT:-240}s"
			sleep 0.5
		done
		mlog "guest $n ready"
	done
}

vmx() {
	local n="$1" cmd="$2" id rc end log="$VM_TMP/$1/ctl.log"
	# the command counter lives in a file: vmx often runs in $(…)
	id=$(($(cat "$VM_TMP/$n/seq") + 1))
	echo "$id" >"$VM_TMP/$n/seq"
	printf 'RUN %s %s\n' "$id" "$(printf '%s' "$cmd" | base64 -w0)" >&"${_vm_wfd[$n]}"
	end=$(($(date +%s) + ${VM_CMD_TIMEOUT:-180}))
	until grep -q "^END $id " "$log" 2>/dev/null; do
		_vm_alive "$n" || mfail "guest $n ended while running: $cmd"
		[ "$(date +%s)" -lt "$end" ] || mfail "guest $n: no answer within ${VM_CMD_TIMEOUT:-180}s to: $cmd"
		sleep 0.1
	done
	awk -v id="$id" '$0 == "OUT " id { on = 1; next } on && $1 == "END" && $2 == id { exit } on' "$log" | base64 -d
	rc="$(awk -v id="$id" '$1 == "END" && $2 == id { print $3 }' "$log")"
	return "${rc:-1}"
}

vm_stop() {
	local n="$1" rc=0
	printf 'EXIT 0\n' >&"${_vm_wfd[$n]}"
	wait "${_vm_pid[$n]}" || rc=$?
	unset "_vm_pid[$n]"
	sed 's/^/  /' "$VM_TMP/$n/run.out" >&2
	[ "$rc" = 0 ] || mfail "guest $n: run.sh exit $rc (log tests/vm/out/$VM_MULTI-$n.log)"
	mlog "guest $n stopped"
}
