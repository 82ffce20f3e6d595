// SPDX-License-Identifier: MIT

package air

import "math/bits"

// The 802.11 binary convolutional code (IEEE 802.11-2020 17.3.5.6):
// constraint length 7, generators 133 and 171 (octal), rate 1/2, punctured
// to 2/3, 3/4 and 5/6 with the patterns of 17.3.5.7 and 19.3.11.7.
const (
	codeK      = 7
	codeStates = 1 << (codeK - 1)
	codeG0     = 0o133
	codeG1     = 0o171
)

// puncture is a puncturing pattern: over a period of len(a) input bits,
// output A (generator 0) bit i when a[i] and B bit i when b[i].
type puncture struct{ a, b []bool }

func punctureFor(r CodeRate) puncture {
	switch r {
	case rate23:
		return puncture{[]bool{true, true}, []bool{true, false}}
	case rate34:
		return puncture{[]bool{true, true, false}, []bool{true, false, true}}
	case rate56:
		return puncture{[]bool{true, true, false, true, false}, []bool{true, false, true, false, true}}
	}
	return puncture{[]bool{true}, []bool{true}}
}

// spectrum is the distance spectrum of a (punctured) convolutional code as
// used by the union bound: a[d] is the average number of error events of
// output weight d starting at a given input bit, b[d] their average number
// of information bit errors.
type spectrum struct {
	dfree int
	a, b  []float64 // indexed by d, len dmax+1
}

// codeSpectrum enumerates the first-event error paths of the code with
// puncturing pattern p and output weight ≤ dmax, averaged over the
// pattern's phases. It is the transfer-function expansion the union bound
// needs (Viterbi, "Convolutional codes and their performance in
// communication systems", IEEE Trans. Commun. 1971), computed by dynamic
// programming over the 64-state trellis, not taken from any table. For
// the rate-1/2 code it gives d_free 10 with a_10 = 11, b_10 = 36.
func codeSpectrum(p puncture, dmax int) spectrum {
	period := len(p.a)
	sp := spectrum{a: make([]float64, dmax+1), b: make([]float64, dmax+1)}
	// paths[s][w] and ibits[s][w]: number of live paths in state s with
	// output weight w, and their total information weight.
	type grid [codeStates][]float64
	newGrid := func() *grid {
		var g grid
		for s := range g {
			g[s] = make([]float64, dmax+1)
		}
		return &g
	}
	out := func(reg int, phase int) int {
		w := 0
		if p.a[phase] {
			w += bits.OnesCount(uint(reg&codeG0)) & 1
		}
		if p.b[phase] {
			w += bits.OnesCount(uint(reg&codeG1)) & 1
		}
		return w
	}
	for start := 0; start < period; start++ {
		cur, curB := newGrid(), newGrid()
		nxt, nxtB := newGrid(), newGrid()
		// Diverge from state 0 with input 1.
		reg := 1 << (codeK - 1)
		w := out(reg, start)
		s := reg >> 1
		if w <= dmax {
			cur[s][w], curB[s][w] = 1, 1
		}
		for step := 1; ; step++ {
			phase := (start + step) % period
			for s := range nxt {
				clear(nxt[s])
				clear(nxtB[s])
			}
			alive := false
			for s := 1; s < codeStates; s++ {
				for w := 0; w <= dmax; w++ {
					n := cur[s][w]
					if n == 0 {
						continue
					}
					nb := curB[s][w]
					for in := 0; in < 2; in++ {
						reg := in<<(codeK-1) | s
						w2 := w + out(reg, phase)
						if w2 > dmax {
							continue
						}
						ns := reg >> 1
						if ns == 0 {
							sp.a[w2] += n / float64(period)
							sp.b[w2] += (nb + float64(in)*n) / float64(period)
							continue
						}
						nxt[ns][w2] += n
						nxtB[ns][w2] += nb + float64(in)*n
						alive = true
					}
				}
			}
			if !alive || step > 64*dmax {
				break
			}
			cur, curB, nxt, nxtB = nxt, nxtB, cur, curB
		}
	}
	for d, v := range sp.a {
		if v > 0 {
			sp.dfree = d
			break
		}
	}
	return sp
}
