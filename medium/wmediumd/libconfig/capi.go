// SPDX-License-Identifier: MIT

package libconfig

import "math"

// The Get* methods return what libconfig's C accessors
// (config_setting_get_int, _int64, _float, _bool, _string) return for s
// when auto-conversion is off, as in wmediumd: the value when s has the
// accessor's type, otherwise the zero value. ok reports whether the type
// matched, i.e. whether the C function's result means what the file says;
// the config_setting_lookup_* functions fail exactly when ok is false.
// A nil setting yields the zero value and ok == false.

// GetInt is config_setting_get_int: an Int, or an Int64 that fits 32 bits.
// A float reads 0.
func (s *Setting) GetInt() (v int32, ok bool) {
	if s == nil {
		return 0, false
	}
	switch s.Type {
	case TypeInt, TypeInt64:
		if s.Int >= math.MinInt32 && s.Int <= math.MaxInt32 {
			return int32(s.Int), true
		}
	}
	return 0, false
}

// GetInt64 is config_setting_get_int64: either integer type. A float
// reads 0.
func (s *Setting) GetInt64() (v int64, ok bool) {
	if s != nil && (s.Type == TypeInt || s.Type == TypeInt64) {
		return s.Int, true
	}
	return 0, false
}

// GetFloat is config_setting_get_float: only a float; an integer reads 0.
func (s *Setting) GetFloat() (v float64, ok bool) {
	if s != nil && s.Type == TypeFloat {
		return s.Float, true
	}
	return 0, false
}

// GetBool is config_setting_get_bool: only a boolean; anything else reads
// false.
func (s *Setting) GetBool() (v bool, ok bool) {
	if s != nil && s.Type == TypeBool {
		return s.Bool, true
	}
	return false, false
}

// GetString is config_setting_get_string: only a string; anything else is
// NULL in C (ok == false here).
func (s *Setting) GetString() (v string, ok bool) {
	if s != nil && s.Type == TypeString {
		return s.Str, true
	}
	return "", false
}

// IsNumber reports whether s is an integer or a float.
func (s *Setting) IsNumber() bool {
	return s != nil && (s.Type == TypeInt || s.Type == TypeInt64 || s.Type == TypeFloat)
}

// Number returns a numeric setting's value as a float64 whatever its type
// (what the file's author meant), and false for anything else.
func (s *Setting) Number() (float64, bool) {
	switch {
	case s == nil:
		return 0, false
	case s.Type == TypeFloat:
		return s.Float, true
	case s.Type == TypeInt || s.Type == TypeInt64:
		return float64(s.Int), true
	}
	return 0, false
}
