// SPDX-License-Identifier: MIT

package libconfig

import (
	"errors"
	"strconv"
)

// Error is a parse error: where (file, line, the key path being read) and
// what (Msg says what was found and what was expected instead).
type Error struct {
	File string
	Line int
	Path string // key path of the setting being read; "" at top level
	Msg  string
	Err  error // underlying error (a failed @include read), if any
}

func (e *Error) Error() string {
	s := e.File
	if s == "" {
		s = "<input>"
	}
	s += ":" + strconv.Itoa(e.Line) + ": "
	if e.Path != "" {
		s += e.Path + ": "
	}
	s += e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrIncludeCycle is wrapped by the Error reported when a file includes
// itself, directly or through others.
var ErrIncludeCycle = errors.New("include cycle")
