// SPDX-License-Identifier: MIT

package bridge

import (
	"testing"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// BenchmarkGuestFrameRoundTrip: one guest radio's unicast frame to another
// through a real agent, the unix socket, the bridge and the medium, until
// the agent has the TX status and the receiving radio's RX (the added
// per-frame cost of the guest path, both directions of the stream).
func BenchmarkGuestFrameRoundTrip(b *testing.B) {
	m := medium.New(medium.Options{Seed: 1})
	_, addr := startBridge(b, m)
	g := newGuest(b, addr, "vmA", radio(1, 0, "wlan0"), radio(1, 1, "wlan1"))
	g.start(b)
	waitFor(b, "two radios", func() bool { return len(m.Radios()) == 2 })
	f := wire.Frame{Transmitter: hw(1, 0), Flags: wire.FlagReqTxStatus, Freq: 2412, Rates: chain, Data: dataFrame(vif(1, 1), vif(1, 0))}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Cookie = uint64(i)
		g.SendFrame(&f)
		s := <-g.statuses
		<-g.rx
		if s.s.Flags&wire.FlagAck == 0 {
			b.Fatal("not acked")
		}
	}
}
