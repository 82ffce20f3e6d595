// SPDX-License-Identifier: MIT

package hwsim

import "github.com/prometheus/client_golang/prometheus"

// Collector exposes the backend's counters to Prometheus, notably socket
// overruns (ENOBUFS: the kernel dropped netlink messages, so frames were
// lost before the medium saw them). Register it next to the medium's own.
type Collector struct {
	b     *Backend
	descs []counterDesc
}

type counterDesc struct {
	d   *prometheus.Desc
	get func(Counters) uint64
}

// NewCollector returns a collector for b.
func NewCollector(b *Backend) *Collector {
	mk := func(name, help string, get func(Counters) uint64) counterDesc {
		return counterDesc{prometheus.NewDesc("vmedium_hwsim_"+name, help, nil, nil), get}
	}
	return &Collector{b: b, descs: []counterDesc{
		mk("frames_received_total", "HWSIM_CMD_FRAME messages received from the kernel.", func(c Counters) uint64 { return c.FramesIn }),
		mk("tx_status_sent_total", "HWSIM_CMD_TX_INFO_FRAME answers sent.", func(c Counters) uint64 { return c.TxInfoSent }),
		mk("frames_injected_total", "HWSIM_CMD_FRAME injections sent to receiving radios.", func(c Counters) uint64 { return c.Injected }),
		mk("malformed_total", "Kernel messages that could not be decoded.", func(c Counters) uint64 { return c.Malformed }),
		mk("unknown_transmitter_total", "Frames from radios the backend does not serve (answered, not delivered).", func(c Counters) uint64 { return c.UnknownTx }),
		mk("injections_rejected_total", "Kernel error replies to injections (EINVAL: receiver off channel or down).", func(c Counters) uint64 { return c.Rejected }),
		mk("socket_overruns_total", "ENOBUFS on the medium socket: the kernel dropped netlink messages.", func(c Counters) uint64 { return c.Overruns }),
		mk("send_errors_total", "Failed sends on the medium socket.", func(c Counters) uint64 { return c.SendErrors }),
		mk("address_events_total", "ADD/DEL_MAC_ADDR messages handled.", func(c Counters) uint64 { return c.AddrEvents }),
		mk("radio_events_total", "NEW/DEL_RADIO multicasts handled.", func(c Counters) uint64 { return c.RadioEvents }),
	}}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	cs := c.b.Counters()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.d, prometheus.CounterValue, float64(d.get(cs)))
	}
}
