// SPDX-License-Identifier: MIT

// Package wmediumd turns a wmediumd configuration (the file `wmediumd -c`
// reads, in the upstream, mininet-wifi and AOSP variants) and a `-x` PER
// table into a validated, OS-independent model that vmedium's drop-in mode
// serves: the stations (config MAC addresses, in index order), and for every
// ordered pair of stations either an SNR, a frame loss probability, or an
// SNR computed from positions, transmit powers, antenna gains and a named
// propagation model.
//
// It reproduces what wmediumd reads from a file, including libconfig's type
// rules (an integer where wmediumd reads a float reads 0, and the reverse),
// and reports every such case as a Warning that names the file, line, key
// and what to write instead. What wmediumd would refuse, or would silently
// misread into a broken setup (an index out of range, an unknown model
// name, a count that does not match the ids), is an *Error naming the same
// and the accepted values.
//
// The propagation formulas live in propagation.go as small pure functions;
// where wmediumd's own formulas are wrong, the comments there say how and
// what this package computes instead.
package wmediumd
