// SPDX-License-Identifier: MIT

package wmediumd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPERTableAxFallback(t *testing.T) {
	// mininet-wifi passes the name without "ax"; the file has it.
	tab, err := LoadPERTable("testdata/signal_table_test")
	if err != nil {
		t.Fatal(err)
	}
	if tab.File != "testdata/signal_table_testax" || tab.MinSignal != -95 || len(tab.Rows) != 26 {
		t.Fatalf("table %s min %d rows %d", tab.File, tab.MinSignal, len(tab.Rows))
	}
	// The exact name wins when it exists.
	if tab2, err := LoadPERTable("testdata/signal_table_testax"); err != nil || tab2.File != "testdata/signal_table_testax" {
		t.Fatalf("exact name: %v %v", tab2, err)
	}
	if _, err := LoadPERTable("testdata/none"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing table: %v", err)
	}

	cases := []struct {
		signal float64
		rate   int
		want   float64
	}{
		{-95, 0, 0.982},
		{-94, 1, 0.9975},
		{-93.5, 0, 0.8808}, // within the -94 row
		{-95.01, 0, 1},     // below the table
		{-200, 11, 1},
		{-70, 0, 0},    // the row above the last: off the table
		{-81, 6, 0.5},  // threshold of rate 6 is -81 dBm
		{-71, 11, 0.5}, // threshold of rate 11 is -71 dBm
		{-71, 40, 0.5}, // rate past the table: the last column
		{-80, -1, 1},
	}
	for _, c := range cases {
		if got := tab.ErrorProb(c.signal, c.rate); got != c.want {
			t.Errorf("ErrorProb(%v, %d) = %v, want %v", c.signal, c.rate, got, c.want)
		}
	}
	if got := tab.ErrorProbSNR(-4, 0); got != 0.982 {
		t.Errorf("ErrorProbSNR(-4) = %v (signal -95)", got)
	}
}

func TestParsePERTableErrors(t *testing.T) {
	row := func(sig string) string { return sig + strings.Repeat(" 0.5", PERRates) + "\n" }
	cases := []struct {
		name, src string
		line      int
		key, msg  string
	}{
		{"gap", row("-90") + row("-89") + "# c\n" + row("-87"), 4, "signal -87", "expected signal -88 after -89"},
		{"descending", row("-90") + row("-91"), 2, "signal -91", "expected signal -89"},
		{"short row", row("-90") + "-89 0.1 0.2\n", 2, "signal -89", "has 2 error probabilities, needs 12"},
		{"bad value", "-90 0.1 0.1\n 0.1 x", 2, "signal -90, rate 3", `"x" is not an error probability`},
		{"above one", "-90 1.5", 1, "signal -90, rate 0", `"1.5" is not an error probability`},
		{"bad signal", "# header\n-90.5 0.1", 2, "", `"-90.5" is not a signal level`},
		{"empty", "# only a comment\n", 2, "", "no rows"},
	}
	for _, c := range cases {
		_, err := ParsePERTable("per", []byte(c.src))
		var e *Error
		if !errors.As(err, &e) || e.Line != c.line || e.Key != c.key || !strings.Contains(e.Msg, c.msg) {
			t.Errorf("%s: got %v, want line %d key %q msg %q", c.name, err, c.line, c.key, c.msg)
		}
	}
	// Rows may wrap across lines and carry trailing comments.
	tab, err := ParsePERTable("per", []byte("-60 0 0 0 0 0 0 # first half\n 0 0 0 0 0 0.25\n-59"+strings.Repeat(" 0", 12)))
	if err != nil || len(tab.Rows) != 2 || tab.Rows[0][11] != 0.25 {
		t.Fatalf("wrapped rows: %+v %v", tab, err)
	}
}

// FuzzParsePERTable: arbitrary text never panics; a parsed table answers
// every lookup with a probability.
func FuzzParsePERTable(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "signal_table_testax"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte("-60 0 0 0 0 0 0 # c\n 0 0 0 0 0 1e-3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParsePERTable("fuzz", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		for _, s := range []float64{-1000, float64(tab.MinSignal), float64(tab.MinSignal + len(tab.Rows) - 1), 1000} {
			for _, r := range []int{-1, 0, 11, 99} {
				if p := tab.ErrorProb(s, r); p < 0 || p > 1 {
					t.Fatalf("ErrorProb(%v, %d) = %v", s, r, p)
				}
			}
		}
	})
}
