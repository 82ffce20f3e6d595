// SPDX-License-Identifier: MIT

package session

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
)

// relay is a host and an agent joined over a real UNIX socket: the agent's
// frames are answered by the host (acked, the rate chain rewritten) and
// the statuses counted where the guest kernel would get them.
type relay struct {
	h      *Host
	a      *Agent
	done   atomic.Uint64 // statuses delivered to the agent's Status
	signal chan struct{}
	stop   func()
}

func newRelay(tb testing.TB) *relay {
	tb.Helper()
	r := &relay{signal: make(chan struct{}, 1)}
	var st wire.TxStatus // the host's answer, reused: Frame runs on one reader goroutine
	r.h = NewHost(HostConfig{Keepalive: -1, Frame: func(g *Guest, f *wire.Frame) {
		st = wire.TxStatus{Transmitter: f.Transmitter, Cookie: f.Cookie, Flags: f.Flags | wire.FlagAck, Signal: -40}
		st.Rates = [wire.RateCount]wire.Rate{{Idx: f.Rates[0].Idx, Count: 1}, {Idx: -1}, {Idx: -1}, {Idx: -1}}
		_ = g.SendTxStatus(&st)
	}})
	addr := transport.Addr{Scheme: "unix", Target: filepath.Join(tb.TempDir(), "bench.sock")}
	l, err := transport.Listen(addr)
	if err != nil {
		tb.Fatal(err)
	}
	served := make(chan struct{})
	go func() { r.h.Serve(l); close(served) }()
	up := make(chan struct{}, 1)
	r.a, err = NewAgent(AgentConfig{Addr: addr, Name: "bench", Keepalive: -1,
		Status: func(*wire.TxStatus, bool) {
			r.done.Add(1)
			select {
			case r.signal <- struct{}{}:
			default:
			}
		},
		State: func(c bool, _ error) {
			if c {
				up <- struct{}{}
			}
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.a.AddRadio(radio(1, 0)); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { r.a.Run(ctx); close(ran) }()
	select {
	case <-up:
	case <-time.After(wait):
		tb.Fatal("agent did not connect")
	}
	r.stop = func() {
		cancel()
		<-ran
		r.h.Close()
		<-served
	}
	return r
}

// await waits until n statuses have been delivered.
func (r *relay) await(n uint64) {
	for r.done.Load() < n {
		<-r.signal
	}
}

// BenchmarkRoundTripUnix: one frame at a time, each waiting for its
// status: the latency the relay adds per frame (both ends' encode, two
// socket hops, decode, the pending table).
func BenchmarkRoundTripUnix(b *testing.B) {
	r := newRelay(b)
	defer r.stop()
	f := frameOf(hw(1, 0), 0)
	f.Data = make([]byte, 1534)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.Cookie = uint64(i)
		r.a.SendFrame(f)
		r.await(uint64(i + 1))
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkPipelinedUnix: up to 128 frames in flight (hwsim allows 200
// per radio): the throughput of frame + status pairs.
func BenchmarkPipelinedUnix(b *testing.B) {
	r := newRelay(b)
	defer r.stop()
	f := frameOf(hw(1, 0), 0)
	f.Data = make([]byte, 1534)
	const window = 128
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i >= window {
			r.await(uint64(i - window + 1))
		}
		f.Cookie = uint64(i)
		r.a.SendFrame(f)
	}
	r.await(uint64(b.N))
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// TestRoundTripAllocs pins the steady path (agent SendFrame, host decode
// and Frame callback, host SendTxStatus, agent decode and Status) at no
// allocation per frame, counted over every goroutine of both ends.
func TestRoundTripAllocs(t *testing.T) {
	testutil.SkipAllocsUnderRace(t)
	testutil.CheckLeaks(t)
	r := newRelay(t)
	defer r.stop()
	f := frameOf(hw(1, 0), 0)
	var i uint64
	for ; i < 1000; i++ { // warm up: buffers, the pending map
		f.Cookie = i
		r.a.SendFrame(f)
		r.await(i + 1)
	}
	n := testing.AllocsPerRun(2000, func() {
		f.Cookie = i
		i++
		r.a.SendFrame(f)
		r.await(i)
	})
	if n > 0.05 {
		t.Errorf("%.2f allocations per frame round trip, want 0", n)
	}
}
