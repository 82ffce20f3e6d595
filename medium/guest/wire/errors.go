// SPDX-License-Identifier: MIT

package wire

import "errors"

// Decoding and encoding errors. Every error these functions return wraps
// exactly one of them, with the detail of what was wrong.
var (
	// ErrVersion: a Hello of another protocol version. The Msg's Hello
	// holds the frozen fields (Version, Name, Software).
	ErrVersion = errors.New("protocol version mismatch")
	// ErrTooLarge: a message or a field over its limit (MaxMessage,
	// MaxFrame, MaxRadios, MaxAddrs, MaxIfname, MaxReason). A
	// reader cannot resynchronise after a length over MaxMessage.
	ErrTooLarge = errors.New("too large")
	// ErrMalformed: bytes that do not follow the layout of their type, or
	// an unknown type.
	ErrMalformed = errors.New("malformed message")
)
