// SPDX-License-Identifier: MIT

// Package testutil is the project's test ladder in code: the checks that
// decide whether a test can run here (root, tools, devices) and skip it by
// name when it cannot, a goroutine leak check, and the helpers that keep
// allocation budgets out of the -race pass.
//
// The rungs (see the Makefile): unit tests run as any user and need nothing
// but Go; root tests (named TestRoot…) build real labs in network
// namespaces on this machine; VM tests (tests/vm) boot Debian's kernel in
// QEMU for the real Wi-Fi stack.
package testutil
