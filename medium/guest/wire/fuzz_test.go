// SPDX-License-Identifier: MIT

package wire

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Len and Decode. Nothing may panic;
// every error wraps one of the three typed errors; whatever decodes
// re-encodes to exactly the input (the format has one encoding per
// message, so nothing a peer sends is silently reinterpreted). Seeds are
// one valid message of each type.
func FuzzDecode(f *testing.F) {
	for _, s := range samples() {
		b, err := s.Append(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1})
	var m Msg
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := Len(b); err != nil && !typed3(err) {
			t.Fatalf("Len: untyped error %v", err)
		}
		err := Decode(b, &m)
		if err != nil {
			if !typed3(err) {
				t.Fatalf("Decode: untyped error %v", err)
			}
			return
		}
		out, err := m.Append(nil)
		if err != nil {
			t.Fatalf("decoded %v does not encode: %v", m.Type, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("%v re-encodes differently:\n in %x\nout %x", m.Type, b, out)
		}
	})
}

func typed3(err error) bool {
	return errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrVersion)
}
