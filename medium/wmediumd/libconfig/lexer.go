// SPDX-License-Identifier: MIT

package libconfig

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

type tokKind int

const (
	tEOF tokKind = iota
	tName
	tString
	tInt
	tInt64
	tFloat
	tBool
	tAssign // '=' or ':'
	tSemi
	tComma
	tLBrace
	tRBrace
	tLParen
	tRParen
	tLBracket
	tRBracket
)

type token struct {
	kind tokKind
	text string // source text (names: the name; strings: the decoded value)
	i    int64
	f    float64
	b    bool
	file string
	line int
}

// describe names a token for "found X" in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tName:
		return "name " + strconv.Quote(t.text)
	case tString:
		return "string " + strconv.Quote(t.text)
	case tInt, tInt64:
		return "integer " + t.text
	case tFloat:
		return "float " + t.text
	case tBool:
		return "boolean " + t.text
	}
	return "'" + t.text + "'"
}

// source is one file being read; @include pushes another onto the stack.
type source struct {
	file string
	data []byte
	pos  int
	line int
}

// maxIncludeDepth bounds nested @include (libconfig's own limit is 10).
const maxIncludeDepth = 10

type lexer struct {
	stack    []*source
	readFile func(string) ([]byte, error)
	path     func() string // the key path being parsed, for errors
}

func (l *lexer) top() *source { return l.stack[len(l.stack)-1] }

func (l *lexer) errorf(line int, format string, args ...any) *Error {
	return &Error{File: l.top().file, Line: line, Path: l.path(), Msg: fmt.Sprintf(format, args...)}
}

// skipSpace skips blanks and the three comment styles in the current source.
func (l *lexer) skipSpace() error {
	s := l.top()
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '\n':
			s.line++
			s.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			s.pos++
		case c == '#' || (c == '/' && s.pos+1 < len(s.data) && s.data[s.pos+1] == '/'):
			for s.pos < len(s.data) && s.data[s.pos] != '\n' {
				s.pos++
			}
		case c == '/' && s.pos+1 < len(s.data) && s.data[s.pos+1] == '*':
			start := s.line
			s.pos += 2
			for {
				if s.pos+1 >= len(s.data) {
					s.pos = len(s.data)
					return l.errorf(start, "comment opened with '/*' is never closed with '*/'")
				}
				if s.data[s.pos] == '*' && s.data[s.pos+1] == '/' {
					s.pos += 2
					break
				}
				if s.data[s.pos] == '\n' {
					s.line++
				}
				s.pos++
			}
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token, following @include directives.
func (l *lexer) next() (token, error) {
	for {
		if err := l.skipSpace(); err != nil {
			return token{}, err
		}
		s := l.top()
		if s.pos >= len(s.data) {
			if len(l.stack) > 1 {
				l.stack = l.stack[:len(l.stack)-1]
				continue
			}
			return token{kind: tEOF, file: s.file, line: s.line}, nil
		}
		if s.data[s.pos] == '@' {
			if err := l.include(); err != nil {
				return token{}, err
			}
			continue
		}
		return l.scan()
	}
}

// include handles `@include "file"` at the current position.
func (l *lexer) include() error {
	s := l.top()
	line := s.line
	start := s.pos
	s.pos++
	for s.pos < len(s.data) && isNameChar(s.data[s.pos]) {
		s.pos++
	}
	if word := string(s.data[start:s.pos]); word != "@include" {
		return l.errorf(line, "unknown directive %q; the only directive is @include \"file\"", word)
	}
	if err := l.skipSpace(); err != nil {
		return err
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return l.errorf(line, "@include must be followed by a file name in double quotes")
	}
	t, err := l.scanString()
	if err != nil {
		return err
	}
	name := t.text
	if !filepath.IsAbs(name) && s.file != "" {
		name = filepath.Join(filepath.Dir(s.file), name)
	}
	clean := filepath.Clean(name)
	for _, o := range l.stack {
		if o.file != "" && filepath.Clean(o.file) == clean {
			return &Error{File: s.file, Line: line, Path: l.path(),
				Msg: fmt.Sprintf("@include %q includes a file that is already being read", t.text), Err: ErrIncludeCycle}
		}
	}
	if len(l.stack) > maxIncludeDepth {
		return l.errorf(line, "@include %q: includes nested deeper than %d", t.text, maxIncludeDepth)
	}
	if l.readFile == nil {
		return l.errorf(line, "@include %q: includes are not available here", t.text)
	}
	data, err := l.readFile(name)
	if err != nil {
		return &Error{File: s.file, Line: line, Path: l.path(), Msg: fmt.Sprintf("@include %q", t.text), Err: err}
	}
	l.stack = append(l.stack, &source{file: name, data: data, line: 1})
	return nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*'
}

func isNameChar(c byte) bool {
	return isNameStart(c) || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// scan reads one token at the current position (no blanks, no '@').
func (l *lexer) scan() (token, error) {
	s := l.top()
	c := s.data[s.pos]
	tok := token{file: s.file, line: s.line, text: string(c)}
	switch c {
	case '=', ':':
		tok.kind = tAssign
	case ';':
		tok.kind = tSemi
	case ',':
		tok.kind = tComma
	case '{':
		tok.kind = tLBrace
	case '}':
		tok.kind = tRBrace
	case '(':
		tok.kind = tLParen
	case ')':
		tok.kind = tRParen
	case '[':
		tok.kind = tLBracket
	case ']':
		tok.kind = tRBracket
	case '"':
		return l.scanString()
	default:
		switch {
		case isNameStart(c):
			start := s.pos
			for s.pos < len(s.data) && isNameChar(s.data[s.pos]) {
				s.pos++
			}
			tok.text = string(s.data[start:s.pos])
			tok.kind = tName
			switch strings.ToLower(tok.text) {
			case "true":
				tok.kind, tok.b = tBool, true
			case "false":
				tok.kind, tok.b = tBool, false
			}
			return tok, nil
		case c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.':
			return l.scanNumber()
		}
		if c < 0x20 || c >= 0x7f {
			return tok, l.errorf(s.line, "unexpected byte 0x%02x", c)
		}
		return tok, l.errorf(s.line, "unexpected character %q", c)
	}
	s.pos++
	return tok, nil
}

// scanString reads one "..." literal, decoding escapes.
func (l *lexer) scanString() (token, error) {
	s := l.top()
	tok := token{kind: tString, file: s.file, line: s.line}
	s.pos++ // opening quote
	var b strings.Builder
	for {
		if s.pos >= len(s.data) {
			return tok, l.errorf(tok.line, "string is never closed with '\"'")
		}
		c := s.data[s.pos]
		s.pos++
		switch c {
		case '"':
			tok.text = b.String()
			return tok, nil
		case '\n':
			s.line++
			b.WriteByte(c)
		case '\\':
			if s.pos >= len(s.data) {
				return tok, l.errorf(tok.line, "string is never closed with '\"'")
			}
			e := s.data[s.pos]
			s.pos++
			switch e {
			case '\\', '"':
				b.WriteByte(e)
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'x', 'X':
				if v, ok := hexByte(s.data[s.pos:]); ok {
					s.pos += 2
					b.WriteByte(v)
				} else { // as libconfig: a backslash that starts no escape is kept
					b.WriteByte('\\')
					s.pos--
				}
			default:
				b.WriteByte('\\')
				s.pos--
			}
		default:
			b.WriteByte(c)
		}
	}
}

// scanNumber reads an integer or float literal.
func (l *lexer) scanNumber() (token, error) {
	s := l.top()
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' {
			s.pos++
			continue
		}
		if c == '-' || c == '+' {
			if s.pos == start {
				s.pos++
				continue
			}
			p := s.data[s.pos-1]
			if (p == 'e' || p == 'E') && !isHexPrefixed(s.data[start:s.pos]) {
				s.pos++
				continue
			}
		}
		break
	}
	text := string(s.data[start:s.pos])
	tok := token{text: text, file: s.file, line: s.line}
	if err := parseNumber(&tok); err != "" {
		return tok, l.errorf(s.line, "%s", err)
	}
	return tok, nil
}

