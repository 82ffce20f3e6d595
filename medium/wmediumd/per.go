// SPDX-License-Identifier: MIT

package wmediumd

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"strconv"
)

// PERRates is the number of columns of a -x table: one per hwsim legacy
// rate index (1, 2, 5.5, 11, 6, 9, 12, 18, 24, 36, 48, 54 Mb/s).
const PERRates = 12

// PERTable is a `wmediumd -x` packet error rate table: for each received
// signal level in 1 dB steps, the probability that a frame at each rate
// index is lost. Frame length plays no role.
type PERTable struct {
	File      string
	MinSignal int // dBm of Rows[0]; Rows[i] is MinSignal+i dBm
	Rows      [][PERRates]float64
}

// LoadPERTable reads the table at path or, when path does not exist,
// path+"ax" (the mininet-wifi fork appends "ax" to the name it is given,
// and mininet-wifi passes the name without it). It returns the table and
// the name actually read.
func LoadPERTable(path string) (*PERTable, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if d, err2 := os.ReadFile(path + "ax"); err2 == nil {
			path, data, err = path+"ax", d, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("PER table: %w", err)
	}
	return ParsePERTable(path, data)
}

// ParsePERTable parses a table: whitespace-separated tokens; a token
// starting with '#' comments out the rest of its line; each row is an
// integer signal in dBm followed by PERRates probabilities. Rows must
// ascend in consecutive 1 dB steps (wmediumd indexes rows by signal minus
// the first signal and corrupts its table otherwise).
func ParsePERTable(file string, data []byte) (*PERTable, error) {
	t := &PERTable{File: file}
	lx := perLexer{data: data, line: 1}
	errAt := func(line int, key, format string, args ...any) error {
		return &Error{File: file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
	}
	for {
		tok, line, ok := lx.next()
		if !ok {
			break
		}
		sig, err := strconv.Atoi(tok)
		if err != nil || sig < -1000 || sig > 1000 {
			return nil, errAt(line, "", "%q is not a signal level: each row starts with an integer signal in dBm (e.g. -91), then %d error probabilities", tok, PERRates)
		}
		key := "signal " + strconv.Itoa(sig)
		if len(t.Rows) == 0 {
			t.MinSignal = sig
		} else if want := t.MinSignal + len(t.Rows); sig != want {
			return nil, errAt(line, key, "rows must ascend in 1 dB steps: expected signal %d after %d", want, want-1)
		}
		var row [PERRates]float64
		for i := range row {
			tok, l2, ok := lx.next()
			if !ok {
				return nil, errAt(line, key, "has %d error probabilities, needs %d (one per rate index 0..%d)", i, PERRates, PERRates-1)
			}
			p, err := strconv.ParseFloat(tok, 64)
			if err != nil || p < 0 || p > 1 || math.IsNaN(p) {
				return nil, errAt(l2, fmt.Sprintf("%s, rate %d", key, i), "%q is not an error probability; accepted: a number from 0 to 1 (e.g. 0.0427 or 1.00E+00)", tok)
			}
			row[i] = p
		}
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) == 0 {
		return nil, errAt(lx.line, "", "no rows: each row is an integer signal in dBm followed by %d error probabilities", PERRates)
	}
	return t, nil
}

type perLexer struct {
	data []byte
	pos  int
	line int
}

// next returns the next token and its line, skipping '#' comments.
func (l *perLexer) next() (string, int, bool) {
	for l.pos < len(l.data) {
		c := l.data[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '#':
			for l.pos < len(l.data) && l.data[l.pos] != '\n' {
				l.pos++
			}
		default:
			start := l.pos
			for l.pos < len(l.data) {
				c := l.data[l.pos]
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
					break
				}
				l.pos++
			}
			return string(l.data[start:l.pos]), l.line, true
		}
	}
	return "", l.line, false
}

// ErrorProb returns the loss probability of a frame received at signalDBm
// sent at hwsim rate index rate: 1 below the table, 0 above it. Rates past
// the last column use the last column (wmediumd does the same with a
// warning); a negative rate index is never decodable.
func (t *PERTable) ErrorProb(signalDBm float64, rate int) float64 {
	if rate < 0 || math.IsNaN(signalDBm) {
		return 1
	}
	rate = min(rate, PERRates-1)
	idx := math.Floor(signalDBm) - float64(t.MinSignal)
	if idx < 0 {
		return 1
	}
	if idx >= float64(len(t.Rows)) {
		return 0
	}
	return t.Rows[int(idx)][rate]
}

// ErrorProbSNR is ErrorProb at the signal snr + NoiseLevel: wmediumd
// always converts with −91 dBm here, even under model.noise_threshold.
func (t *PERTable) ErrorProbSNR(snr float64, rate int) float64 {
	return t.ErrorProb(snr+NoiseLevel, rate)
}
