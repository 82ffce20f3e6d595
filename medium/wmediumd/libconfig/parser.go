// SPDX-License-Identifier: MIT

package libconfig

import (
	"fmt"
	"os"
)

// maxDepth bounds the nesting of groups, lists and arrays, so hostile input
// cannot exhaust memory through recursion.
const maxDepth = 256

// Parser reads libconfig text. The zero value reads @include files from
// the file system; set ReadFile to serve them from elsewhere (or to refuse
// them).
type Parser struct {
	// ReadFile reads an included file; nil means os.ReadFile.
	ReadFile func(name string) ([]byte, error)
}

// ParseFile reads and parses the file at path.
func ParseFile(path string) (*Setting, error) {
	return Parser{}.ParseFile(path)
}

// Parse parses data; file names it in errors and is the base for relative
// @include paths.
func Parse(file string, data []byte) (*Setting, error) {
	return Parser{}.Parse(file, data)
}

// ParseFile reads and parses the file at path.
func (p Parser) ParseFile(path string) (*Setting, error) {
	read := p.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	data, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("libconfig: %w", err)
	}
	return p.Parse(path, data)
}

// Parse parses data as the contents of file and returns the root group.
func (p Parser) Parse(file string, data []byte) (*Setting, error) {
	read := p.ReadFile
	if read == nil {
		read = os.ReadFile
	}
	ps := &parser{root: &Setting{Type: TypeGroup, File: file, Line: 1}}
	ps.cur = ps.root
	ps.lx = lexer{
		stack:    []*source{{file: file, data: data, line: 1}},
		readFile: read,
		path:     func() string { return ps.cur.Path() },
	}
	if err := ps.advance(); err != nil {
		return nil, err
	}
	if err := ps.settings(ps.root, tEOF, 0); err != nil {
		return nil, err
	}
	return ps.root, nil
}

type parser struct {
	lx   lexer
	tok  token    // the current (not yet consumed) token
	root *Setting // the top-level group
	cur  *Setting // the setting being read, for error paths
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(format string, args ...any) error {
	return &Error{File: p.tok.file, Line: p.tok.line, Path: p.cur.Path(), Msg: fmt.Sprintf(format, args...)}
}

func closer(k tokKind) string {
	switch k {
	case tRBrace:
		return "'}'"
	case tRParen:
		return "')'"
	case tRBracket:
		return "']'"
	}
	return "end of file"
}

// settings reads `name = value;` entries into group until the end token.
func (p *parser) settings(group *Setting, end tokKind, depth int) error {
	for {
		switch p.tok.kind {
		case end:
			return nil
		case tName:
		default:
			p.cur = group
			return p.errorf("expected a setting name or %s, found %s", closer(end), p.tok.describe())
		}
		name, line, file := p.tok.text, p.tok.line, p.tok.file
		if group.Member(name) != nil {
			p.cur = group
			return p.errorf("duplicate setting %q (first on line %d)", name, group.Member(name).Line)
		}
		s := &Setting{Name: name, File: file, Line: line, parent: group, index: len(group.Children)}
		p.cur = s
		if err := p.advance(); err != nil {
			return err
		}
		if p.tok.kind != tAssign {
			return p.errorf("expected '=' or ':' after the name %q, found %s", name, p.tok.describe())
		}
		if err := p.advance(); err != nil {
			return err
		}
		group.Children = append(group.Children, s)
		if err := p.value(s, depth); err != nil {
			return err
		}
		p.cur = group
		if p.tok.kind == tSemi || p.tok.kind == tComma {
			if err := p.advance(); err != nil {
				return err
			}
		}
	}
}

// value reads one value into s (whose name and parent are set).
func (p *parser) value(s *Setting, depth int) error {
	if depth >= maxDepth {
		return p.errorf("groups, lists and arrays nested deeper than %d", maxDepth)
	}
	s.File, s.Line = p.tok.file, p.tok.line
	switch p.tok.kind {
	case tInt:
		s.Type, s.Int = TypeInt, p.tok.i
	case tInt64:
		s.Type, s.Int = TypeInt64, p.tok.i
	case tFloat:
		s.Type, s.Float = TypeFloat, p.tok.f
	case tBool:
		s.Type, s.Bool = TypeBool, p.tok.b
	case tString:
		s.Type, s.Str = TypeString, p.tok.text
		// Adjacent string literals are one string.
		for {
			if err := p.advance(); err != nil {
				return err
			}
			if p.tok.kind != tString {
				return nil
			}
			s.Str += p.tok.text
		}
	case tLBrace:
		s.Type = TypeGroup
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.settings(s, tRBrace, depth+1); err != nil {
			return err
		}
	case tLParen:
		s.Type = TypeList
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.elements(s, tRParen, depth+1); err != nil {
			return err
		}
	case tLBracket:
		s.Type = TypeArray
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.elements(s, tRBracket, depth+1); err != nil {
			return err
		}
	default:
		return p.errorf("expected a value (number, string, true/false, { group }, ( list ) or [ array ]), found %s", p.tok.describe())
	}
	return p.advance()
}

// elements reads comma-separated values of a list or array up to end (not
// consumed); commas may trail or repeat after an element, not lead. Array elements must be scalars of one type; int and 64-bit int
// count as one type.
func (p *parser) elements(agg *Setting, end tokKind, depth int) error {
	if p.tok.kind == end {
		return nil
	}
	for {
		e := &Setting{File: p.tok.file, Line: p.tok.line, parent: agg, index: len(agg.Children)}
		agg.Children = append(agg.Children, e)
		p.cur = e
		if agg.Type == TypeArray {
			switch p.tok.kind {
			case tLBrace, tLParen, tLBracket:
				return p.errorf("an array holds only scalars (numbers, strings, booleans), found %s; use ( ) for a list", p.tok.describe())
			}
		}
		if err := p.value(e, depth); err != nil {
			return err
		}
		if agg.Type == TypeArray && len(agg.Children) > 1 && !sameScalar(agg.Children[0].Type, e.Type) {
			return &Error{File: e.File, Line: e.Line, Path: e.Path(),
				Msg: fmt.Sprintf("array elements must all have one type: element 0 is a %s, this one a %s", agg.Children[0].Type, e.Type)}
		}
		p.cur = agg
		if p.tok.kind != tComma && p.tok.kind != end {
			return p.errorf("expected ',' or %s, found %s", closer(end), p.tok.describe())
		}
		// libconfig accepts trailing and repeated commas after an element.
		for p.tok.kind == tComma {
			if err := p.advance(); err != nil {
				return err
			}
		}
		if p.tok.kind == end {
			return nil
		}
	}
}

func sameScalar(a, b Type) bool {
	if a == TypeInt64 {
		a = TypeInt
	}
	if b == TypeInt64 {
		b = TypeInt
	}
	return a == b
}
