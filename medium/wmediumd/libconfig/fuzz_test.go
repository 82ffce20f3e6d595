// SPDX-License-Identifier: MIT

package libconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the parser. It must never panic, every
// failure must be an *Error naming a line inside the input, and a parsed
// tree must be consistent: every node's path leads back to it. @include
// always reads the same small file, so includes (and include cycles through
// that file's own @include) are exercised without touching the disk.
// Seeds: the wmediumd configurations under ../testdata and this package's
// syntax files.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*.cfg", "../testdata/*.cfg"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("a = 1; @include \"inc.cfg\"\n"))
	f.Add([]byte("v = [0x7fffffffL, -0b1, 0q7, 1e-3, .5]"))
	inc := []byte("inc = ( 1, \"x\" ); @include \"inc.cfg\"\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Parser{ReadFile: func(string) ([]byte, error) { return inc, nil }}
		root, err := p.Parse("fuzz.cfg", data)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not an *Error", err)
			}
			lines := strings.Count(string(data), "\n") + 1
			if pe.File == "fuzz.cfg" && (pe.Line < 1 || pe.Line > lines) {
				t.Fatalf("error line %d outside 1..%d: %v", pe.Line, lines, err)
			}
			return
		}
		var walk func(s *Setting)
		walk = func(s *Setting) {
			if s != root && s.parent.Type != TypeGroup {
				if got := root.Lookup(s.Path()); got != s {
					t.Fatalf("Lookup(%q) does not lead back to the node", s.Path())
				}
			}
			for _, c := range s.Children {
				walk(c)
			}
		}
		walk(root)
	})
}
