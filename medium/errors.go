// SPDX-License-Identifier: MIT

package medium

import (
	"errors"
	"fmt"
	"strings"
)

// UnknownRadioError is returned when a name does not match any radio.
type UnknownRadioError struct {
	Name  string
	Known []string
}

func (e *UnknownRadioError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown radio %q: no radios are registered", e.Name)
	}
	return fmt.Sprintf("unknown radio %q: known radios are %s", e.Name, strings.Join(e.Known, ", "))
}

// InvalidValueError is returned for an out-of-range or malformed value.
type InvalidValueError struct {
	What     string // e.g. "loss"
	Value    string
	Accepted string // e.g. "a probability from 0 to 1"
}

func (e *InvalidValueError) Error() string {
	return fmt.Sprintf("invalid %s %s: accepted is %s", e.What, e.Value, e.Accepted)
}

// ErrDuplicateRadio is wrapped when a radio name or address is already in use.
var ErrDuplicateRadio = errors.New("radio already exists")

// IsBadInput reports whether err is the caller's fault (unknown name, bad
// value, duplicate), as opposed to an internal failure. The control API maps
// these to HTTP 400 and vmctl to exit code 2.
func IsBadInput(err error) bool {
	var u *UnknownRadioError
	var v *InvalidValueError
	return errors.As(err, &u) || errors.As(err, &v) || errors.Is(err, ErrDuplicateRadio)
}
