// SPDX-License-Identifier: MIT

//go:build !linux

package lab

// KindNames lists the radio kinds this build can run: none outside Linux
// (every kind needs network namespaces), so a config naming one is refused.
func KindNames() []string { return nil }

// BackendNames lists nothing: labs need Linux.
func BackendNames() []string { return nil }
