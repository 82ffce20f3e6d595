// SPDX-License-Identifier: MIT

package bridge

import (
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/guest/session"
	"github.com/vmedium/vmedium/medium/guest/wire"
	"github.com/vmedium/vmedium/medium/hwsim"
)

// frame transmits a frame a guest radio sent and answers it with the
// medium's decision, exactly as the hwsim backend answers a local radio:
// the attempts actually used (the MRR chain cut to them) and ACK only when
// addr1's radio heard the frame. It runs on the guest's reader goroutine,
// which also applies the guest's radio changes, so its radio map needs no
// lock. Every frame is answered, also those of radios the medium does not
// know (not acknowledged), so the guest kernel's queue never fills.
func (b *Bridge) frame(g *session.Guest, f *wire.Frame) {
	b.c.frames.Add(1)
	var ti [hwsim.TxInfoLen]byte
	for i, r := range f.Rates {
		ti[2*i], ti[2*i+1] = byte(r.Idx), r.Count
	}
	want := hwsim.ChainAttempts(&ti)
	noAck := f.Flags&wire.FlagNoAck != 0
	res := medium.TxResult{Attempts: want}
	var gr *guestRadio
	if gs := b.state(g); gs != nil {
		gr = gs.radios[f.Transmitter]
	}
	switch {
	case gr == nil:
		b.c.unknownTx.Add(1)
	case len(f.Data) < hwsim.MinFrameLen:
		b.c.unknownTx.Add(1)
	default:
		res = gr.r.Transmit(f.Data, medium.TxOptions{
			NoAck: noAck, MaxAttempts: want, FreqMHz: f.Freq,
			RateIdx: hwsim.RxRateIndex(f.Freq, f.Rates[0].Idx, f.Rates[0].Flags),
		})
	}
	if noAck {
		res.Attempts, res.Acked = 1, false
	}
	if res.Attempts < 1 {
		res.Attempts = 1
	}
	st := wire.TxStatus{Transmitter: f.Transmitter, Cookie: f.Cookie, Flags: f.Flags &^ wire.FlagAck}
	if res.Acked {
		st.Flags |= wire.FlagAck
		st.Signal = res.AckSignal
		b.c.acked.Add(1)
	}
	var used [hwsim.TxInfoLen]byte
	hwsim.RewriteTxInfo(&used, &ti, res.Attempts)
	for i := range st.Rates {
		st.Rates[i] = wire.Rate{Idx: int8(used[2*i]), Count: used[2*i+1]}
		if st.Rates[i].Idx >= 0 {
			st.Rates[i].Flags = f.Rates[i].Flags
		}
	}
	_ = g.SendTxStatus(&st) // an error means the guest left; it answers its own frames then
}

// Deliver hands the guest the frame the medium delivers to its radio
// (medium.Port). The guest kernel checks the channel, as it does for its
// own medium.
func (gr *guestRadio) Deliver(frame []byte, rx medium.RxInfo) error {
	return gr.g.SendRx(&wire.Rx{
		Receiver: gr.hw, Freq: rx.FreqMHz, Rate: uint32(rx.RateIdx), Signal: rx.SignalDBm, Data: frame,
	})
}
