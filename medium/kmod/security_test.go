// SPDX-License-Identifier: MIT

package kmod

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
)

// keyEvent encodes and decodes a key event as the module sends it.
func keyEvent(t *testing.T, cmd uint8, fill func(ae *netlink.AttributeEncoder)) Event {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrRadio, 0)
	fill(ae)
	b, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeEvent(cmd, b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestKeyOperations drives a radio's key table with the events hostapd's
// key installs turn into: a pairwise key for a station, a group key with
// its receive counter made the default, an unsupported cipher refused and
// counted, deletions.
func TestKeyOperations(t *testing.T) {
	var logs bytes.Buffer
	b := &Backend{log: slog.New(slog.NewTextHandler(&logs, nil))}
	r := &radio{b: b, name: "vw0"}
	peer := frames.MAC{2, 0, 0, 0, 0, 1}
	tk := bytes.Repeat([]byte{7}, 16)

	e := keyEvent(t, CmdAddKey, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(AttrKeyIdx, 0)
		ae.Flag(AttrPairwise, true)
		ae.Bytes(AttrStaAddr, peer[:])
		ae.Uint32(AttrCipher, cipherCCMP128)
		ae.Bytes(AttrKey, tk)
	})
	if !e.Key.Pairwise || e.Key.Peer != peer || !bytes.Equal(e.Key.Key, tk) || e.Key.Cipher != cipherCCMP128 {
		t.Fatalf("decoded %+v", e.Key)
	}
	r.keyOp(e)
	if _, ok := r.keys.Load().Pairwise(peer); !ok {
		t.Fatal("pairwise key not installed")
	}

	r.keyOp(keyEvent(t, CmdAddKey, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(AttrKeyIdx, 1)
		ae.Uint32(AttrCipher, cipherCCMP128)
		ae.Bytes(AttrKey, tk)
		ae.Bytes(AttrKeySeq, []byte{5, 0, 0, 0, 0, 0})
	}))
	r.keyOp(keyEvent(t, CmdSetDefaultKey, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(AttrKeyIdx, 1)
		ae.Flag(AttrDefaultUnicast, true)
		ae.Flag(AttrDefaultMulticast, true)
	}))
	// A group frame now encrypts with key ID 1.
	frm := frames.AppendDataHeader(nil, frames.DataHeader{FromDS: true, Addr1: frames.Broadcast, Addr2: peer, Addr3: peer})
	frm = append(frm, make([]byte, 8+rsn.CCMPOverhead)...)[:len(frm)+8]
	out, err := r.keys.Load().Encrypt(frm)
	if err != nil {
		t.Fatalf("group frame after SET_DEFAULT_KEY: %v", err)
	}
	if _, id, err := rsn.FramePN(out); err != nil || id != 1 {
		t.Errorf("group frame key ID %d (%v), want 1", id, err)
	}

	r.keyOp(keyEvent(t, CmdAddKey, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(AttrKeyIdx, 2)
		ae.Uint32(AttrCipher, 0x000fac02) // TKIP
		ae.Bytes(AttrKey, bytes.Repeat([]byte{1}, 32))
	}))
	if b.keyErrors.Load() != 1 || !strings.Contains(logs.String(), "00-0f-ac:2 not supported: accepted is 00-0f-ac:4 (CCMP-128)") {
		t.Errorf("TKIP key: %d errors, log %q", b.keyErrors.Load(), logs.String())
	}

	r.keyOp(keyEvent(t, CmdDelKey, func(ae *netlink.AttributeEncoder) {
		ae.Uint8(AttrKeyIdx, 0)
		ae.Flag(AttrPairwise, true)
		ae.Bytes(AttrStaAddr, peer[:])
	}))
	if _, ok := r.keys.Load().Pairwise(peer); ok {
		t.Error("pairwise key still installed after DEL_KEY")
	}
	r.keyOp(keyEvent(t, CmdDelKey, func(ae *netlink.AttributeEncoder) { ae.Uint8(AttrKeyIdx, 1) }))
	if _, err := r.keys.Load().Encrypt(frm); err == nil {
		t.Error("group frame still encrypts after the group key was deleted")
	}
}

func TestRSNElementAndKeySeq(t *testing.T) {
	ie := rsn.WPA2PSK().AppendIE(nil)
	ies := append(append(frames.AppendSSID(nil, "x"), ie...), 0xdd, 1, 0)
	if got := rsnElement(ies); !bytes.Equal(got, ie) {
		t.Errorf("rsnElement %x, want %x", got, ie)
	}
	if got := rsnElement(frames.AppendSSID(nil, "x")); got != nil {
		t.Errorf("rsnElement without one: %x", got)
	}
	if got := keySeq([]byte{1, 2, 0, 0, 0, 0, 9, 9}); got != 0x0201 {
		t.Errorf("keySeq %#x, want 0x201 (6 little-endian bytes)", got)
	}
}

// TestDecodeAuthorizeAndConnect covers the other security attributes.
func TestDecodeAuthorizeAndConnect(t *testing.T) {
	peer := frames.MAC{2, 0, 0, 0, 0, 2}
	e := keyEvent(t, CmdAuthorize, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrStaAddr, peer[:])
		ae.Uint8(AttrAuthorized, 1)
	})
	if e.StaAddr != peer || !e.Authorized {
		t.Errorf("AUTHORIZE decoded %+v", e)
	}
	ie := rsn.WPA2PSK().AppendIE(nil)
	e = keyEvent(t, CmdConnect, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrSSID, []byte("vmedium"))
		ae.Flag(AttrPrivacy, true)
		ae.Bytes(AttrAssocIEs, ie)
	})
	if !e.Privacy || !bytes.Equal(e.AssocIEs, ie) || string(e.SSID) != "vmedium" {
		t.Errorf("CONNECT decoded %+v", e)
	}
}
