// SPDX-License-Identifier: MIT

package contention

// Partition splits radios into contention domains: radios on the same
// frequency that are connected, directly or through others, by a signal
// at or above floorDBm in either direction. Radios on different
// frequencies never share a domain, so they never share airtime; radios
// on one frequency that cannot affect each other at all get separate
// domains and run in parallel. A floor around the noise floor − 10 dB
// keeps every pair that can move an SINR by more than about 0.4 dB
// together (hidden terminals included: they share a receiver). Each
// domain lists radio indices in increasing order; domains are ordered by
// their first radio.
func Partition(freqMHz []uint32, signalDBm [][]float64, floorDBm float64) [][]int {
	n := len(freqMHz)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if freqMHz[i] != freqMHz[j] {
				continue
			}
			if signalDBm[i][j] >= floorDBm || signalDBm[j][i] >= floorDBm {
				a, b := find(i), find(j)
				if a < b {
					parent[b] = a
				} else if b < a {
					parent[a] = b
				}
			}
		}
	}
	idx := map[int]int{}
	var out [][]int
	for i := 0; i < n; i++ {
		r := find(i)
		k, ok := idx[r]
		if !ok {
			k = len(out)
			idx[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

// Sub returns the rows and columns of signalDBm for the radios in members,
// the signal matrix of one domain.
func Sub(signalDBm [][]float64, members []int) [][]float64 {
	out := make([][]float64, len(members))
	for a, i := range members {
		out[a] = make([]float64, len(members))
		for b, j := range members {
			out[a][b] = signalDBm[i][j]
		}
	}
	return out
}
