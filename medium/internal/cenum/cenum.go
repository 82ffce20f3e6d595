// SPDX-License-Identifier: MIT

// Package cenum reads the integer constants of a C header — the members of
// its enums and its object-like #defines — so tests can pin Go constants to
// the header they mirror (the kernel's mac80211_hwsim.h, the module's
// uapi/vmedium_radio.h) instead of to numbers retyped by hand.
//
// It understands what such headers use: enumerators with implicit values
// (the previous one plus one, the first 0) and explicit ones (= 5,
// = 0x10, = BIT(3), = (1 << 3), = OTHER_NAME, = __MAX - 1), comments of both
// kinds, line continuations, #define NAME VALUE with the same expressions,
// string #defines (kept as written, quotes included), and the sizes of
// __packed structs of fixed-width integers (struct hwsim_tx_rate).
// Function-like macros and everything else are skipped.
package cenum

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Member is one enumerator.
type Member struct {
	Name  string
	Value int64
}

// Header is what Parse found.
type Header struct {
	// Enums are the enums by tag (enum hwsim_commands → "hwsim_commands";
	// anonymous enums are not listed here, their members are in Values).
	Enums map[string][]Member
	// Values are every enumerator and every #define with an integer value.
	Values map[string]int64
	// Defines are every object-like #define's text, as written.
	Defines map[string]string
	// PackedSizes are the sizes in bytes of the __packed structs whose
	// members are all fixed-width kernel integers (u8 … __s64, arrays of
	// them with a constant length), by tag.
	PackedSizes map[string]int
}

// ParseFile parses the header at path.
func ParseFile(path string) (*Header, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`//[^\n]*`)
	defineRe     = regexp.MustCompile(`(?m)^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)([ \t]+(.*?))?[ \t]*$`)
	enumRe       = regexp.MustCompile(`(?s)\benum\s+(\w*)\s*\{(.*?)\}`)
	structRe     = regexp.MustCompile(`(?s)\bstruct\s+(\w+)\s*\{([^{}]*)\}\s*__packed\s*;`)
	fieldRe      = regexp.MustCompile(`^(?:__)?([us])(8|16|32|64)\s+\w+\s*(?:\[\s*([^\]]+)\])?$`)
)

// Parse parses header source text. An enumerator or #define whose value it
// cannot evaluate is an error naming it (a #define that is not an integer
// expression, e.g. a string or a type, is only kept in Defines).
func Parse(src string) (*Header, error) {
	src = strings.ReplaceAll(src, "\\\n", " ")
	src = blockComment.ReplaceAllStringFunc(src, func(c string) string {
		return strings.Repeat("\n", strings.Count(c, "\n")) // keep #define lines apart
	})
	src = lineComment.ReplaceAllString(src, "")
	h := &Header{Enums: map[string][]Member{}, Values: map[string]int64{}, Defines: map[string]string{}, PackedSizes: map[string]int{}}
	// Enums first, in order (a #define may name an enumerator and the
	// other way round: #defines are evaluated lazily below).
	for _, m := range defineRe.FindAllStringSubmatch(src, -1) {
		h.Defines[m[1]] = strings.TrimSpace(m[3])
	}
	for _, m := range enumRe.FindAllStringSubmatch(src, -1) {
		tag, body := m[1], m[2]
		var members []Member
		next := int64(0)
		for _, item := range strings.Split(body, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			name, expr, explicit := strings.Cut(item, "=")
			name = strings.TrimSpace(name)
			if !isIdent(name) {
				return nil, fmt.Errorf("enum %s: %q is not an enumerator", tag, item)
			}
			if explicit {
				v, err := h.eval(expr, 0)
				if err != nil {
					return nil, fmt.Errorf("enum %s: %s = %s: %w", tag, name, strings.TrimSpace(expr), err)
				}
				next = v
			}
			h.Values[name] = next
			members = append(members, Member{Name: name, Value: next})
			next++
		}
		if tag != "" {
			h.Enums[tag] = members
		}
	}
	for name, text := range h.Defines {
		if _, done := h.Values[name]; done || text == "" {
			continue
		}
		if v, err := h.eval(text, 0); err == nil {
			h.Values[name] = v
		}
	}
	for _, m := range structRe.FindAllStringSubmatch(src, -1) {
		if n, ok := h.packedSize(m[2]); ok {
			h.PackedSizes[m[1]] = n
		}
	}
	return h, nil
}

