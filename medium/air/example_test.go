// SPDX-License-Identifier: MIT

package air_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/vmedium/vmedium/medium/air"
)

// The hwsim path in a few lines: decode the kernel's rate chain, walk it
// over the link, rewrite TX_INFO with the attempts used, and pick the RX
// rate of the stage that delivered.
func Example_hwsimFrame() {
	m, err := air.NewModel(air.ModelConfig{})
	if err != nil {
		panic(err)
	}
	// minstrel's chain at 5 GHz: 54 Mbit/s ×3, 24 ×2, 6 ×2 (legacy
	// indices 7, 4, 0; no TX_INFO_FLAGS bits set).
	txInfo := [air.TxInfoLen]byte{7, 3, 4, 2, 0, 2, 0xff, 0}
	var c air.Chain
	if err := air.DecodeTxInfo(&c, txInfo[:], make([]byte, air.TxInfoFlagsLen), 5180); err != nil {
		panic(err)
	}
	// A link where 54 Mbit/s never gets through and 24 always does.
	noise := m.Noise().DBm(air.Width20)
	fwd, rev := noise+14, noise+14
	rng := rand.New(rand.NewPCG(1, 1))
	var o air.Outcome
	m.Walk(&o, &c, fwd, rev, 1500, false, rng)
	var out [air.TxInfoLen]byte
	air.RewriteTxInfo(&out, &txInfo, &o.Attempts)
	fmt.Println("acked:", o.Acked, "attempts:", o.Attempts)
	fmt.Printf("TX_INFO: % x\n", out)
	fmt.Println("RX_RATE index:", air.RxRateIndex(c.Stages[o.DeliveredStage].Mode, air.Band5GHz))
	// Output:
	// acked: true attempts: [3 1 0 0]
	// TX_INFO: 07 03 04 01 ff 00 ff 00
	// RX_RATE index: 4
}
