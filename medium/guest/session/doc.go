// SPDX-License-Identifier: MIT

// Package session is the guest protocol's state on both ends, over any
// transport.Conn.
//
// Host: accepts guest connections, handshakes (Hello → HelloAck, or
// Refuse with a reason the guest prints: another protocol version, a name
// already connected, a bad name), keeps each guest's radios and their
// addresses, hands TX frames to a callback and takes back TX statuses and
// RX frames for the guest, reports joins, leaves and radio changes in
// order to an event callback, and counts messages and drops. A guest that
// goes away (closed, silent past its keepalive, malformed framing) leaves:
// its radios are removed.
//
// Agent (the guest side): dials the host, says Hello with its radios, and
// redials with backoff whenever the connection ends, saying Hello again
// with the radios and addresses it has then. Every frame it sends is
// answered exactly once: by the host's TxStatus, or, when the connection
// ends first or there is none, by a local "not acknowledged" status, so
// the guest kernel's queue of frames awaiting a status never fills.
//
// A carrier may outlive either end: QEMU keeps the host's socket of a
// virtio-serial port connected while the agent in the guest restarts, and
// keeps the port open in the guest while the host restarts. So a Hello in
// the middle of a session starts a new session on the same connection; a
// host without a session answers anything but Hello with RefuseNoSession,
// on which the agent says Hello again; handshakes skip what an earlier
// session left in the stream; and only a stopping agent says Bye (a Bye
// makes the host hang up, and QEMU would then reconnect first).
package session

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vmedium/vmedium/medium/guest/wire"
)

// MaxNameLen is the longest guest name.
const MaxNameLen = 32

// ErrBadName is wrapped by ValidateName's errors.
var ErrBadName = errors.New("bad guest name")

// ValidateName checks a guest name: 1 to MaxNameLen letters, digits, '.',
// '_' or '-', starting with a letter or digit. Names prefix radio names on
// the host (GUEST/IFACE), hence no '/' or spaces.
func ValidateName(name string) error {
	ok := name != "" && len(name) <= MaxNameLen
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || i > 0 && (c == '.' || c == '_' || c == '-')
	}
	if !ok {
		return fmt.Errorf("guest name %q: use 1 to %d letters, digits, '.', '_' or '-', starting with a letter or digit: %w", name, MaxNameLen, ErrBadName)
	}
	return nil
}

// ErrRefused is wrapped by RefusedError.
var ErrRefused = errors.New("refused by the host")

// RefusedError is the host's Refuse, as the agent reports it.
type RefusedError struct {
	Code        uint8  // wire.Refuse*
	HostVersion uint16 // the host's protocol version
	Reason      string // the host's words, for the user
}

func (e *RefusedError) Error() string { return "the host refused this guest: " + e.Reason }

// Is makes errors.Is(err, ErrRefused) hold, and errors.Is(err,
// wire.ErrVersion) for a version refusal.
func (e *RefusedError) Is(target error) bool {
	return target == ErrRefused || target == wire.ErrVersion && e.Code == wire.RefuseVersion
}

// Permanent reports whether retrying cannot help: another version or a
// bad name. A name in use may free up when the other guest leaves.
func (e *RefusedError) Permanent() bool {
	return e.Code == wire.RefuseVersion || e.Code == wire.RefuseBadName
}

// versionReason is the refusal a host sends a guest of another protocol
// version: both versions, both software versions, and which side to
// upgrade.
func versionReason(guest *wire.Hello, hostSoftware string) string {
	var fix string
	if guest.Version > wire.Version {
		fix = fmt.Sprintf("upgrade vmedium on the host to a release that speaks version %d, or run an agent of the host's release (%s) in the guest", guest.Version, hostSoftware)
	} else {
		fix = fmt.Sprintf("upgrade the agent in the guest: copy this host's vmedium binary (%s) into the guest", hostSoftware)
	}
	return fmt.Sprintf("protocol version mismatch: guest %q runs agent %s speaking guest protocol version %d; the host runs vmedium %s speaking version %d: %s",
		guest.Name, guest.Software, guest.Version, hostSoftware, wire.Version, fix)
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// clip cuts s to n bytes for a wire field with that limit.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
