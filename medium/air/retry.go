// SPDX-License-Identifier: MIT

package air

import (
	"math"
	"math/rand/v2"
)

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

// stageP holds the success probability of every frame of one stage's
// attempt (data forward, ACK reverse at the control rate, RTS forward, CTS
// reverse), computed once per stage (once per attempt with fading) so an
// attempt costs only its draws. 1 and 0 mean clear and dead: no draw.
type stageP struct{ data, ack, rts, cts float64 }

// prob is exp(k·L), exactly 1 for clear and 0 for dead.
func prob(k float64, length int) float64 {
	switch k {
	case 0:
		return 1
	case deadK:
		return 0
	}
	return math.Exp(k * float64(length))
}

// draw decides one reception of success probability p.
func draw(p float64, rng *rand.Rand) bool {
	if p >= 1 {
		return true
	}
	if p <= 0 {
		return false
	}
	return rng.Float64() < p
}

func (m *Model) stageProbs(s *Stage, fwdDBm, revDBm float64, length int, rng *rand.Rand, fade bool) stageP {
	ctlFwd := fwdDBm - m.noise.DBm(Width20)
	ctlRev := revDBm - m.noise.DBm(Width20)
	dataSNR := m.SNR(s.Mode, fwdDBm)
	cc := m.controlCurve(s.Mode)
	if fade {
		// One fading draw per direction per attempt: the channel is
		// reciprocal within an exchange only on average.
		f, r := m.fading.DrawDB(rng), m.fading.DrawDB(rng)
		dataSNR += f
		ctlFwd += f
		ctlRev += r
	}
	p := stageP{data: prob(m.table.LogSuccess(s.Mode.Curve(), dataSNR), length)}
	kRev := m.table.LogSuccess(cc, ctlRev)
	p.ack = prob(kRev, AckLen)
	if s.Protection == ProtectRTSCTS {
		p.rts = prob(m.table.LogSuccess(cc, ctlFwd), RtsLen)
		p.cts = prob(kRev, CtsLen)
	}
	return p
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
	for i := 0; i < c.N && i < MaxStages; i++ {
		s := &c.Stages[i]
		var p stageP
		if !fade {
			p = m.stageProbs(s, fwdDBm, revDBm, length, rng, false)
		}
		for j := 0; j < int(s.Count); j++ {
			if fade {
				p = m.stageProbs(s, fwdDBm, revDBm, length, rng, true)
			}
			o.Attempts[i]++
			if s.Protection == ProtectRTSCTS && (!draw(p.rts, rng) || !draw(p.cts, rng)) {
				if noAck {
					return
				}
				continue
			}
			if !draw(p.data, rng) {
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
			if draw(p.ack, rng) {
				o.Acked = true
				return
			}
		}
	}
}
