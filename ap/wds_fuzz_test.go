// SPDX-License-Identifier: MIT

package ap_test

import (
	"testing"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
)

// FuzzAPDeliverWDS hands arbitrary frames, as if heard on the air, to an
// AP with WDSSta (a four-address station and an ordinary one associated)
// and to one without. Seeds are four-address data and null frames from
// the stations, to the AP, to each other, to addresses behind them and to
// group addresses. Nothing may panic, Deliver never fails, the AP without
// WDSSta learns nothing, and the forwarding table stays within its bounds
// and names only associated stations.
func FuzzAPDeliverWDS(f *testing.F) {
	four := func(ta, da, sa frames.MAC) []byte {
		b, _ := frames.EthernetToData(nil, frames.DataHeader{ToDS: true, FromDS: true, Addr1: apAddr, Addr2: ta, Addr3: da, Addr4: sa}, mactest.Eth(da, sa, []byte("payload")))
		return b
	}
	null4 := frames.AppendDataHeader(nil, frames.DataHeader{ToDS: true, FromDS: true, Addr1: apAddr, Addr2: sta1, Addr3: apAddr, Addr4: sta1})
	null4[0] = frames.SubtypeNull<<4 | frames.TypeData<<2
	for _, seed := range [][]byte{
		four(sta1, sta2, host), four(sta1, apAddr, host), four(sta1, frames.Broadcast, host),
		four(sta1, host, sta1), four(sta2, host, sta2), four(mactest.Addr(5), sta2, host), null4,
	} {
		f.Add(seed)
	}
	cfg := ap.Config{MaxLearnedPerStation: 4, MaxLearned: 8}
	a, _, _, _, _, _, _ := wdsLab(f, false, cfg, wdsSTA(sta1), staConfig(sta2))
	m := medium.New(medium.Options{Seed: 1})
	plain, _ := startAP(f, m, ap.Config{}, &mactest.Recorder{})
	startSTA(f, m, "vw1", wdsSTA(sta1), &mactest.Recorder{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rx := medium.RxInfo{SignalDBm: -50, FreqMHz: frames.ChannelToFreq(6)}
		if err := a.Deliver(b, rx); err != nil {
			t.Fatalf("WDS AP Deliver(% x) = %v", b, err)
		}
		if err := plain.Deliver(b, rx); err != nil {
			t.Fatalf("AP Deliver(% x) = %v", b, err)
		}
		if n := len(plain.Learned()); n != 0 {
			t.Fatalf("an AP without WDSSta learned %d addresses", n)
		}
		learned := a.Learned()
		if len(learned) > 8 {
			t.Fatalf("%d addresses learned, bound 8", len(learned))
		}
		per := map[frames.MAC]int{}
		for _, st := range learned {
			if _, ok := a.Station(st); !ok {
				t.Fatalf("an address learned behind %s, which is not associated", st)
			}
			if per[st]++; per[st] > 4 {
				t.Fatalf("more than 4 addresses learned behind %s", st)
			}
		}
	})
}
