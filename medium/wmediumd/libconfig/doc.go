// SPDX-License-Identifier: MIT

// Package libconfig reads configuration files in the libconfig syntax
// (hyperrealm's libconfig, the format wmediumd's -c file is written in) into
// a tree of typed settings, and offers lookups with the exact type rules of
// libconfig's C API as wmediumd calls it (no auto-conversion), so a caller
// can reproduce what wmediumd would read and warn where that differs from
// what the file's author meant.
//
// The syntax: settings `name = value` or `name : value`, each optionally
// ended by `;` or `,`; groups `{ ... }` of settings; lists `( ... )` of any
// values; arrays `[ ... ]` of scalars of one type; integers in decimal, hex
// (0x), binary (0b) and octal (0o, 0q), 64-bit with an `L` suffix or, in
// decimal, when the value does not fit 32 bits (hex without `L` keeps its
// low 32 bits, as in libconfig: 0xFFFFFFFF is -1); floats (`1.`, `.5`,
// `1e-3`); booleans true/false in any case; strings in double quotes with
// the escapes \\ \" \f \n \r \t \xHH (any other backslash is kept, as
// libconfig keeps it), adjacent strings concatenated; comments `#`, `//` and
// `/* */`; `@include "file"` relative to the including file's directory,
// with include cycles reported as errors. Every error names the file, the
// line, the key path being read and what was expected there.
//
// Why the project writes its own parser: libconfig is a C library (cgo would
// make vmedium's static, cross-compiled builds depend on a C toolchain and
// libconfig's headers), and no maintained pure-Go libconfig package exists:
// the few on GitHub are unversioned or self-described as unfinished, have no
// importers, and are not served by the Go module proxy.
package libconfig
