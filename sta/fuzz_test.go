// SPDX-License-Identifier: MIT

package sta_test

import (
	"context"
	"testing"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

// FuzzSTADeliverWDS hands arbitrary frames, as if heard on the air, to two
// associated stations of one AP: a four-address (WDS) one and an ordinary
// one. Seeds are four- and three-address data frames from the AP to each,
// group frames, and the four-address null. Nothing may panic, Deliver
// never fails, the ordinary station never takes a four-address frame,
// and what either writes up is an Ethernet frame.
func FuzzSTADeliverWDS(f *testing.F) {
	apA, wdsA, plainA, host := mactest.Addr(0), mactest.Addr(1), mactest.Addr(2), mactest.Addr(9)
	eth := mactest.Eth(host, plainA, []byte("payload"))
	four := func(ra, da, sa frames.MAC) []byte {
		b, _ := frames.EthernetToData(nil, frames.DataHeader{ToDS: true, FromDS: true, Addr1: ra, Addr2: apA, Addr3: da, Addr4: sa}, mactest.Eth(da, sa, []byte("payload")))
		return b
	}
	three, _ := frames.EthernetToData(nil, frames.DataHeader{FromDS: true, Addr1: frames.Broadcast, Addr2: apA, Addr3: plainA}, eth)
	null4 := frames.AppendDataHeader(nil, frames.DataHeader{ToDS: true, FromDS: true, Addr1: apA, Addr2: wdsA, Addr3: apA, Addr4: wdsA})
	null4[0] = frames.SubtypeNull<<4 | frames.TypeData<<2
	for _, seed := range [][]byte{
		four(wdsA, host, plainA), four(wdsA, wdsA, plainA), four(wdsA, frames.Broadcast, plainA),
		four(wdsA, frames.Broadcast, wdsA), four(plainA, plainA, host), three, null4,
	} {
		f.Add(seed)
	}
	m := medium.New(medium.Options{Seed: 1})
	a, err := ap.New(ap.Config{SSID: "vmedium", Channel: 6, Addr: apA, BeaconInterval: beaconInterval, WDSSta: true}, &mactest.Recorder{})
	if err != nil {
		f.Fatal(err)
	}
	a.Attach(mactest.AddRadio(f, m, "vw0", apA, a))
	if err := a.Start(context.Background()); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { a.Close() })
	checkUp := func(eth []byte) error {
		if len(eth) < frames.EthHeaderLen {
			f.Fatalf("a station wrote a %d-byte frame up", len(eth))
		}
		return nil
	}
	var stas []*sta.STA
	for i, c := range []sta.Config{fastSTA("vmedium", 6, wdsA), fastSTA("vmedium", 6, plainA)} {
		c.WDS = i == 0
		s, err := sta.New(c, sta.UplinkFunc(checkUp))
		if err != nil {
			f.Fatal(err)
		}
		s.Attach(mactest.AddRadio(f, m, []string{"vw1", "vw2"}[i], c.Addr, s))
		if err := s.Start(context.Background()); err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { s.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = s.WaitAssociated(ctx)
		cancel()
		if err != nil {
			f.Fatal(err)
		}
		stas = append(stas, s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rx := medium.RxInfo{SignalDBm: -50, FreqMHz: frames.ChannelToFreq(6)}
		for _, s := range stas {
			if err := s.Deliver(b, rx); err != nil {
				t.Fatalf("STA Deliver(% x) = %v", b, err)
			}
		}
		if n := stas[1].Counters()["rx_4addr"]; n != 0 {
			t.Fatalf("the three-address station took %d four-address frames", n)
		}
	})
}
