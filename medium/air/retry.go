// SPDX-License-Identifier: MIT

package air

import "math/rand/v2"

// Outcome is what happened to one unicast transmission over its retry
// chain: enough for a backend to report truthful TX status (hwsim
// TX_INFO: RewriteTxInfo with Attempts) and to deliver the frame once.
type Outcome struct {
	// Attempts used per stage of the chain.
	Attempts [MaxStages]uint8
	// Acked: an attempt's data got through and its ACK came back.
	Acked bool
	// Delivered: the data reached the receiver on some attempt (even if
	// every ACK was lost). The medium hands it over once.
	Delivered bool
	// DeliveredStage is the stage whose attempt first delivered the data
	// (its mode is the RX rate to report), −1 if none.
	DeliveredStage int8
}

// Total is the number of attempts used over all stages.
func (o *Outcome) Total() int {
	n := 0
	for _, a := range o.Attempts {
		n += int(a)
	}
	return n
}

// stageK holds the log success per byte of every frame of one stage's
// attempt: data (forward), ACK (reverse, control rate), RTS (forward) and
// CTS (reverse).
type stageK struct{ data, ack, rts, cts float64 }

func (m *Model) stageKs(s *Stage, fwdDBm, revDBm float64, rng *rand.Rand, fade bool) stageK {
	ctl := m.basic.ControlRate(s.Mode)
	ctlFwd := fwdDBm - m.noise.DBm(Width20)
	ctlRev := revDBm - m.noise.DBm(Width20)
	dataSNR := m.SNR(s.Mode, fwdDBm)
	cc := ctl.Curve()
	if fade {
		// One fading draw per direction per attempt: the channel is
		// reciprocal within an exchange only on average.
		f, r := m.fading.DrawDB(rng), m.fading.DrawDB(rng)
		dataSNR += f
		ctlFwd += f
		ctlRev += r
	}
	k := stageK{data: m.table.LogSuccess(s.Mode.Curve(), dataSNR), ack: m.table.LogSuccess(cc, ctlRev)}
	if s.Protection == ProtectRTSCTS {
		k.rts = m.table.LogSuccess(cc, ctlFwd)
		k.cts = k.ack
	}
	return k
}

// Walk runs a unicast frame of length bytes over the retry chain c: each
// stage at its own rate, Count attempts each, one draw per frame of each
// attempt (RTS and CTS when the stage asks for RTS/CTS, the data, the ACK
// on the reverse link at the control rate). The first attempt whose data
// gets through delivers the frame; the walk stops at the first ACK that
// comes back, or when the chain is used up. noAck frames (no ACK policy)
// use one attempt at stage 0. fwdDBm is the signal at the receiver,
// revDBm the receiver's signal at the transmitter (for the ACK).
//
// Walk does not allocate; rng must only be used by one goroutine.
func (m *Model) Walk(o *Outcome, c *Chain, fwdDBm, revDBm float64, length int, noAck bool, rng *rand.Rand) {
	*o = Outcome{DeliveredStage: -1}
	fade := m.fading.Enabled()
	for i := 0; i < c.N; i++ {
		s := &c.Stages[i]
		var k stageK
		if !fade {
			k = m.stageKs(s, fwdDBm, revDBm, rng, false)
		}
		for j := 0; j < int(s.Count); j++ {
			if fade {
				k = m.stageKs(s, fwdDBm, revDBm, rng, true)
			}
			o.Attempts[i]++
			if s.Protection == ProtectRTSCTS && (!received(k.rts, RtsLen, rng) || !received(k.cts, CtsLen, rng)) {
				if noAck {
					return
				}
				continue
			}
			if !received(k.data, length, rng) {
				if noAck {
					return
				}
				continue
			}
			if !o.Delivered {
				o.Delivered, o.DeliveredStage = true, int8(i)
			}
			if noAck {
				return
			}
			if received(k.ack, AckLen, rng) {
				o.Acked = true
				return
			}
		}
	}
}
