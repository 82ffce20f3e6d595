// SPDX-License-Identifier: MIT

package hwsim

import (
	"testing"

	"github.com/mdlayher/netlink"
)

// FuzzHandleDatagram feeds arbitrary datagrams to the medium socket's
// receive path (split into netlink messages, generic netlink header,
// FRAME / ADD_MAC_ADDR / NEW_RADIO attribute decoding, dispatch on the
// medium, TX_INFO encoding) of a backend serving two radios. Nothing may
// panic: what cannot be decoded is counted as malformed and dropped, and
// what the backend sends in answer is well-formed. Seeds
// are well-formed kernel messages, alone and two to a datagram.
func FuzzHandleDatagram(f *testing.F) {
	unicast := frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: TxCtlReqTxStatus, cookie: 1, txInfo: chain})
	bcast := frameMsg(txSpec{tx: HwAddr(1), frame: dataFrame([6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, VifAddr(1)), flags: TxCtlNoAck, cookie: 2, txInfo: chain})
	addr := kernelMsg(CmdAddMacAddr, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrAddrTransmitter, mac(HwAddr(1)))
		ae.Bytes(AttrAddrReceiver, []byte{0x02, 0, 0, 0, 0x77, 0})
	})
	radio := kernelMsg(CmdNewRadio, func(ae *netlink.AttributeEncoder) {
		ae.Uint32(AttrRadioID, 9)
		ae.String(AttrRadioName, "phy9")
	})
	for _, d := range [][]byte{dgram(f, unicast), dgram(f, bcast), dgram(f, addr), dgram(f, radio), dgram(f, unicast, bcast), nil, {1, 2, 3}} {
		f.Add(d)
	}
	_, b, k := lab(f)
	f.Fuzz(func(t *testing.T, d []byte) {
		before := b.Counters()
		b.handleDatagram(d)
		// Whatever the backend answered must be well-formed netlink.
		k.t = t
		k.take()
		if after := b.Counters(); after.Malformed < before.Malformed {
			t.Fatalf("malformed counter went back: %d -> %d", before.Malformed, after.Malformed)
		}
	})
}
