// SPDX-License-Identifier: MIT

package bridge

import (
	"testing"

	"github.com/vmedium/vmedium/internal/testutil"
)

// TestMain fails the package's run if a test leaves a goroutine running.
func TestMain(m *testing.M) { testutil.VerifyMain(m) }
