// SPDX-License-Identifier: MIT

package control

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
)

// TestPcapCounter: an interrupted capture still says how many frames it
// holds; the count does not depend on how the stream was cut into writes.
func TestPcapCounter(t *testing.T) {
	var stream bytes.Buffer
	pw, err := frames.NewPcapWriter(&stream)
	if err != nil {
		t.Fatal(err)
	}
	const n = 37
	for i := range n {
		if err := pw.WriteFrame(time.Unix(int64(i), 0), frames.Radiotap{}, bytes.Repeat([]byte{byte(i)}, i*13)); err != nil {
			t.Fatal(err)
		}
	}
	whole := stream.Bytes()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		var out bytes.Buffer
		c := &pcapCounter{w: &out}
		for b := whole; len(b) > 0; {
			k := min(len(b), 1+rng.IntN(60))
			if trial == 0 {
				k = len(b)
			}
			c.Write(b[:k])
			b = b[k:]
		}
		if c.records != n || !bytes.Equal(out.Bytes(), whole) {
			t.Fatalf("trial %d: %d records counted, want %d (stream passed intact: %v)", trial, c.records, n, bytes.Equal(out.Bytes(), whole))
		}
	}
	// A stream cut inside a record counts only the complete ones.
	c := &pcapCounter{w: &bytes.Buffer{}}
	c.Write(whole[:len(whole)-5])
	if c.records != n-1 {
		t.Fatalf("cut stream: %d records, want %d", c.records, n-1)
	}
}