func hexByte(b []byte) (byte, bool) {
	if len(b) < 2 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:2]), 16, 8)
	return byte(v), err == nil
}

func isHexPrefixed(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	return len(b) > 1 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X')
}

// parseNumber fills tok's kind and value from tok.text, or says what is
// wrong with it.
func parseNumber(tok *token) string {
	t := tok.text
	neg := false
	body := t
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg = body[0] == '-'
		body = body[1:]
	}
	bad := fmt.Sprintf("malformed number %q; accepted: 42, -7, 0x1F, 0b101, 0o17, 42L, 1.5, .5, 1e-3", t)
	if body == "" {
		return bad
	}
	long := false
	trimL := func(b string) string {
		for i := 0; i < 2 && b != "" && (b[len(b)-1] == 'L' || b[len(b)-1] == 'l'); i++ {
			b = b[:len(b)-1]
			long = true
		}
		return b
	}
	base := 10
	digits := body
	if len(body) > 1 && body[0] == '0' {
		switch body[1] {
		case 'x', 'X':
			base = 16
		case 'b', 'B':
			base = 2
		case 'o', 'O', 'q', 'Q':
			base = 8
		}
		if base != 10 {
			digits = body[2:]
		}
	}
	if base != 10 {
		digits = trimL(digits)
		if digits == "" {
			return bad
		}
		if body != t {
			return fmt.Sprintf("%q: a hex, binary or octal integer takes no sign", t)
		}
		u, err := strconv.ParseUint(digits, base, 64)
		if err != nil {
			if strings.Contains(err.Error(), "range") {
				return fmt.Sprintf("integer %q does not fit 64 bits", t)
			}
			return bad
		}
		if long {
			return setInt(tok, int64(u), true) // the 64-bit pattern, as libconfig
		}
		// Without L, libconfig stores the low 32 bits as an int:
		// 0xFFFFFFFF reads -1.
		return setInt(tok, int64(int32(uint32(u))), false)
	}
	if strings.ContainsAny(digits, ".eE") {
		if !validFloat(digits) {
			return bad
		}
		f, err := strconv.ParseFloat(digits, 64)
		if err != nil {
			return fmt.Sprintf("float %q is out of range", t)
		}
		if neg {
			f = -f
		}
		tok.kind, tok.f = tFloat, f
		return ""
	}
	digits = trimL(digits)
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return bad
	}
	u, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || (!neg && u > 1<<63-1) || (neg && u > 1<<63) {
		return fmt.Sprintf("integer %q does not fit 64 bits", t)
	}
	v := int64(u)
	if neg {
		v = -v
	}
	return setInt(tok, v, long || v > 1<<31-1 || v < -1<<31)
}

func setInt(tok *token, v int64, is64 bool) string {
	tok.i = v
	tok.kind = tInt
	if is64 {
		tok.kind = tInt64
	}
	return ""
}

// validFloat checks digits[.digits][e[+-]digits] with at least one mantissa
// digit (strconv.ParseFloat alone would also take "inf", "0x1p3" or "1_0").
func validFloat(s string) bool {
	i, n := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		n++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		m := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			m++
		}
		if m == 0 {
			return false
		}
	}
	return i == len(s)
}
