// SPDX-License-Identifier: MIT

// Package hostap runs the real Wi-Fi daemons for kernel radios: it writes
// hostapd and wpa_supplicant configurations (SSID and passphrase validated
// and escaped, so no input can add a line of its own), starts a daemon
// inside a network namespace with its output in a log file and watches it,
// and speaks their control-socket protocol (request/response over a
// unixgram socket, unsolicited "<N>…" event messages skipped, STATUS,
// SIGNAL_POLL and the STA-FIRST/STA-NEXT walk parsed).
package hostap
