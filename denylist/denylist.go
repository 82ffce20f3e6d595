// SPDX-License-Identifier: MIT

// Package denylist holds the medium's deny rules: ordered pairs of radio names.
// A pair (src, dst) means dst hears nothing src transmits, and no data frame
// whose source address (SA) belongs to src, even when another radio (an AP)
// relays it.
//
// The list itself is the configuration (names, in insertion order, unlimited).
// The medium compiles it into its per-link table on every change, so the
// per-frame check is one bit in an array entry it already reads (O(1)).
package denylist

import (
	"sort"
	"sync"
)

// Pair is one deny rule: Dst does not hear Src.
type Pair struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
}

// List is a set of deny pairs, safe for concurrent use.
type List struct {
	mu    sync.Mutex
	pairs map[Pair]uint64 // value: insertion order
	next  uint64
}

// New returns an empty list.
func New() *List { return &List{pairs: make(map[Pair]uint64)} }

// Add inserts (src, dst) and reports whether it was new.
func (l *List) Add(src, dst string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := Pair{src, dst}
	if _, ok := l.pairs[p]; ok {
		return false
	}
	l.next++
	l.pairs[p] = l.next
	return true
}

// Remove deletes (src, dst) and reports whether it was present.
func (l *List) Remove(src, dst string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := Pair{src, dst}
	if _, ok := l.pairs[p]; !ok {
		return false
	}
	delete(l.pairs, p)
	return true
}

// Clear removes every pair and returns how many there were.
func (l *List) Clear() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.pairs)
	clear(l.pairs)
	return n
}

// Contains reports whether (src, dst) is denied.
func (l *List) Contains(src, dst string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.pairs[Pair{src, dst}]
	return ok
}

// Len returns the number of pairs.
func (l *List) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pairs)
}

// List returns the pairs in the order they were added.
func (l *List) List() []Pair {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Pair, 0, len(l.pairs))
	for p := range l.pairs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return l.pairs[out[i]] < l.pairs[out[j]] })
	return out
}

// Replace sets the list to exactly pairs (in that order), e.g. when state is restored.
func (l *List) Replace(pairs []Pair) {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.pairs)
	l.next = 0
	for _, p := range pairs {
		if _, ok := l.pairs[p]; ok {
			continue
		}
		l.next++
		l.pairs[p] = l.next
	}
}
