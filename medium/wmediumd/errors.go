// SPDX-License-Identifier: MIT

package wmediumd

import (
	"errors"
	"strconv"

	"github.com/vmedium/vmedium/medium/wmediumd/libconfig"
)

// Error is a configuration that wmediumd would refuse or misread beyond
// use: File, Line and Key say where, Msg what is wrong and what is accepted.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string { return where(e.File, e.Line, e.Key) + e.Msg }

// Warning is a value vmedium reads exactly as wmediumd does but which
// probably is not what the file's author meant (an integer where wmediumd
// takes only floats reads 0, an ignored key, ...); Msg says what vmedium
// uses and what to write instead.
type Warning struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (w Warning) String() string { return where(w.File, w.Line, w.Key) + w.Msg }

func where(file string, line int, key string) string {
	s := file
	if s == "" {
		s = "<config>"
	}
	if line > 0 {
		s += ":" + strconv.Itoa(line)
	}
	s += ": "
	if key != "" {
		s += key + ": "
	}
	return s
}

// ErrPERWithProb is returned by Config.CheckPERTable: wmediumd refuses a
// -x PER table together with the prob model, whose matrix already gives
// each link's loss.
var ErrPERWithProb = errors.New("a -x PER table cannot be used with model.type \"prob\" (the links already give the loss probabilities)")

// at builds an Error located at a setting.
func at(s *libconfig.Setting, msg string) *Error {
	return &Error{File: s.File, Line: s.Line, Key: s.Path(), Msg: msg}
}
