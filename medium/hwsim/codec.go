// SPDX-License-Identifier: MIT

package hwsim

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// The wire formats of the messages the backend decodes (FRAME,
// ADD/DEL_MAC_ADDR, NEW/DEL_RADIO) and encodes (TX_INFO_FRAME, FRAME
// injections), as generic netlink attributes. Integers are encoded through
// ae.Bytes from one scratch array per message: Encode copies them, where
// ae.Uint32/Uint64 would allocate a slice per value.

// txFrame is one decoded kernel FRAME.
type txFrame struct {
	tx          frames.MAC
	frame       []byte
	flags, freq uint32
	cookie      uint64
	txInfo      [TxInfoLen]byte
	txFlags     [TxMaxRates * TxRateFlagLen]byte
	haveTx      bool
	haveCookie  bool
	haveTxInfo  bool
	haveTxFlags bool
}

func decodeFrame(data []byte, f *txFrame) error {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return err
	}
	for ad.Next() {
		switch ad.Type() {
		case AttrAddrTransmitter:
			ad.Do(func(v []byte) error {
				if len(v) != 6 {
					return fmt.Errorf("transmitter address of %d bytes", len(v))
				}
				copy(f.tx[:], v)
				f.haveTx = true
				return nil
			})
		case AttrFrame:
			ad.Do(func(v []byte) error { f.frame = v; return nil })
		case AttrFlags:
			f.flags = ad.Uint32()
		case AttrFreq:
			f.freq = ad.Uint32()
		case AttrCookie:
			f.cookie = ad.Uint64()
			f.haveCookie = true
		case AttrTxInfo:
			ad.Do(func(v []byte) error {
				f.haveTxInfo = copy(f.txInfo[:], v) > 0
				return nil
			})
		case AttrTxInfoFlags:
			ad.Do(func(v []byte) error {
				f.haveTxFlags = copy(f.txFlags[:], v) > 0
				return nil
			})
		}
	}
	return ad.Err()
}

// chain decodes the frame's TX_INFO and TX_INFO_FLAGS into the rate chain
// the air model walks (legacy, HT MCS, VHT MCS/NSS, widths, short GI,
// short preamble, RTS/CTS, CTS-to-self). A stage that does not decode
// ends the chain there; false when not even the first stage does.
func (f *txFrame) chain(c *air.Chain) bool {
	if !f.haveTxInfo {
		return false
	}
	var fl []byte
	if f.haveTxFlags {
		fl = f.txFlags[:]
	}
	_ = air.DecodeTxInfo(c, f.txInfo[:], fl, f.freq)
	return c.N > 0
}

// chainAttempts is the number of attempts the kernel's MRR chain allows.
func chainAttempts(ti *[TxInfoLen]byte) int {
	n := 0
	for i := 0; i < TxMaxRates; i++ {
		if int8(ti[2*i]) < 0 {
			break
		}
		n += int(ti[2*i+1])
	}
	if n > maxAttempts {
		n = maxAttempts
	}
	if n < 1 {
		n = 1
	}
	return n
}

// rewriteTxInfo walks the MRR chain consuming counts for the attempts used;
// the remaining entries become idx -1, count 0. Echoing the chain as-is
// makes mac80211 count every entry as retries.
func rewriteTxInfo(in *[TxInfoLen]byte, used int) (out [TxInfoLen]byte) {
	rewriteTxInfoInto(&out, in, used)
	return out
}

// rewriteTxInfoInto is rewriteTxInfo writing into out.
func rewriteTxInfoInto(out, in *[TxInfoLen]byte, used int) {
	for i := 0; i < TxMaxRates; i++ {
		out[2*i] = 0xff // idx -1
	}
	for i := 0; i < TxMaxRates && used > 0; i++ {
		idx, cnt := int8(in[2*i]), int(in[2*i+1])
		if idx < 0 {
			break
		}
		if i == TxMaxRates-1 || cnt > used {
			cnt = used // the last entry takes what is left
		}
		if cnt == 0 {
			continue
		}
		out[2*i], out[2*i+1] = byte(idx), byte(cnt)
		used -= cnt
	}
}

// rxRate picks the legacy RX_RATE index reported to receivers: the first
// rate of the chain when it is legacy and in the band's table, else the
// band's fastest legacy rate (HT/VHT cannot be expressed on injection).
func rxRate(f *txFrame) uint8 {
	var fl uint16
	if f.haveTxFlags {
		fl = binary.NativeEndian.Uint16(f.txFlags[1:3])
	}
	return RxRateIndex(f.freq, int8(f.txInfo[0]), fl)
}

// RxRateIndex is rxRate for relays that carry hwsim frames elsewhere (the
// guest bridge): freq, the chain's first rate index and its rate flags.
func RxRateIndex(freq uint32, idx int8, flags uint16) uint8 {
	n := numBitrates(freq)
	if idx < 0 || flags&(rateFlagMCS|rateFlagVHTMCS) != 0 || int(idx) >= n {
		return uint8(n - 1)
	}
	return uint8(idx)
}

// ChainAttempts is the number of attempts an MRR chain (TX_INFO: idx,
// count pairs) allows, capped as the backend caps it; exported for relays
// that decide the TX status of hwsim frames carried elsewhere.
func ChainAttempts(ti *[TxInfoLen]byte) int { return chainAttempts(ti) }

