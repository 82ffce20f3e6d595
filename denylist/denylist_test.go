// SPDX-License-Identifier: MIT

package denylist

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
)

func TestAddRemoveClearList(t *testing.T) {
	l := New()
	if !l.Add("vw1", "vw2") || l.Add("vw1", "vw2") {
		t.Fatal("Add should report new once")
	}
	l.Add("vw0", "vw1")
	l.Add("vw2", "vw1")
	if !l.Contains("vw1", "vw2") || l.Contains("vw2", "vw1x") {
		t.Fatal("Contains wrong")
	}
	// Ordered pairs: (vw1, vw2) does not imply (vw2, vw1).
	if l.Contains("vw2", "vw1") != true || l.Contains("vw1", "vw0") {
		t.Fatal("pairs must be ordered")
	}
	want := []Pair{{"vw1", "vw2"}, {"vw0", "vw1"}, {"vw2", "vw1"}}
	if got := l.List(); !reflect.DeepEqual(got, want) {
		t.Fatalf("List = %v, want insertion order %v", got, want)
	}
	if !l.Remove("vw0", "vw1") || l.Remove("vw0", "vw1") {
		t.Fatal("Remove should report present once")
	}
	if n := l.Clear(); n != 2 || l.Len() != 0 {
		t.Fatalf("Clear = %d, Len = %d", n, l.Len())
	}
}

func TestNoLimitAndReplace(t *testing.T) {
	l := New()
	for i := 0; i < 10000; i++ {
		l.Add(fmt.Sprint("a", i), "b")
	}
	if l.Len() != 10000 {
		t.Fatalf("Len = %d, want 10000 (no limit on pairs)", l.Len())
	}
	l.Replace([]Pair{{"x", "y"}, {"x", "y"}, {"y", "x"}})
	if got := l.List(); !reflect.DeepEqual(got, []Pair{{"x", "y"}, {"y", "x"}}) {
		t.Fatalf("after Replace: %v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	l := New()
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				s := fmt.Sprint(g, "-", i)
				l.Add(s, "d")
				l.Contains(s, "d")
				l.List()
				l.Remove(s, "d")
			}
		}(g)
	}
	wg.Wait()
	if l.Len() != 0 {
		t.Fatalf("Len = %d after balanced add/remove", l.Len())
	}
}
