// SPDX-License-Identifier: MIT

package testutil

import (
	"testing"

	"go.uber.org/goleak"
)

// CheckLeaks fails t if goroutines started while it ran are still running
// when it ends (after its other cleanups: call CheckLeaks first, so its
// cleanup runs last). Goroutines that existed before the call are ignored,
// so parallel tests in the same package do not blame each other for
// goroutines that were already there; goleak retries for a while, so
// goroutines on their way out are not reported.
func CheckLeaks(t testing.TB) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() {
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("goroutine leak: %v", err)
		}
	})
}

// VerifyMain runs a package's tests (call it from TestMain) and then fails
// the run if any goroutine the tests started is still running: a radio, a
// backend or a lab that does not stop everything it started on Close.
func VerifyMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