// RewriteTxInfo writes into out the chain in with only the attempts used
// (see rewriteTxInfo); exported for the same relays, so their TX status
// tells mac80211 the same truth as the backend's.
func RewriteTxInfo(out, in *[TxInfoLen]byte, used int) { rewriteTxInfoInto(out, in, used) }

// Flags of struct hwsim_tx_rate_flag (enum mac80211_rate_control_flags).
const (
	rateFlagMCS    = 1 << 3
	rateFlagVHTMCS = 1 << 8
)

func numBitrates(freq uint32) int {
	if freq == 0 || freq < 3000 {
		return NumBitrates2GHz
	}
	return NumBitrates5GHz
}

// outMsg is one message to the kernel: a generic netlink command and its
// attributes exactly as AttributeEncoder.Encode returned them. The
// netlink and generic netlink headers are written when it is sent (see
// writeBatch), so an encoded frame is never copied again.
type outMsg struct {
	cmd   uint8
	flags uint16 // 0: netlink.Request
	seq   uint32 // 0: the next of the backend's own
	attrs []byte
}

func pack(cmd uint8, ae *netlink.AttributeEncoder) (outMsg, error) {
	attrs, err := ae.Encode()
	if err != nil {
		return outMsg{}, err
	}
	return outMsg{cmd: cmd, attrs: attrs}, nil
}

// encodeTxInfo encodes HWSIM_CMD_TX_INFO_FRAME for a handled frame: the
// attempts actually used (res.Attempts) and STAT_ACK when acknowledged.
func encodeTxInfo(f *txFrame, res medium.TxResult) (outMsg, error) {
	flags := f.flags &^ TxStatAck
	if res.Acked && flags&TxCtlNoAck == 0 {
		flags |= TxStatAck
	}
	// One array for the integer attributes (one allocation; ae.Bytes
	// keeps a reference until Encode copies it).
	var v [8 + 4 + 4 + TxInfoLen]byte
	binary.NativeEndian.PutUint64(v[0:], f.cookie)
	binary.NativeEndian.PutUint32(v[8:], flags)
	binary.NativeEndian.PutUint32(v[12:], uint32(res.AckSignal))
	if res.Air {
		// The air model walked the chain: report each stage's attempts
		// as it used them.
		air.RewriteTxInfo((*[TxInfoLen]byte)(v[16:]), &f.txInfo, &res.StageAttempts)
	} else {
		rewriteTxInfoInto((*[TxInfoLen]byte)(v[16:]), &f.txInfo, res.Attempts)
	}
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(AttrAddrTransmitter, f.tx[:])
	ae.Bytes(AttrFlags, v[8:12])
	ae.Bytes(AttrCookie, v[0:8])
	ae.Bytes(AttrSignal, v[12:16])
	ae.Bytes(AttrTxInfo, v[16:])
	return pack(CmdTxInfoFrame, ae)
}

// encodeInjection encodes HWSIM_CMD_FRAME delivering frame to the radio
// whose hwsim address is hw, with the receive information the medium
// chose (the rate index clamped to the band's legacy table: the kernel
// drops a frame with a bad index).
func encodeInjection(hw *frames.MAC, frame []byte, rx medium.RxInfo) (outMsg, error) {
	if len(frame) < MinFrameLen || len(frame) > MaxFrameLen {
		return outMsg{}, fmt.Errorf("hwsim: frame of %d bytes: accepted is %d..%d", len(frame), MinFrameLen, MaxFrameLen)
	}
	rate := uint32(rx.RateIdx)
	if n := numBitrates(rx.FreqMHz); int(rate) >= n {
		rate = uint32(n - 1)
	}
	var v [12]byte
	binary.NativeEndian.PutUint32(v[0:], rate)
	binary.NativeEndian.PutUint32(v[4:], uint32(rx.SignalDBm))
	binary.NativeEndian.PutUint32(v[8:], rx.FreqMHz)
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(AttrAddrReceiver, hw[:])
	ae.Bytes(AttrFrame, frame)
	ae.Bytes(AttrRxRate, v[0:4])
	ae.Bytes(AttrSignal, v[4:8])
	if rx.FreqMHz != 0 {
		ae.Bytes(AttrFreq, v[8:12])
	}
	msg, err := pack(CmdFrame, ae)
	if err != nil {
		return outMsg{}, fmt.Errorf("hwsim: encode frame: %w", err)
	}
	return msg, nil
}

// decodeMacAddr decodes ADD/DEL_MAC_ADDR: the radio (its hwsim address)
// and the address it gains or loses.
func decodeMacAddr(data []byte) (hw, a frames.MAC, ok bool) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return hw, a, false
	}
	var okHw, okA bool
	for ad.Next() {
		switch ad.Type() {
		case AttrAddrTransmitter:
			okHw = copy(hw[:], ad.Bytes()) == 6
		case AttrAddrReceiver:
			okA = copy(a[:], ad.Bytes()) == 6
		}
	}
	return hw, a, ad.Err() == nil && okHw && okA
}

// decodeRadioEvent decodes a NEW/DEL_RADIO multicast: the radio's id and
// wiphy name (the kernel sends the name without a NUL on DEL_RADIO).
func decodeRadioEvent(data []byte) (id int, name string, ok bool) {
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return -1, "", false
	}
	id = -1
	for ad.Next() {
		switch ad.Type() {
		case AttrRadioID:
			id = int(ad.Uint32())
		case AttrRadioName:
			name = trimNUL(ad.Bytes())
		}
	}
	return id, name, ad.Err() == nil && id >= 0
}

func trimNUL(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

func nlmsgAlign(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }
