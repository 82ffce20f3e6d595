// SPDX-License-Identifier: MIT

package frames

import (
	"io"
	"testing"
	"time"
)

var sinkMAC MAC

func BenchmarkParse(b *testing.B) {
	frame := rawFrame(0x88, FlagFromDS, []MAC{macA, bssid, macC}, 5<<4, []byte{0, 0},
		[]byte{0xaa, 0xaa, 3, 0, 0, 0, 0x08, 0, 1, 2, 3, 4})
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(frame)
		if err != nil {
			b.Fatal(err)
		}
		sinkMAC = f.SA()
		sinkMAC = f.Addr1()
	}
}

func BenchmarkEthernetToData(b *testing.B) {
	eth := ethFrame(macB, macA, 0x0800, make([]byte, 1500))
	h := DataHeader{ToDS: true, Addr1: bssid, Addr2: macA, Addr3: macB}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(eth)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EthernetToData(buf[:0], h, eth); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDataToEthernet(b *testing.B) {
	eth := ethFrame(macB, macA, 0x0800, make([]byte, 1500))
	frame, err := EthernetToData(nil, DataHeader{FromDS: true, Addr1: macB, Addr2: bssid, Addr3: macA}, eth)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(eth)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DataToEthernet(buf[:0], f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendRadiotap(b *testing.B) {
	rt := Radiotap{Rate500K: 108, FreqMHz: 2437, ChanFlags: Chan2GHz | ChanOFDM, SignalDBm: -42, HasSignal: true, NoiseDBm: -95, HasNoise: true}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRadiotap(buf[:0], rt)
	}
}

func BenchmarkAppendBeacon(b *testing.B) {
	ies := testIEs()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBeacon(buf[:0], testHdr, 1, 100, CapESS, ies)
	}
}

func BenchmarkIterIEs(b *testing.B) {
	ies := testIEs()
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		_ = IterIEs(ies, func(id uint8, data []byte) bool { n += len(data); return true })
	}
}

func BenchmarkPcapWriteFrame(b *testing.B) {
	w, err := NewPcapWriter(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	frame := AppendBeacon(nil, testHdr, 1, 100, CapESS, testIEs())
	rt := Radiotap{Rate500K: 2, FreqMHz: 2412, ChanFlags: Chan2GHz | ChanCCK, SignalDBm: -40, HasSignal: true}
	ts := time.Unix(1, 0)
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteFrame(ts, rt, frame); err != nil {
			b.Fatal(err)
		}
	}
}