// packedSize sums the members of a packed struct body; false when a
// member is not a fixed-width integer (or array of them).
func (h *Header) packedSize(body string) (int, bool) {
	size := 0
	for _, f := range strings.Split(body, ";") {
		f = strings.Join(strings.Fields(f), " ")
		if f == "" {
			continue
		}
		m := fieldRe.FindStringSubmatch(f)
		if m == nil {
			return 0, false
		}
		bits, _ := strconv.Atoi(m[2])
		n := int64(1)
		if m[3] != "" {
			v, err := h.eval(m[3], 0)
			if err != nil || v < 0 {
				return 0, false
			}
			n = v
		}
		size += bits / 8 * int(n)
	}
	return size, true
}

func isIdent(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// eval evaluates an integer constant expression; depth bounds the #define
// chain it follows.
func (h *Header) eval(expr string, depth int) (int64, error) {
	if depth > 16 {
		return 0, fmt.Errorf("#define chain too deep at %q", expr)
	}
	p := &parser{h: h, toks: tokenize(expr), depth: depth}
	v, err := p.or()
	if err != nil {
		return 0, err
	}
	if p.i != len(p.toks) {
		return 0, fmt.Errorf("unexpected %q in %q", p.toks[p.i], strings.TrimSpace(expr))
	}
	return v, nil
}

var tokenRe = regexp.MustCompile(`<<|>>|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|\S`)

func tokenize(s string) []string { return tokenRe.FindAllString(s, -1) }

// parser is a recursive-descent evaluator for the C operators headers use
// in constants, by C precedence: | below ^ below & below << >> below + -
// below unary - ~ and parentheses.
type parser struct {
	h     *Header
	toks  []string
	i     int
	depth int
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *parser) binary(ops string, next func() (int64, error), apply func(op string, a, b int64) int64) (int64, error) {
	v, err := next()
	if err != nil {
		return 0, err
	}
	for {
		op := p.peek()
		if op == "" || !strings.Contains(" "+ops+" ", " "+op+" ") {
			return v, nil
		}
		p.i++
		w, err := next()
		if err != nil {
			return 0, err
		}
		v = apply(op, v, w)
	}
}

func (p *parser) or() (int64, error) {
	return p.binary("|", p.xor, func(_ string, a, b int64) int64 { return a | b })
}

func (p *parser) xor() (int64, error) {
	return p.binary("^", p.and, func(_ string, a, b int64) int64 { return a ^ b })
}

func (p *parser) and() (int64, error) {
	return p.binary("&", p.shift, func(_ string, a, b int64) int64 { return a & b })
}

func (p *parser) shift() (int64, error) {
	return p.binary("<< >>", p.add, func(op string, a, b int64) int64 {
		if op == "<<" {
			return a << uint(b)
		}
		return a >> uint(b)
	})
}

func (p *parser) add() (int64, error) {
	return p.binary("+ -", p.unary, func(op string, a, b int64) int64 {
		if op == "+" {
			return a + b
		}
		return a - b
	})
}

func (p *parser) unary() (int64, error) {
	switch p.peek() {
	case "-":
		p.i++
		v, err := p.unary()
		return -v, err
	case "~":
		p.i++
		v, err := p.unary()
		return ^v, err
	case "(":
		p.i++
		v, err := p.or()
		if err != nil {
			return 0, err
		}
		if p.peek() != ")" {
			return 0, fmt.Errorf("missing )")
		}
		p.i++
		return v, nil
	}
	return p.primary()
}

func (p *parser) primary() (int64, error) {
	t := p.peek()
	if t == "" {
		return 0, fmt.Errorf("expression ends early")
	}
	p.i++
	if t[0] >= '0' && t[0] <= '9' {
		v, err := strconv.ParseInt(strings.TrimRight(t, "uUlL"), 0, 64)
		if err != nil {
			return 0, fmt.Errorf("number %q: %w", t, err)
		}
		return v, nil
	}
	if !isIdent(t) {
		return 0, fmt.Errorf("unexpected %q", t)
	}
	if t == "BIT" || t == "BIT_ULL" {
		if p.peek() != "(" {
			return 0, fmt.Errorf("%s without (n)", t)
		}
		p.i++
		n, err := p.or()
		if err != nil {
			return 0, err
		}
		if p.peek() != ")" {
			return 0, fmt.Errorf("%s(: missing )", t)
		}
		p.i++
		if n < 0 || n > 62 {
			return 0, fmt.Errorf("%s(%d) out of range", t, n)
		}
		return 1 << uint(n), nil
	}
	if v, ok := p.h.Values[t]; ok {
		return v, nil
	}
	if text, ok := p.h.Defines[t]; ok && text != "" {
		return p.h.eval(text, p.depth+1)
	}
	return 0, fmt.Errorf("unknown name %s", t)
}
