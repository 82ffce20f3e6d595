// SPDX-License-Identifier: MIT

package libconfig

import (
	"strconv"
	"strings"
)

// Type is the type of a setting, as libconfig distinguishes them.
type Type int

// The setting types. Int and Int64 are separate as in libconfig: an integer
// literal is an Int when it fits 32 bits and has no L suffix.
const (
	TypeGroup Type = iota
	TypeInt
	TypeInt64
	TypeFloat
	TypeString
	TypeBool
	TypeArray
	TypeList
)

var typeNames = [...]string{
	TypeGroup:  "group",
	TypeInt:    "integer",
	TypeInt64:  "64-bit integer",
	TypeFloat:  "float",
	TypeString: "string",
	TypeBool:   "boolean",
	TypeArray:  "array",
	TypeList:   "list",
}

func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Scalar reports whether t is a single value (not a group, array or list).
func (t Type) Scalar() bool {
	switch t {
	case TypeInt, TypeInt64, TypeFloat, TypeString, TypeBool:
		return true
	}
	return false
}

// Setting is one node of a parsed configuration: the root group, a named
// member of a group, or an element of an array or list. Only the field of
// its type is meaningful: Int for TypeInt and TypeInt64, Float, Str, Bool,
// and Children (in file order) for groups, arrays and lists.
type Setting struct {
	Name     string // empty for the root and for array/list elements
	Type     Type
	Int      int64
	Float    float64
	Str      string
	Bool     bool
	Children []*Setting

	File string // the file the value was read from (after @include)
	Line int    // 1-based line of the value's first token

	parent *Setting
	index  int // position in the parent's Children
}

// Parent returns the enclosing setting, nil for the root.
func (s *Setting) Parent() *Setting { return s.parent }

// Index returns the setting's position in its parent (0 for the root).
func (s *Setting) Index() int { return s.index }

// Path returns the setting's key path as libconfig's lookups spell it, with
// element indices in brackets: "model.links[2][0]". The root's path is "".
func (s *Setting) Path() string {
	if s == nil || s.parent == nil {
		return ""
	}
	pp := s.parent.Path()
	if s.parent.Type != TypeGroup {
		return pp + "[" + strconv.Itoa(s.index) + "]"
	}
	if pp == "" {
		return s.Name
	}
	return pp + "." + s.Name
}

// Len returns the number of children of a group, array or list, and 0 for a
// scalar (as config_setting_length does).
func (s *Setting) Len() int {
	if s == nil || s.Type.Scalar() {
		return 0
	}
	return len(s.Children)
}

// Elem returns the i-th child of a group, array or list, or nil when there
// is none (config_setting_get_elem).
func (s *Setting) Elem(i int) *Setting {
	if s == nil || s.Type.Scalar() || i < 0 || i >= len(s.Children) {
		return nil
	}
	return s.Children[i]
}

// Member returns the group member called name, or nil
// (config_setting_get_member).
func (s *Setting) Member(name string) *Setting {
	if s == nil || s.Type != TypeGroup {
		return nil
	}
	for _, c := range s.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Lookup finds a setting by path relative to s, the way config_lookup
// does: names separated by '.', ':' or '/', and "[n]" (or a bare number
// after a separator) for the n-th element. It returns nil when any step is
// missing.
func (s *Setting) Lookup(path string) *Setting {
	cur := s
	for path != "" && cur != nil {
		switch path[0] {
		case '.', ':', '/':
			path = path[1:]
			continue
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			n, err := strconv.Atoi(path[1:end])
			if err != nil {
				return nil
			}
			cur = cur.Elem(n)
			path = path[end+1:]
			continue
		}
		end := strings.IndexAny(path, ".:/[")
		if end < 0 {
			end = len(path)
		}
		part := path[:end]
		path = path[end:]
		if n, err := strconv.Atoi(part); err == nil && cur.Type != TypeGroup {
			cur = cur.Elem(n)
		} else {
			cur = cur.Member(part)
		}
	}
	return cur
}

// String renders a scalar's value as it would be written in a file
// (strings quoted), and an aggregate as its type and length.
func (s *Setting) String() string {
	switch s.Type {
	case TypeInt:
		return strconv.FormatInt(s.Int, 10)
	case TypeInt64:
		return strconv.FormatInt(s.Int, 10) + "L"
	case TypeFloat:
		f := strconv.FormatFloat(s.Float, 'g', -1, 64)
		if !strings.ContainsAny(f, ".eEn") { // n: NaN, Inf
			f += ".0"
		}
		return f
	case TypeString:
		return strconv.Quote(s.Str)
	case TypeBool:
		if s.Bool {
			return "true"
		}
		return "false"
	}
	return s.Type.String() + " of " + strconv.Itoa(len(s.Children))
}
