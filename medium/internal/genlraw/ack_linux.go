// SPDX-License-Identifier: MIT

package genlraw

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Ack is a decoded NLMSG_ERROR message: the kernel's answer to a request
// that asked for an acknowledgement, or its refusal of one that did not.
type Ack struct {
	// Code is struct nlmsgerr's error: 0 for a plain acknowledgement, a
	// negative errno for a refusal. Some families answer with a positive
	// value (mac80211_hwsim's NEW_RADIO: the new radio's id).
	Code int32
	// Message is the kernel's explanation (NLMSGERR_ATTR_MSG, set with
	// NL_SET_ERR_MSG / GENL_SET_ERR_MSG) when the socket asked for
	// extended acknowledgements (NETLINK_EXT_ACK); else empty.
	Message string
}

// ErrShortAck: an NLMSG_ERROR too short to hold struct nlmsgerr.
var ErrShortAck = errors.New("netlink error message shorter than struct nlmsgerr")

// ParseAck decodes the payload of an NLMSG_ERROR message whose netlink
// header carries flags. The layout: the error code, the request's
// nlmsghdr, the request's payload unless the socket set NETLINK_CAP_ACK
// (NLM_F_CAPPED), then, with NLM_F_ACK_TLVS, the extended-ack attributes.
// Malformed attributes lose only the message, never the code.
func ParseAck(flags uint16, data []byte) (Ack, error) {
	if len(data) < 4 {
		return Ack{}, ErrShortAck
	}
	a := Ack{Code: int32(binary.NativeEndian.Uint32(data))}
	if flags&unix.NLM_F_ACK_TLVS == 0 || len(data) < 4+unix.NLMSG_HDRLEN {
		return a, nil
	}
	off := 4 + unix.NLMSG_HDRLEN
	if flags&unix.NLM_F_CAPPED == 0 {
		off = 4 + nlmsgAlign(int(binary.NativeEndian.Uint32(data[4:])))
	}
	if off < 4+unix.NLMSG_HDRLEN || off > len(data) {
		return a, nil
	}
	ad, err := netlink.NewAttributeDecoder(data[off:])
	if err != nil {
		return a, nil
	}
	for ad.Next() {
		if ad.Type() == unix.NLMSGERR_ATTR_MSG {
			a.Message = trimNUL(ad.Bytes())
		}
	}
	return a, nil
}

// AckError is a refusal from the kernel: the errno, the kernel's message
// when it gave one, and who answered (e.g. "vmedium.ko", "mac80211_hwsim").
// errors.Is(err, unix.EINVAL) and the like see the errno.
type AckError struct {
	From    string
	Message string
	Errno   unix.Errno
}

func (e *AckError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s: %v", e.From, e.Errno)
	}
	return fmt.Sprintf("%s: %s: %v", e.From, e.Message, e.Errno)
}

func (e *AckError) Unwrap() error { return e.Errno }

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

func trimNUL(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}
