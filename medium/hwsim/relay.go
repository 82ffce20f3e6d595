// SPDX-License-Identifier: MIT

package hwsim

import (
	"encoding/binary"

	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// Relay mode (Options.Relay): the backend is the medium of the kernel's
// radios, but another medium decides the fate of their frames — the guest
// agent's host, over a stream. Frames of served radios go to the Relay
// instead of Transmit; the answer comes back later through TxStatus, and
// the other medium's deliveries through Inject. Everything else
// (registration, discovery, addresses, frames of unknown radios answered
// at once) is as without a relay.

// RelayedFrame is one frame a served radio transmitted, as the Relay gets
// it; valid only during the call.
type RelayedFrame struct {
	Transmitter frames.MAC // the radio's hwsim address
	Flags       uint32     // TxCtl* bits
	Freq        uint32     // MHz
	Cookie      uint64
	TxInfo      [TxInfoLen]byte    // the MRR chain: idx, count pairs
	RateFlags   [TxMaxRates]uint16 // the chain's hwsim_tx_rate_flag flags, per entry
	Frame       []byte
}

// Relay takes the frames of served radios in relay mode. It must not
// block for long (it runs on the receive loop) and must lead to exactly
// one TxStatus per frame.
type Relay func(f *RelayedFrame)

// relayFrame hands f to the relay.
func (b *Backend) relayFrame(f *txFrame) {
	rf := RelayedFrame{Transmitter: f.tx, Flags: f.flags, Freq: f.freq, Cookie: f.cookie, TxInfo: f.txInfo, Frame: f.frame}
	if f.haveTxFlags {
		for i := range rf.RateFlags {
			rf.RateFlags[i] = binary.NativeEndian.Uint16(f.txFlags[i*TxRateFlagLen+1:])
		}
	}
	b.opts.Relay(&rf)
}

// TxStatus answers a relayed frame with the decision the other medium
// made: its flags (TxStatAck when acknowledged), the ACK's signal and the
// attempts actually made (TX_INFO as mac80211 reads it).
func (b *Backend) TxStatus(tx frames.MAC, cookie uint64, flags uint32, signal int32, txInfo *[TxInfoLen]byte) error {
	var v [8 + 4 + 4 + TxInfoLen]byte
	binary.NativeEndian.PutUint64(v[0:], cookie)
	binary.NativeEndian.PutUint32(v[8:], flags)
	binary.NativeEndian.PutUint32(v[12:], uint32(signal))
	copy(v[16:], txInfo[:])
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(AttrAddrTransmitter, tx[:])
	ae.Bytes(AttrFlags, v[8:12])
	ae.Bytes(AttrCookie, v[0:8])
	ae.Bytes(AttrSignal, v[12:16])
	ae.Bytes(AttrTxInfo, v[16:])
	msg, err := pack(CmdTxInfoFrame, ae)
	if err != nil {
		return err
	}
	b.queue(msg)
	return nil
}

// Inject delivers a frame the other medium gave the served radio whose
// hwsim address is hw (HWSIM_CMD_FRAME).
func (b *Backend) Inject(hw frames.MAC, frame []byte, rx medium.RxInfo) error {
	msg, err := encodeInjection(&hw, frame, rx)
	if err != nil {
		return err
	}
	b.queue(msg)
	return nil
}

// queue sends msg now, or with the batch being built.
func (b *Backend) queue(msg outMsg) {
	b.s.mu.Lock()
	defer b.s.mu.Unlock()
	b.s.batch = append(b.s.batch, msg)
	if !b.s.batching {
		b.flushLocked()
	}
}
