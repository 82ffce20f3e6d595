// SPDX-License-Identifier: MIT

package libconfig

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *Setting {
	t.Helper()
	root, err := Parser{ReadFile: noInclude}.Parse("test.cfg", []byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return root
}

func noInclude(string) ([]byte, error) { return nil, os.ErrNotExist }

func TestParseSyntaxFile(t *testing.T) {
	root, err := ParseFile("testdata/syntax-all.cfg")
	if err != nil {
		t.Fatal(err)
	}
	str := func(path, want string) {
		t.Helper()
		v, ok := root.Lookup(path).GetString()
		if !ok || v != want {
			t.Errorf("%s = %q (ok %v), want %q", path, v, ok, want)
		}
	}
	integer := func(path string, want int64, typ Type) {
		t.Helper()
		s := root.Lookup(path)
		if s == nil || s.Type != typ || s.Int != want {
			t.Errorf("%s = %+v, want %s %d", path, s, typ, want)
		}
	}
	str("version", "1.0")
	str("name", "split across lines")
	str("escapes", "tab\there \"q\" back\\slash A")
	integer("hex", 31, TypeInt)
	integer("big", 9000000000, TypeInt64)
	integer("long", 42, TypeInt64)
	integer("neg", -7, TypeInt)
	integer("bin", 5, TypeInt)
	integer("oct", 15, TypeInt)
	wantF := []float64{1.5, .5, 2, -300, 6.02e23}
	fl := root.Lookup("floats")
	if fl.Type != TypeArray || fl.Len() != len(wantF) {
		t.Fatalf("floats = %+v", fl)
	}
	for i, w := range wantF {
		if v, ok := fl.Elem(i).GetFloat(); !ok || v != w {
			t.Errorf("floats[%d] = %v, want %v", i, v, w)
		}
	}
	if v, ok := root.Lookup("flags.on").GetBool(); !ok || !v {
		t.Errorf("flags.on = %v %v", v, ok)
	}
	if v, ok := root.Lookup("flags.off").GetBool(); !ok || v {
		t.Errorf("flags.off = %v %v", v, ok)
	}
	mixed := root.Lookup("mixed")
	if mixed.Type != TypeList || mixed.Len() != 6 {
		t.Fatalf("mixed = %+v", mixed)
	}
	if v, _ := root.Lookup("mixed.[3].four").GetInt(); v != 4 {
		t.Errorf("mixed[3].four = %d", v)
	}
	if v, _ := root.Lookup("mixed[5][1]").GetInt64(); v != 7 {
		t.Errorf("mixed[5][1] = %d", v)
	}
	for _, p := range []string{"empty_list", "empty_array", "empty_group"} {
		if s := root.Lookup(p); s == nil || s.Len() != 0 || s.Type.Scalar() {
			t.Errorf("%s = %+v", p, s)
		}
	}
	inc := root.Lookup("included.depth")
	if v, _ := inc.GetInt(); v != 1 || filepath.Base(inc.File) != "syntax-inc.cfg" || inc.Line != 2 {
		t.Errorf("included.depth = %+v", inc)
	}
	if s := root.Lookup("after_include"); s == nil || s.Line != 15 || filepath.Base(s.File) != "syntax-all.cfg" {
		t.Errorf("after_include = %+v (line numbering must resume after an include)", s)
	}
	if got := root.Lookup("mixed[3].four").Path(); got != "mixed[3].four" {
		t.Errorf("Path() = %q", got)
	}
}

func TestParseValues(t *testing.T) {
	cases := []struct {
		src  string
		typ  Type
		want string // Setting.String() of "v"
	}{
		{"v = 1;", TypeInt, "1"},
		{"v=1", TypeInt, "1"},
		{"v : 2147483647", TypeInt, "2147483647"},
		{"v = 2147483648", TypeInt64, "2147483648L"},
		{"v = -2147483648", TypeInt, "-2147483648"},
		{"v = -2147483649", TypeInt64, "-2147483649L"},
		{"v = 9223372036854775807", TypeInt64, "9223372036854775807L"},
		{"v = -9223372036854775808", TypeInt64, "-9223372036854775808L"},
		{"v = 0xFFFFFFFF", TypeInt, "-1"}, // libconfig keeps 32 bits
		{"v = 0x100000005", TypeInt, "5"},
		{"v = 0xFFFFFFFFL", TypeInt64, "4294967295L"},
		{`v = "a\qb\x4\X41"`, TypeString, `"a\\qb\\x4A"`},
		{"v = 0x10L", TypeInt64, "16L"},
		{"v = 7LL", TypeInt64, "7L"},
		{"v = 1e3", TypeFloat, "1000.0"},
		{"v = 1.e-2", TypeFloat, "0.01"},
		{"v = +4.25", TypeFloat, "4.25"},
		{"v = TrUe", TypeBool, "true"},
		{"v = FALSE;", TypeBool, "false"},
		{`v = "a" /* c */ "b" // d
		       "c"`, TypeString, `"abc"`},
		{`v = "line
break"`, TypeString, `"line\nbreak"`},
		{"v = [1, 2L]", TypeArray, "array of 2"},
		{"v = ()", TypeList, "list of 0"},
		{"v = (1, 2,, )", TypeList, "list of 2"},
		{"v = [1,]", TypeArray, "array of 1"},
		{"#only\nv = {}", TypeGroup, "group of 0"},
	}
	for _, c := range cases {
		v := mustParse(t, c.src).Lookup("v")
		if v == nil || v.Type != c.typ || v.String() != c.want {
			t.Errorf("%q: got %v %q, want %v %q", c.src, v.Type, v.String(), c.typ, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		src        string
		line       int
		path, want string
	}{
		{"a = 1;\nb = ;", 2, "b", "expected a value"},
		{"a = 1\nb 2", 2, "b", "expected '=' or ':' after the name \"b\""},
		{"g = {\n x = 1;\n x = 2; };", 3, "g", `duplicate setting "x" (first on line 2)`},
		{"l = (1,\n 2,\n ,);\nm = (\n, 1)", 5, "m[0]", "expected a value"},
		{"l = (1 2)", 1, "l", "expected ',' or ')'"},
		{"a = [1, \"x\"]", 1, "a[1]", "array elements must all have one type: element 0 is a integer, this one a string"},
		{"a = [1, (2)]", 1, "a[1]", "an array holds only scalars"},
		{"m = {\n n = {\n k = 0x; } }", 3, "m.n.k", "malformed number \"0x\""},
		{"v = 99999999999999999999", 1, "v", "does not fit 64 bits"},
		{"v = 1.2.3", 1, "v", "malformed number"},
		{"v = \"open", 1, "v", "never closed"},
		{"v = -0x10", 1, "v", "takes no sign"},
		{"/* never\nclosed", 1, "", "never closed with '*/'"},
		{"g = { a = 1; ", 1, "g", "expected a setting name or '}', found end of file"},
		{"}", 1, "", "expected a setting name or end of file, found '}'"},
		{"v = 1; @define x", 1, "", `unknown directive "@define"`},
		{"v = $", 1, "v", `unexpected character '$'`},
		{"a = { b = ( { c = [ 1, 2.0 ] } ) }", 1, "a.b[0].c[1]", "element 0 is a integer, this one a float"},
	}
	for _, c := range cases {
		_, err := Parser{ReadFile: noInclude}.Parse("bad.cfg", []byte(c.src))
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v, want *Error", c.src, err)
			continue
		}
		if pe.File != "bad.cfg" || pe.Line != c.line || pe.Path != c.path || !strings.Contains(pe.Msg, c.want) {
			t.Errorf("%q:\n got  %s (line %d path %q)\n want line %d path %q msg containing %q", c.src, pe, pe.Line, pe.Path, c.line, c.path, c.want)
		}
		if !strings.HasPrefix(pe.Error(), "bad.cfg:") {
			t.Errorf("%q: Error() = %q, want it to start with the file", c.src, pe.Error())
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	src := "v = " + strings.Repeat("(", maxDepth+5) + strings.Repeat(")", maxDepth+5)
	_, err := Parse("deep.cfg", []byte(src))
	if err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("err = %v", err)
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.cfg", "a = 1;\n@include \"sub/one.cfg\"\nc = 3;\n")
	write("sub/one.cfg", "# relative to sub/\n@include \"two.cfg\"\n")
	write("sub/two.cfg", "b = 2;\n")
	root, err := ParseFile(filepath.Join(dir, "main.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]int32{"a": 1, "b": 2, "c": 3} {
		if v, ok := root.Lookup(p).GetInt(); !ok || v != want {
			t.Errorf("%s = %d %v", p, v, ok)
		}
	}
	if b := root.Lookup("b"); b.File != filepath.Join(dir, "sub/two.cfg") || b.Line != 1 {
		t.Errorf("b from %s:%d", b.File, b.Line)
	}

	write("loop.cfg", "x = 1;\n@include \"sub/back.cfg\"\n")
	write("sub/back.cfg", "\n\n@include \"../loop.cfg\"\n")
	_, err = ParseFile(filepath.Join(dir, "loop.cfg"))
	var pe *Error
	if !errors.Is(err, ErrIncludeCycle) || !errors.As(err, &pe) || pe.Line != 3 || !strings.HasSuffix(pe.File, "back.cfg") {
		t.Fatalf("cycle: err = %v", err)
	}

	write("missing.cfg", "g = {\n@include \"nope.cfg\"\n}")
	_, err = ParseFile(filepath.Join(dir, "missing.cfg"))
	if !errors.Is(err, os.ErrNotExist) || !errors.As(err, &pe) || pe.Line != 2 || pe.Path != "g" {
		t.Fatalf("missing include: err = %v", err)
	}
}

func TestLookup(t *testing.T) {
	root := mustParse(t, "a = { b = ( 10, [ 20, 30 ] ); };")
	cases := map[string]int64{"a.b.[0]": 10, "a.b[1][1]": 30, "a/b/1/0": 20, "a:b.0": 10}
	for p, want := range cases {
		if v, ok := root.Lookup(p).GetInt64(); !ok || v != want {
			t.Errorf("Lookup(%q) = %d %v, want %d", p, v, ok, want)
		}
	}
	for _, p := range []string{"a.c", "a.b[9]", "a.b[x]", "a.b[1", "z"} {
		if s := root.Lookup(p); s != nil {
			t.Errorf("Lookup(%q) = %+v, want nil", p, s)
		}
	}
}

// The C accessors' type rules: no auto-conversion, wrong types read zero.
func TestCAccessors(t *testing.T) {
	root := mustParse(t, `i = 15; f = 15.0; b = true; s = "x"; big = 5000000000;`)
	if v, ok := root.Lookup("i").GetFloat(); ok || v != 0 {
		t.Errorf("GetFloat(int) = %v %v, want 0 false", v, ok)
	}
	if v, ok := root.Lookup("f").GetInt(); ok || v != 0 {
		t.Errorf("GetInt(float) = %v %v, want 0 false", v, ok)
	}
	if v, ok := root.Lookup("big").GetInt(); ok || v != 0 {
		t.Errorf("GetInt(int64 beyond 32 bits) = %v %v", v, ok)
	}
	if v, ok := root.Lookup("big").GetInt64(); !ok || v != 5000000000 {
		t.Errorf("GetInt64 = %v %v", v, ok)
	}
	if v, ok := root.Lookup("i").GetBool(); ok || v {
		t.Errorf("GetBool(int) = %v %v", v, ok)
	}
	if _, ok := root.Lookup("b").GetString(); ok {
		t.Errorf("GetString(bool) ok")
	}
	if v, ok := root.Lookup("i").Number(); !ok || v != 15 {
		t.Errorf("Number(int) = %v", v)
	}
	if _, ok := (*Setting)(nil).GetInt(); ok {
		t.Error("nil GetInt ok")
	}
	if v := mustParse(t, "v = -0.0").Lookup("v").Float; !math.Signbit(v) {
		t.Errorf("-0.0 lost its sign")
	}
}
