// SPDX-License-Identifier: MIT

package testutil

import "testing"

// SkipAllocsUnderRace skips an allocation-budget test in a -race build,
// where the race runtime allocates on its own and sync.Pool drops items.
// make test-unit runs these tests again without -race (-run Allocs), so
// the budgets are enforced: name such tests Test…Allocs.
func SkipAllocsUnderRace(t testing.TB) {
	t.Helper()
	if Race {
		t.Skip("allocation budgets are checked in the pass without -race (make test-unit runs go test -run Allocs)")
	}
}
