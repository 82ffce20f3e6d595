// SPDX-License-Identifier: MIT

package air

import (
	"sync/atomic"
	"time"
)

// Airtime returns how long the exchanges of one transmission held the
// channel: for every attempt used (o.Attempts per stage of c), the
// protection (RTS/CTS or CTS-to-self) and the data PPDU, then SIFS + ACK
// for the attempt that was acked or the ACK timeout for the others
// (nothing for frames without ACK). Idle time (AIFS, backoff) is not
// airtime: it is what other stations may use.
func (t Timing) Airtime(b BasicRates, c *Chain, o *Outcome, length int, ack bool) time.Duration {
	var d time.Duration
	last := -1
	for i := 0; i < c.N && i < MaxStages; i++ {
		if o.Attempts[i] > 0 {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		s := &c.Stages[i]
		e := t.ExchangeFor(s.Mode, length, s.Protection, ack, b)
		n := time.Duration(o.Attempts[i])
		d += n * (e.Protect + e.Data)
		if !ack {
			continue
		}
		fails := n
		if i == last && o.Acked {
			fails--
			d += e.Ack
		}
		d += fails * e.AckTimeout
	}
	return d
}

// Accountant is the "account" airtime mode: it sums each exchange's
// airtime per channel and per radio without delaying anything, so
// channel utilisation can be exported. Channels and radios are indexed by
// the caller (slots fixed at configuration time); Add is safe for
// concurrent use and does not allocate.
type Accountant struct {
	start   time.Time
	channel []atomic.Int64 // ns of airtime per channel slot
	radio   []atomic.Int64 // ns per radio slot
}

// NewAccountant makes an accountant for the given numbers of channel and
// radio slots, starting its utilisation clock now.
func NewAccountant(channels, radios int) *Accountant {
	return &Accountant{start: time.Now(), channel: make([]atomic.Int64, channels), radio: make([]atomic.Int64, radios)}
}

// Add charges d of airtime to a channel and a radio slot; out-of-range
// slots are ignored.
func (a *Accountant) Add(channel, radio int, d time.Duration) {
	if channel >= 0 && channel < len(a.channel) {
		a.channel[channel].Add(int64(d))
	}
	if radio >= 0 && radio < len(a.radio) {
		a.radio[radio].Add(int64(d))
	}
}

// ChannelAirtime is the airtime charged to a channel slot.
func (a *Accountant) ChannelAirtime(channel int) time.Duration {
	return time.Duration(a.channel[channel].Load())
}

// RadioAirtime is the airtime charged to a radio slot.
func (a *Accountant) RadioAirtime(radio int) time.Duration {
	return time.Duration(a.radio[radio].Load())
}

// Utilisation is a channel's airtime over the wall time since the
// accountant started (it can exceed 1: without timed delivery nothing
// stops radios from offering more than the air carries, and that is
// exactly what this number shows).
func (a *Accountant) Utilisation(channel int) float64 {
	el := time.Since(a.start)
	if el <= 0 {
		return 0
	}
	return float64(a.channel[channel].Load()) / float64(el)
}
