// SPDX-License-Identifier: MIT

package medium

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vmedium/vmedium/frames"
)

// metricsTestFrame builds a minimal 802.11 data frame (no DS bits) from ta to ra.
func metricsTestFrame(ra, ta frames.MAC, payload int) []byte {
	b := make([]byte, 24+payload)
	b[0] = 0x08 // type data, subtype 0
	copy(b[4:], ra[:])
	copy(b[10:], ta[:])
	copy(b[16:], ta[:])
	return b
}

func TestMetricsAfterTraffic(t *testing.T) {
	m := New(Options{Seed: 1})
	nop := PortFunc(func([]byte, RxInfo) error { return nil })
	addr := func(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, 0, i} }
	vw0, err := m.AddRadio(RadioConfig{Name: "vw0", Kind: KindLocal, Addr: addr(0), FreqMHz: 2437}, nop)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddRadio(RadioConfig{Name: "vw1", Kind: KindLocal, Addr: addr(1), FreqMHz: 2437}, nop); err != nil {
		t.Fatal(err)
	}
	if _, err := m.AddRadio(RadioConfig{Name: "vw2", Kind: KindTap, Addr: addr(2), FreqMHz: 2437}, nop); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deny("vw0", "vw2"); err != nil {
		t.Fatal(err)
	}
	// 5 unicast frames vw0→vw1 of 124 bytes, 3 broadcasts (denied at vw2).
	for i := 0; i < 5; i++ {
		vw0.Transmit(metricsTestFrame(addr(1), addr(0), 100), TxOptions{MaxAttempts: 1})
	}
	for i := 0; i < 3; i++ {
		vw0.Transmit(metricsTestFrame(frames.Broadcast, addr(0), 100), TxOptions{NoAck: true})
	}
	vw0.Transmit([]byte{1, 2}, TxOptions{}) // malformed

	reg := NewRegistry(m)
	want := `
# HELP vmedium_tx_frames_total Frames transmitted by a radio (parsed frames put on the air).
# TYPE vmedium_tx_frames_total counter
vmedium_tx_frames_total{kind="local",radio="vw0"} 8
vmedium_tx_frames_total{kind="local",radio="vw1"} 0
vmedium_tx_frames_total{kind="tap",radio="vw2"} 0
# HELP vmedium_rx_bytes_total Bytes of 802.11 frames delivered to a radio.
# TYPE vmedium_rx_bytes_total counter
vmedium_rx_bytes_total{kind="local",radio="vw0"} 0
vmedium_rx_bytes_total{kind="local",radio="vw1"} 992
vmedium_rx_bytes_total{kind="tap",radio="vw2"} 0
# HELP vmedium_tx_acked_total Unicast transmissions acknowledged by addr1's radio.
# TYPE vmedium_tx_acked_total counter
vmedium_tx_acked_total{kind="local",radio="vw0"} 5
vmedium_tx_acked_total{kind="local",radio="vw1"} 0
vmedium_tx_acked_total{kind="tap",radio="vw2"} 0
# HELP vmedium_radios Radios registered on the medium, by kind.
# TYPE vmedium_radios gauge
vmedium_radios{kind="hwsim"} 0
vmedium_radios{kind="kmod"} 0
vmedium_radios{kind="local"} 2
vmedium_radios{kind="tap"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"vmedium_tx_frames_total", "vmedium_rx_bytes_total", "vmedium_tx_acked_total", "vmedium_radios"); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	drops := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "vmedium_drops_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			var radio, reason string
			for _, lp := range mt.GetLabel() {
				switch lp.GetName() {
				case "radio":
					radio = lp.GetValue()
				case "reason":
					reason = lp.GetValue()
				}
			}
			drops[radio+"/"+reason] = mt.GetCounter().GetValue()
		}
	}
	if drops["vw2/denied"] != 3 || drops["vw0/malformed"] != 1 || drops["vw1/loss"] != 0 {
		t.Fatalf("drops: vw2/denied=%v (want 3) vw0/malformed=%v (want 1) vw1/loss=%v (want 0)",
			drops["vw2/denied"], drops["vw0/malformed"], drops["vw1/loss"])
	}
	problems, err := testutil.CollectAndLint(NewCollector(m))
	if err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
}

// BenchmarkScrape100Radios is the cost of one scrape of the medium's
// collector with 100 radios (the per-frame path pays nothing for metrics).
func BenchmarkScrape100Radios(b *testing.B) {
	m := New(Options{})
	nop := PortFunc(func([]byte, RxInfo) error { return nil })
	for i := 0; i < 100; i++ {
		if _, err := m.AddRadio(RadioConfig{Name: fmt.Sprintf("vw%d", i), Kind: KindTap, Addr: frames.MAC{2, 0, 0, 0, byte(i >> 8), byte(i)}}, nop); err != nil {
			b.Fatal(err)
		}
	}
	reg := NewRegistry(m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
