package medium

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metric descriptors. Every per-radio series carries the radio's name and
// kind, so a dashboard can sum by kind.
var (
	descTxFrames = prometheus.NewDesc("vmedium_tx_frames_total",
		"Frames transmitted by a radio (parsed frames put on the air).", []string{"radio", "kind"}, nil)
	descTxBytes = prometheus.NewDesc("vmedium_tx_bytes_total",
		"Bytes of 802.11 frames transmitted by a radio.", []string{"radio", "kind"}, nil)
	descRxFrames = prometheus.NewDesc("vmedium_rx_frames_total",
		"Frames delivered to a radio.", []string{"radio", "kind"}, nil)
	descRxBytes = prometheus.NewDesc("vmedium_rx_bytes_total",
		"Bytes of 802.11 frames delivered to a radio.", []string{"radio", "kind"}, nil)
	descTxAcked = prometheus.NewDesc("vmedium_tx_acked_total",
		"Unicast transmissions acknowledged by addr1's radio.", []string{"radio", "kind"}, nil)
	descTxFailed = prometheus.NewDesc("vmedium_tx_failed_total",
		"Unicast transmissions never acknowledged after every attempt.", []string{"radio", "kind"}, nil)
	descTxRetries = prometheus.NewDesc("vmedium_tx_retries_total",
		"Transmission attempts beyond the first.", []string{"radio", "kind"}, nil)
	descDrops = prometheus.NewDesc("vmedium_drops_total",
		"Frames not delivered, by reason. Counted on the receiver when there was one "+
			"(denied, loss, out_of_range, other_frequency, other), on the transmitter otherwise "+
			"(malformed, no_such_radio).", []string{"radio", "kind", "reason"}, nil)
	descDispatchErr = prometheus.NewDesc("vmedium_dispatch_errors_total",
		"Deliveries a radio's port refused.", []string{"radio", "kind"}, nil)
	descRadios = prometheus.NewDesc("vmedium_radios",
		"Radios registered on the medium, by kind.", []string{"kind"}, nil)
)

// Collector exports the medium's counters to Prometheus.
//
// The issue asks for per-radio metric children that are cached and never
// looked up per frame. This collector takes that to its limit: the dispatch
// path only bumps the atomic counters it already keeps in each Radio, and
// nothing Prometheus-related runs per frame at all. At scrape time Collect
// walks the registered radios and emits const metrics from those counters,
// so there is no metric vector, no label lookup and no extra atomic on the
// hot path. A radio that is removed simply stops being reported.
type Collector struct {
	m *Medium
}

// NewCollector returns a collector over m.
func NewCollector(m *Medium) *Collector { return &Collector{m: m} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTxFrames, descTxBytes, descRxFrames, descRxBytes,
		descTxAcked, descTxFailed, descTxRetries, descDrops, descDispatchErr, descRadios} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	rs := make([]*Radio, 0, len(c.m.byName))
	for _, r := range c.m.radios {
		if r != nil {
			rs = append(rs, r)
		}
	}
	c.m.mu.Unlock()

	kinds := map[Kind]int{KindTap: 0, KindHwsim: 0, KindKmod: 0}
	for _, r := range rs {
		kinds[r.kind]++
		name, kind := r.name, string(r.kind)
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), name, kind)
		}
		counter(descTxFrames, r.c.txFrames.Load())
		counter(descTxBytes, r.c.txBytes.Load())
		counter(descRxFrames, r.c.rxFrames.Load())
		counter(descRxBytes, r.c.rxBytes.Load())
		counter(descTxAcked, r.c.txAcked.Load())
		counter(descTxFailed, r.c.txFailed.Load())
		counter(descTxRetries, r.c.txRetries.Load())
		counter(descDispatchErr, r.c.dispatchErr.Load())
		for i := range r.c.drops {
			ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue,
				float64(r.c.drops[i].Load()), name, kind, DropReason(i).String())
		}
	}
	for k, n := range kinds {
		ch <- prometheus.MustNewConstMetric(descRadios, prometheus.GaugeValue, float64(n), string(k))
	}
}

// NewRegistry returns a registry holding the medium's collector plus the
// standard Go runtime and process collectors. Backends register their own
// collectors (e.g. hwsim socket overruns) on the same registry; the metrics
// HTTP server serves it with promhttp.HandlerFor.
func NewRegistry(m *Medium) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(m),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
