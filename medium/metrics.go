// SPDX-License-Identifier: MIT

package medium

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vmedium/vmedium/medium/air"
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

	// The air model (errors per, airtime account/timed).
	descAirtime = prometheus.NewDesc("vmedium_air_airtime_seconds_total",
		"Airtime of a radio's frame exchanges (data, protection, ACK or ACK timeout) under airtime account or timed.",
		[]string{"radio", "kind"}, nil)
	descAttempts = prometheus.NewDesc("vmedium_air_attempts_total",
		"Transmission attempts by rate (legacy Mbit/s, HT or VHT MCS) under the air model.",
		[]string{"radio", "kind", "rate"}, nil)
	descBusy = prometheus.NewDesc("vmedium_air_channel_busy_ratio",
		"Share of time a channel had a transmission on the air: scheduled time under airtime timed, "+
			"offered airtime over wall time under account (it can exceed 1: nothing stops radios offering more).",
		[]string{"freq_mhz"}, nil)
	descCollisions = prometheus.NewDesc("vmedium_air_collisions_total",
		"Receptions lost while another transmission overlapped (airtime timed).", []string{"freq_mhz"}, nil)
	descLateness = prometheus.NewDesc("vmedium_air_scheduler_lateness_seconds",
		"How far behind the wall clock the channel's scheduler processed its events (airtime timed): "+
			"honest lateness, time is never scaled.", []string{"freq_mhz"}, nil)
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
		descTxAcked, descTxFailed, descTxRetries, descDrops, descDispatchErr, descRadios,
		descAirtime, descAttempts, descBusy, descCollisions, descLateness} {
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
		if ns := r.airc.airtimeNs.Load(); ns > 0 {
			ch <- prometheus.MustNewConstMetric(descAirtime, prometheus.CounterValue, float64(ns)/1e9, name, kind)
		}
		for f := range r.airc.rateAttempts {
			for i := range r.airc.rateAttempts[f] {
				if n := r.airc.rateAttempts[f][i].Load(); n > 0 {
					ch <- prometheus.MustNewConstMetric(descAttempts, prometheus.CounterValue, float64(n), name, kind, rateLabel(f, i))
				}
			}
		}
	}
	c.collectAir(ch)
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

// rateLabel names a slot of the attempts-per-rate counters.
func rateLabel(format, i int) string {
	switch air.Format(format) {
	case air.FormatDSSS, air.FormatOFDM:
		return air.Legacy(air.LegacyRate(i)).String()
	case air.FormatHT:
		return fmt.Sprintf("ht-mcs%d", i)
	}
	return fmt.Sprintf("vht-mcs%dx%d", i%10, i/10+1)
}

// collectAir emits the per-channel air metrics: the timed schedulers'
// busy ratio, collisions and lateness, or under airtime account the
// offered airtime per channel over wall time.
func (c *Collector) collectAir(ch chan<- prometheus.Metric) {
	m := c.m
	m.mu.Lock()
	mode := m.air.Airtime
	m.mu.Unlock()
	switch mode {
	case AirtimeTimed:
		for _, st := range m.Timed() {
			f := strconv.FormatUint(uint64(st.FreqMHz), 10)
			ch <- prometheus.MustNewConstMetric(descBusy, prometheus.GaugeValue, st.BusyRatio, f)
			ch <- prometheus.MustNewConstMetric(descCollisions, prometheus.CounterValue, float64(st.Collisions), f)
			buckets := make(map[float64]uint64, len(st.LateBuckets))
			var acc uint64
			for i, n := range st.LateBuckets[:len(st.LateBuckets)-1] { // the last one is +Inf
				acc += n
				buckets[float64(uint64(1)<<i)*1e-6] = acc
			}
			ch <- prometheus.MustNewConstHistogram(descLateness, st.LateCount, st.LateSum.Seconds(), buckets, f)
		}
	case AirtimeAccount:
		el := time.Since(time.Unix(0, m.acct.start.Load()))
		if el <= 0 {
			return
		}
		for i := range m.acct.chanNs {
			ns := m.acct.chanNs[i].Load()
			if ns == 0 {
				continue
			}
			f := strconv.FormatUint(uint64(m.acct.freq[i].Load()), 10)
			ch <- prometheus.MustNewConstMetric(descBusy, prometheus.GaugeValue, float64(ns)/float64(el), f)
		}
	}
}
