// SPDX-License-Identifier: MIT

package sta_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/vmedium/vmedium/ap"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/mactest"
	"github.com/vmedium/vmedium/sta"
)

// Frames relayed STA → AP → STA on a WPA2 network reach the receiving
// station's stack complete and in the order they were sent, from two
// senders at once, with no CCMP replay or MIC drop: with a receive queue
// (which keeps the air order the replay check depends on) and without
// one; in both the AP relays the two senders' frames from two threads,
// and must put them on the air in packet-number order. The second sender
// hands its frames over in batches (SendEthernetBatch, as a TAP's reader
// does: encrypted together). Frame sizes vary from 100 bytes (small
// frames are processed by Deliver itself when the queue is idle: they
// must never pass a queued one). Close stops the receive goroutine
// (CheckLeaks).
func TestReceiveQueueWPA2Order(t *testing.T) {
	for _, q := range []int{0, 4} {
		t.Run(fmt.Sprintf("queue=%d", q), func(t *testing.T) { testReceiveOrder(t, q) })
	}
}

func testReceiveOrder(t *testing.T, queue int) {
	testutil.CheckLeaks(t)
	m := medium.New(medium.Options{})
	apAddr := mactest.Addr(0)
	startAP(t, m, "vw0", ap.Config{SSID: "sec", Channel: 6, Addr: apAddr, Passphrase: "station-test-pass"})
	var stas [3]*sta.STA
	var ups [3]*mactest.Recorder
	for i := 1; i <= 3; i++ {
		cfg := fastSTA("sec", 6, mactest.Addr(byte(i)))
		cfg.Passphrase = "station-test-pass"
		if i == 3 {
			cfg.ReceiveQueue = queue // small: senders hit a full queue
		}
		stas[i-1], ups[i-1], _ = startSTA(t, m, "vw"+string(rune('0'+i)), cfg)
	}
	for _, s := range stas {
		waitAssoc(t, s)
	}
	const n = 2000
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(src *sta.STA, tag byte, batched bool) {
			defer wg.Done()
			var batch [][]byte
			for k := 0; k < n; k++ {
				p := bytes.Repeat([]byte{tag}, 100+k%1400)
				binary.BigEndian.PutUint32(p, uint32(k))
				eth := mactest.Eth(mactest.Addr(3), src.Addr(), p)
				if !batched {
					if err := src.SendEthernet(eth); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				if batch = append(batch, eth); len(batch) == 1+k%5 || k == n-1 {
					if refused := src.SendEthernetBatch(batch); refused != 0 {
						t.Errorf("%d of %d frames refused", refused, len(batch))
						return
					}
					batch = batch[:0]
				}
			}
		}(stas[i], byte('a'+i), i == 1)
	}
	wg.Wait()
	mactest.Eventually(t, 5*time.Second, "all frames received", func() bool { return len(ups[2].Frames()) >= 2*n })

	next := map[byte]uint32{}
	for _, eth := range ups[2].Frames() {
		p := eth[14:]
		tag, k := p[len(p)-1], binary.BigEndian.Uint32(p)
		if k != next[tag] {
			t.Fatalf("from %c: frame %d after %d: out of order or lost", tag, k, next[tag])
		}
		next[tag]++
	}
	c := stas[2].Counters()
	if c["ccmp_replays"] != 0 || c["ccmp_mic_errors"] != 0 || c["rx_packets"] != 2*n {
		t.Errorf("receiver counters %v: want %d packets, 0 replays, 0 MIC errors", c, 2*n)
	}
	for _, s := range stas {
		s.Close()
	}
}

// A negative or oversized receive queue is refused by name.
func TestReceiveQueueConfig(t *testing.T) {
	for _, q := range []int{-1, 1 << 20} {
		cfg := fastSTA("sec", 6, mactest.Addr(1))
		cfg.ReceiveQueue = q
		if _, err := sta.New(cfg, &mactest.Recorder{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("receive queue")) {
			t.Errorf("ReceiveQueue %d: error %v, want one naming the receive queue", q, err)
		}
	}
}
