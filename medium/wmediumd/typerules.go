// SPDX-License-Identifier: MIT

package wmediumd

import (
	"fmt"
	"math"

	"github.com/vmedium/vmedium/medium/wmediumd/libconfig"
)

// wmediumd reads its config through libconfig's C accessors with
// auto-conversion off. The helpers here return exactly what those return
// and add a Warning whenever that differs from what the file says.

// intVal is config_setting_get_int(_elem): a float (or anything but an
// integer) reads 0.
func (l *loader) intVal(s *libconfig.Setting) int32 {
	v, ok := s.GetInt()
	if ok || s == nil {
		return v
	}
	switch s.Type {
	case libconfig.TypeFloat:
		l.warn(s, "%s is a float; wmediumd reads only integers here and takes 0, and so does vmedium: write %d", s, int64(math.Round(s.Float)))
	case libconfig.TypeInt64:
		l.warn(s, "%d does not fit 32 bits; wmediumd reads 0 here, and so does vmedium", s.Int)
	default:
		l.warn(s, "is a %s where an integer is expected; wmediumd reads 0, and so does vmedium", s.Type)
	}
	return 0
}

// floatVal is config_setting_get_float(_elem): an integer reads 0.
func (l *loader) floatVal(s *libconfig.Setting) float64 {
	v, ok := s.GetFloat()
	if ok || s == nil {
		return v
	}
	if s.Type == libconfig.TypeInt || s.Type == libconfig.TypeInt64 {
		l.warn(s, "%d is an integer; wmediumd reads only floats here and takes 0, and so does vmedium: write %d.0", s.Int, s.Int)
	} else {
		l.warn(s, "is a %s where a float is expected; wmediumd reads 0, and so does vmedium", s.Type)
	}
	return 0
}

// boolVal is config_setting_get_bool: anything but a boolean reads false.
func (l *loader) boolVal(s *libconfig.Setting) bool {
	v, ok := s.GetBool()
	if !ok {
		l.warn(s, "is a %s, not a boolean; wmediumd reads false, and so does vmedium: write true or false", s.Type)
	}
	return v
}

// lookupFloat is config_setting_lookup_float on group.name: absent or not
// a float, it fails (wmediumd then exits if the key is required). For an
// optional key (required == false) the failure returns def and, for a
// wrongly typed value, a warning.
func (l *loader) lookupFloat(group *libconfig.Setting, name string, required bool, def float64, why string) (float64, error) {
	s := group.Member(name)
	if s == nil {
		if required {
			return 0, l.missing(group.Path()+"."+name, fmt.Sprintf("%s needs %s (a float, e.g. %s = 3.0;)", why, name, name))
		}
		return def, nil
	}
	if v, ok := s.GetFloat(); ok {
		return v, nil
	}
	if required {
		if s.Type == libconfig.TypeInt || s.Type == libconfig.TypeInt64 {
			return 0, at(s, fmt.Sprintf("%d is an integer; wmediumd accepts only a float here (it reports the key as not found and exits): write %d.0", s.Int, s.Int))
		}
		return 0, at(s, fmt.Sprintf("is a %s; %s needs a float, e.g. %s = 3.0;", s.Type, why, name))
	}
	l.warn(s, "is a %s %s, not a float; wmediumd then uses the default %v, and so does vmedium: write a float like %s = 3.0;", s.Type, s, def, name)
	return def, nil
}

// lookupInt is config_setting_lookup_int on group.name, with the same
// rules as lookupFloat.
func (l *loader) lookupInt(group *libconfig.Setting, name string, required bool, def int, why string) (int, error) {
	s := group.Member(name)
	if s == nil {
		if required {
			return 0, l.missing(group.Path()+"."+name, fmt.Sprintf("%s needs %s (an integer, e.g. %s = 1;)", why, name, name))
		}
		return def, nil
	}
	if v, ok := s.GetInt(); ok {
		return int(v), nil
	}
	if required {
		if s.Type == libconfig.TypeFloat {
			return 0, at(s, fmt.Sprintf("%s is a float; wmediumd accepts only an integer here (it reports the key as not found and exits): write %d", s, int64(math.Round(s.Float))))
		}
		return 0, at(s, fmt.Sprintf("is a %s; %s needs an integer, e.g. %s = 1;", s.Type, why, name))
	}
	l.warn(s, "is a %s %s, not an integer; wmediumd then uses the default %d, and so does vmedium", s.Type, s, def)
	return def, nil
}
