// SPDX-License-Identifier: MIT

package bridge

import "github.com/prometheus/client_golang/prometheus"

// Counters are the bridge's counters over its life.
type Counters struct {
	Joined        uint64 // guests that joined
	Left          uint64 // guests gone after joining (their radios removed)
	Refused       uint64 // handshakes refused (version, name in use, bad name)
	Guests        int    // guests connected now
	RadiosAdded   uint64 // guest radios put on the medium
	RadiosRemoved uint64 // guest radios taken off it
	RadioErrors   uint64 // guest radios the medium refused (duplicate name or address)
	Frames        uint64 // frames from guest radios
	Acked         uint64 // of those, acknowledged
	UnknownTx     uint64 // frames of radios not on the medium, or too short (answered, not sent)
}

// Counters returns a snapshot of the counters.
func (b *Bridge) Counters() Counters {
	hc := b.host.Counters()
	return Counters{
		Joined: b.c.joined.Load(), Left: b.c.left.Load(), Refused: hc.Refused, Guests: len(b.host.Guests()),
		RadiosAdded: b.c.radiosAdded.Load(), RadiosRemoved: b.c.radiosRemoved.Load(), RadioErrors: b.c.radioErrors.Load(),
		Frames: b.c.frames.Load(), Acked: b.c.acked.Load(), UnknownTx: b.c.unknownTx.Load(),
	}
}

// Collector exports the counters as vmedium_guest_*.
func (b *Bridge) Collector() prometheus.Collector { return &collector{b: b} }

type collector struct{ b *Bridge }

type metric struct {
	d   *prometheus.Desc
	t   prometheus.ValueType
	get func(Counters) float64
}

var metrics = func() []metric {
	mk := func(name, help string, t prometheus.ValueType, get func(Counters) float64) metric {
		return metric{prometheus.NewDesc("vmedium_guest_"+name, help, nil, nil), t, get}
	}
	c := prometheus.CounterValue
	return []metric{
		mk("joined_total", "Guests that joined the medium.", c, func(c Counters) float64 { return float64(c.Joined) }),
		mk("left_total", "Guests that left the medium (closed, silent, malformed); their radios were removed.", c, func(c Counters) float64 { return float64(c.Left) }),
		mk("refused_total", "Guest handshakes refused (protocol version, name in use, bad name).", c, func(c Counters) float64 { return float64(c.Refused) }),
		mk("connected", "Guests connected now.", prometheus.GaugeValue, func(c Counters) float64 { return float64(c.Guests) }),
		mk("radios_added_total", "Guest radios put on the medium.", c, func(c Counters) float64 { return float64(c.RadiosAdded) }),
		mk("radios_removed_total", "Guest radios taken off the medium.", c, func(c Counters) float64 { return float64(c.RadiosRemoved) }),
		mk("radio_errors_total", "Guest radios the medium refused (duplicate name or address).", c, func(c Counters) float64 { return float64(c.RadioErrors) }),
		mk("frames_total", "Frames guest radios transmitted.", c, func(c Counters) float64 { return float64(c.Frames) }),
		mk("acked_total", "Guest frames the medium acknowledged.", c, func(c Counters) float64 { return float64(c.Acked) }),
		mk("unknown_transmitter_total", "Guest frames from radios not on the medium, or too short (answered not acknowledged).", c, func(c Counters) float64 { return float64(c.UnknownTx) }),
	}
}()

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range metrics {
		ch <- m.d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	cs := c.b.Counters()
	for _, m := range metrics {
		ch <- prometheus.MustNewConstMetric(m.d, m.t, m.get(cs))
	}
}
