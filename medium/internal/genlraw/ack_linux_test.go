// SPDX-License-Identifier: MIT

package genlraw

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// ackPayload builds an NLMSG_ERROR payload the way the kernel does: the
// code, the request's header, its payload unless capped, then the message.
func ackPayload(code int32, reqPayload []byte, capped bool, msg string) (uint16, []byte) {
	d := make([]byte, 4+unix.NLMSG_HDRLEN)
	binary.NativeEndian.PutUint32(d, uint32(code))
	binary.NativeEndian.PutUint32(d[4:], uint32(unix.NLMSG_HDRLEN+len(reqPayload)))
	var flags uint16
	if capped {
		flags |= unix.NLM_F_CAPPED
	} else {
		d = append(d, reqPayload...)
		for len(d)%4 != 0 {
			d = append(d, 0)
		}
	}
	if msg != "" {
		ae := netlink.NewAttributeEncoder()
		ae.String(unix.NLMSGERR_ATTR_MSG, msg)
		ae.Uint32(unix.NLMSGERR_ATTR_OFFS, 20)
		tlvs, _ := ae.Encode()
		d = append(d, tlvs...)
		flags |= unix.NLM_F_ACK_TLVS
	}
	return flags, d
}

func TestParseAck(t *testing.T) {
	req := []byte{1, 2, 3, 4, 5, 6, 7} // unaligned
	for _, c := range []struct {
		name   string
		code   int32
		capped bool
		msg    string
	}{
		{"plain ack", 0, true, ""},
		{"capped refusal with message", -int32(unix.EINVAL), true, "no such radio index"},
		{"full refusal with message", -int32(unix.ENETDOWN), false, "interface is down"},
		{"refusal without message", -int32(unix.EBUSY), false, ""},
		{"positive answer", 7, true, ""},
	} {
		flags, d := ackPayload(c.code, req, c.capped, c.msg)
		a, err := ParseAck(flags, d)
		if err != nil || a.Code != c.code || a.Message != c.msg {
			t.Errorf("%s: got %+v, %v; want code %d message %q", c.name, a, err, c.code, c.msg)
		}
	}
	if _, err := ParseAck(0, []byte{1, 2}); !errors.Is(err, ErrShortAck) {
		t.Errorf("short payload: %v, want ErrShortAck", err)
	}
	// TLVs promised but cut: the code survives, no message.
	flags, d := ackPayload(-int32(unix.EINVAL), req, false, "cut")
	if a, err := ParseAck(flags, d[:4+unix.NLMSG_HDRLEN+2]); err != nil || a.Code != -int32(unix.EINVAL) || a.Message != "" {
		t.Errorf("cut TLVs: %+v, %v", a, err)
	}
	e := &AckError{From: "vmedium.ko", Message: "interface is down", Errno: unix.ENETDOWN}
	if !errors.Is(e, unix.ENETDOWN) || e.Error() != "vmedium.ko: interface is down: network is down" {
		t.Errorf("AckError %q", e)
	}
	if e := (&AckError{From: "mac80211_hwsim", Errno: unix.EBUSY}); e.Error() != "mac80211_hwsim: device or resource busy" {
		t.Errorf("AckError without message %q", e)
	}
}
