// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"errors"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

// A KeyTable on each side of a link, filled as a driver would: unicast
// both ways with the pairwise key, group frames with the default group
// key, and nothing without keys.
func TestKeyTable(t *testing.T) {
	apAddr, staAddr := frames.MAC{2, 0, 0, 0, 0, 0}, frames.MAC{2, 0, 0, 0, 1, 0}
	var ap, sta KeyTable
	frame := func(ra, ta frames.MAC, payload string) []byte {
		b := frames.AppendDataHeader(make([]byte, 0, 256), frames.DataHeader{FromDS: true, Addr1: ra, Addr2: ta, Addr3: ta})
		return append(b, payload...)
	}
	if _, err := ap.Encrypt(frame(staAddr, apAddr, "x")); !errors.Is(err, ErrNoKey) {
		t.Fatalf("encrypt without keys: %v", err)
	}
	if err := ap.SetPairwise(staAddr, tk1); err != nil {
		t.Fatal(err)
	}
	if err := sta.SetPairwise(apAddr, tk1); err != nil {
		t.Fatal(err)
	}
	enc, err := ap.Encrypt(frame(staAddr, apAddr, "unicast"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := sta.Decrypt(nil, enc)
	if err != nil || !bytes.HasSuffix(out, []byte("unicast")) {
		t.Fatalf("unicast: %q %v", out, err)
	}

	if err := ap.SetGroup(2, tk2, 0); err != nil {
		t.Fatal(err)
	}
	if ap.SetDefaultGroup(1) == nil {
		t.Fatal("default group key 1 accepted without key 1")
	}
	if err := ap.SetDefaultGroup(2); err != nil {
		t.Fatal(err)
	}
	if err := sta.SetGroup(2, tk2, 0); err != nil {
		t.Fatal(err)
	}
	enc, err = ap.Encrypt(frame(frames.Broadcast, apAddr, "group"))
	if err != nil {
		t.Fatal(err)
	}
	if _, id, _ := FramePN(enc); id != 2 {
		t.Fatalf("group frame key ID %d, want 2", id)
	}
	if out, err = sta.Decrypt(nil, enc); err != nil || !bytes.HasSuffix(out, []byte("group")) {
		t.Fatalf("group: %q %v", out, err)
	}
	if _, err := sta.Decrypt(nil, enc); !errors.Is(err, ErrReplay) {
		t.Fatalf("replayed group frame: %v", err)
	}

	sta.DeletePairwise(apAddr)
	enc, _ = ap.Encrypt(frame(staAddr, apAddr, "after"))
	if _, err := sta.Decrypt(nil, enc); !errors.Is(err, ErrNoKey) {
		t.Fatalf("after del_key: %v", err)
	}
	ap.DeleteGroup(2)
	if _, err := ap.Encrypt(frame(frames.Broadcast, apAddr, "x")); !errors.Is(err, ErrNoKey) {
		t.Fatalf("group after del_key: %v", err)
	}
	if ap.SetGroup(0, tk2, 0) == nil || ap.SetPairwise(staAddr, tk1[:5]) == nil {
		t.Fatal("bad key index or length accepted")
	}
}
