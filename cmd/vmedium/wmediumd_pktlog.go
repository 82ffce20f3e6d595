// SPDX-License-Identifier: MIT

package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/vmedium/vmedium/medium"
)

// pktLog prints every transmission and delivery, wmediumd's `-l 7` ("all
// packets will be logged"). It runs on the dispatch path and formats each
// line, so it is only installed at that level.
type pktLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *pktLog) Transmitted(tx *medium.Radio, frame []byte, freq uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "tx %s: %d bytes on %d MHz\n", tx.Name(), len(frame), freq)
}

func (p *pktLog) Received(tx, rx *medium.Radio, frame []byte, info medium.RxInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "rx %s -> %s: %d bytes, signal %d dBm\n", tx.Name(), rx.Name(), len(frame), info.SignalDBm)
}
