// SPDX-License-Identifier: MIT

package dropin

import (
	"math"
	"testing"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// The prob model's p is wmediumd's end-to-end loss: one draw per frame
// covering the whole retry chain, whatever the air model does. A frame
// gets through on its first attempt (the link is otherwise perfect) with
// probability 1 − p, else it spends every attempt of its chain (reported
// per stage, as hwsim's TX status carries them).
func TestProbModelOneDrawPerFrameInEveryAirMode(t *testing.T) {
	testutil.CheckLeaks(t)
	const p = 0.3
	const cfgText = `ifaces : { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; };
model : { type = "prob"; links = ((0, 1, 0.3)); };`
	for _, mode := range []struct {
		errors, airtime string
		n               int
	}{
		{"", "", 20000}, // the air model off: the plain path
		{medium.ErrorsFlat, medium.AirtimeAccount, 20000},
		{medium.ErrorsPER, medium.AirtimeOff, 20000},
		{medium.ErrorsPER, medium.AirtimeTimed, 600}, // real airtime (≈3 ms a frame): fewer frames
	} {
		name := "air-off"
		if mode.errors != "" {
			name = mode.errors + "/" + mode.airtime
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, cfgText, addr(0), addr(1))
			if mode.errors != "" {
				if err := r.m.SetAir(medium.AirConfig{Errors: mode.errors, Airtime: mode.airtime}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(r.m.Close)
			}
			// The chain hwsim hands over (a Go MAC's frame without one
			// would get vmedium's rate control under the air model).
			c := chain(int(air.Rate1), 2, int(air.Rate2), 2)
			delivered := 0
			for range mode.n {
				res := r.sendChain(0, 1, c, 2412)
				switch {
				case res.Acked && res.Attempts == 1:
					delivered++
				case res.Acked:
					t.Fatalf("acked after %d attempts: one draw per frame acks at once or never", res.Attempts)
				case res.Attempts != 4 || (res.Air && res.StageAttempts != [air.MaxStages]uint8{2, 2}):
					t.Fatalf("lost frame reported %d attempts (%+v), want the chain's 4", res.Attempts, res)
				}
			}
			if got := int(r.ports[1].n.Load()); got != delivered {
				t.Errorf("receiver got %d frames, %d acked", got, delivered)
			}
			within4σ(t, "delivered", delivered, mode.n, 1-p)
			t.Logf("%s: %d frames, delivered %.4f (want %.2f ± %.4f), lost frames all 4 attempts",
				name, mode.n, float64(delivered)/float64(mode.n), 1-p, 4*math.Sqrt(p*(1-p)/float64(mode.n)))
		})
	}
}
