#!/bin/sh
# SPDX-License-Identifier: MIT
# guest-shell.sh — the guest side of a multi-guest scenario (multi-lib.sh):
# runs the commands the host's scenario sends over the virtio-serial port
# "ctl" and answers each with its output and exit status. run.sh boots it
# as the scenario of every guest; $1 is the guest's name (its host name).
#
# Port protocol, one line each (host → guest):
#   RUN ID BASE64     run the decoded command with sh (lib.sh sourced, so
#                     its helpers work; fail/skip end only that command)
#   EXIT CODE         end the scenario with CODE (run.sh then collects dmesg)
# guest → host:
#   READY NAME        once, when the guest listens
#   OUT ID / base64 of the command's output (stdout+stderr) / END ID RC
# Each command and its output are also printed on the console
# (tests/vm/out/NAME.log). A command that starts a daemon must redirect the
# daemon's output (the output file is read once the command returns).
. /vm/lib.sh
set +x
name="${1:-guest}"
hostname "$name"
# /dev/virtio-ports/NAME links, which udev makes elsewhere (the agent's
# virtio:NAME is such a link)
_port_links() {
	local p n
	[ -n "$(ls /sys/class/virtio-ports 2>/dev/null)" ] || return 1
	mkdir -p /dev/virtio-ports
	for p in /sys/class/virtio-ports/*; do
		n="$(cat "$p/name" 2>/dev/null)"
		[ -n "$n" ] && [ -c "/dev/${p##*/}" ] && ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$n"
	done
	test -c /dev/virtio-ports/ctl
}
if ! _port_links; then
	sleep 2
	_port_links || { lsmod | grep virtio; ls -l /sys/class/virtio-ports /dev/vport* 2>&1; fail "no virtio-serial port named ctl"; }
fi
ls -l /dev/virtio-ports
port=/dev/virtio-ports/ctl
exec 3<>"$port"
echo "READY $name" >&3
log "guest $name ready"
while IFS= read -r line <&3; do
	set -- $line
	case "$1" in
	RUN)
		id="$2"
		echo "$3" | base64 -d >"$VM_WORK/cmd-$id.sh"
		echo "----- [$name] command $id: $(cat "$VM_WORK/cmd-$id.sh")"
		(cd /vm && sh -c ". /vm/lib.sh; . $VM_WORK/cmd-$id.sh") >"$VM_WORK/cmd-$id.out" 2>&1 </dev/null
		rc=$?
		sed "s/^/[$name $id] /" "$VM_WORK/cmd-$id.out"
		echo "----- [$name] command $id: exit $rc"
		{
			echo "OUT $id"
			base64 "$VM_WORK/cmd-$id.out"
			echo "END $id $rc"
		} >&3
		rm -f "$VM_WORK/cmd-$id.sh" "$VM_WORK/cmd-$id.out"
		;;
	EXIT)
		exec 3>&-
		exit "$2"
		;;
	esac
done
fail "the host closed the control port"
