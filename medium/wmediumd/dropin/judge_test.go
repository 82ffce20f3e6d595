// SPDX-License-Identifier: MIT

package dropin

import (
	"math"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// chain builds a legacy rate chain: rate, count, rate, count, …
func chain(rc ...int) *air.Chain {
	c := &air.Chain{N: len(rc) / 2}
	for i := 0; i < c.N; i++ {
		c.Stages[i] = air.Stage{Mode: air.Legacy(air.LegacyRate(rc[2*i])), Count: uint8(rc[2*i+1])}
	}
	return c
}

func (r *rig) sendChain(tx, rx int, c *air.Chain, freq uint32) medium.TxResult {
	return r.radios[tx].Transmit(data(r.radios[rx].Addr(), r.radios[tx].Addr()),
		medium.TxOptions{MaxAttempts: c.Attempts(), FreqMHz: freq, Chain: c})
}

// within4σ fails when k successes in n differ from n·p by more than 4σ.
func within4σ(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if d := math.Abs(float64(k) - float64(n)*p); d > 4*sd+1e-9 {
		t.Errorf("%s: %d of %d (%.4f), want %.4f ± 4σ (%.4f)", what, k, n, float64(k)/float64(n), p, 4*sd/float64(n))
	}
}

// A -x table is looked up at the rate of each attempt: the chain's stage,
// not the lowest rate. Link SNR 2 is −89 dBm: 1 Mb/s never fails, 2 Mb/s
// always does, 5.5 Mb/s half the time, 5 GHz's 6 Mb/s (column 4) always.
func TestPERTablePerRateOfEachAttempt(t *testing.T) {
	tbl, err := wmediumd.ParsePERTable("t", []byte("# rate columns 0..11\n"+
		"-90 1 1 1 1 1 1 1 1 1 1 1 1\n"+
		"-89 0 1 0.5 1 1 0 0 0 0 0 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, ids(2)+` links = ((0, 1, 2)); };`, addr(0), addr(1))
	r.m.SetPairModel(nil)
	cfg, _ := wmediumd.Parse("x", []byte(ids(2)+` links = ((0, 1, 2)); };`))
	m := NewModel(cfg)
	m.SetPERTable(tbl)
	r.m.SetPairModel(m)

	// 2 Mb/s ×2 then 1 Mb/s ×2: the 2 Mb/s attempts fail, the first
	// 1 Mb/s attempt gets through (one stage's PER for all would ack at
	// once, or never).
	res := r.sendChain(0, 1, chain(int(air.Rate2), 2, int(air.Rate1), 2), 2412)
	if !res.Acked || res.StageAttempts != [air.MaxStages]uint8{2, 1} || res.Stage != 1 || res.RxRateIdx != 0 {
		t.Fatalf("2M×2,1M×2: %+v, want acked at stage 1 after attempts [2 1]", res)
	}
	// 5 GHz: hwsim's index 0 there is 6 Mb/s, column 4: always lost,
	// while 9 Mb/s (column 5) passes.
	if res := r.sendChain(0, 1, chain(int(air.Rate6), 1, int(air.Rate9), 1), 5180); !res.Acked || res.Stage != 1 {
		t.Fatalf("5 GHz 6M,9M: %+v, want acked at the 9 Mb/s stage", res)
	}
	// 5.5 Mb/s, PER 0.5 per attempt: two attempts, drawn independently.
	const n = 20000
	var acked, first int
	for range n {
		res := r.sendChain(0, 1, chain(int(air.Rate5_5), 2), 2412)
		if res.Acked {
			acked++
			if res.Attempts == 1 {
				first++
			}
		} else if res.Attempts != 2 {
			t.Fatalf("failed frame reported %d attempts, want the chain's 2", res.Attempts)
		}
	}
	within4σ(t, "5.5 Mb/s ×2 acked", acked, n, 0.75)
	within4σ(t, "5.5 Mb/s acked on the first attempt", first, n, 0.5)
	t.Logf("5.5 Mb/s ×2 at PER 0.5: acked %.4f (want 0.75), first attempt %.4f (want 0.5)", float64(acked)/n, float64(first)/n)
}

// model.fading_coefficient moves each frame's SNR by a term with standard
// deviation ≈ the coefficient, once per frame (the retries share it), and
// the receiver reports the faded signal; the same seed gives the same run.
func TestFadingPerFrameSeeded(t *testing.T) {
	const cfgText = `ifaces : { ids = ["02:00:00:00:00:00", "02:00:00:00:01:00"]; links = ((0, 1, 2)); };
model : { fading_coefficient = 4; };`
	run := func(seed uint64) (acked int, mean, sd float64, trace []bool) {
		cfg, err := wmediumd.Parse("f.cfg", []byte(cfgText))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.FadingCoefficient != 4 {
			t.Fatalf("fading_coefficient read as %d", cfg.FadingCoefficient)
		}
		sens, noise := -1000.0, cfg.Noise
		r := &rig{m: medium.New(medium.Options{Seed: seed, SensitivityDBm: &sens, NoiseDBm: &noise})}
		r.m.SetPairModel(NewModel(cfg))
		for i, a := range []byte{0, 1} {
			p := &counter{}
			rd, err := r.m.AddRadio(medium.RadioConfig{Name: "wlan" + string(rune('0'+i)), Kind: medium.KindHwsim, Addr: addr(a)}, p)
			if err != nil {
				t.Fatal(err)
			}
			r.radios, r.ports = append(r.radios, rd), append(r.ports, p)
		}
		const n = 20000
		var sum, sum2 float64
		got := 0
		for range n {
			res := r.send(0, 1, 4)
			trace = append(trace, res.Acked)
			if res.Acked {
				acked++
				if res.Attempts != 1 {
					t.Fatalf("acked after %d attempts: the fading term is per frame, retries share it", res.Attempts)
				}
				s := float64(r.ports[1].signal.Load())
				sum, sum2, got = sum+s, sum2+s*s, got+1
			} else if res.Attempts != 4 {
				t.Fatalf("lost frame reported %d attempts, want 4", res.Attempts)
			}
		}
		mean = sum / float64(got)
		sd = math.Sqrt(sum2/float64(got) - mean*mean)
		return acked, mean, sd, trace
	}
	acked, mean, sd, tr1 := run(7)
	// SNR 2 + trunc(4·N): lost (SNR ≤ 0) when 4·N ≤ −2, P(N ≤ −0.5) with
	// N the Irwin–Hall sum of 12 uniforms less 6: 0.3085 (normal, exact to
	// 1e-3 here).
	const pLost = 0.3085
	within4σ(t, "frames lost to fading", 20000-acked, 20000, pLost)
	// Received frames are the faded signals with SNR ≥ 1: above −90 dBm.
	if mean < -89 || mean > -83 {
		t.Errorf("mean received signal %.2f dBm, want a few dB above −89 (the upper tail of −89 + 4·N)", mean)
	}
	if sd < 2 || sd > 4 {
		t.Errorf("received signal spread %.2f dB, want 2..4 (a truncated normal of σ 4)", sd)
	}
	t.Logf("fading 4 on SNR 2: lost %.4f (want %.4f), received mean %.2f dBm sd %.2f dB", float64(20000-acked)/20000, pLost, mean, sd)
	_, _, _, tr2 := run(7)
	_, _, _, tr3 := run(8)
	same, diff := true, false
	for i := range tr1 {
		same = same && tr1[i] == tr2[i]
		diff = diff || tr1[i] != tr3[i]
	}
	if !same || !diff {
		t.Errorf("seeded runs: same seed identical %v (want true), other seed different %v (want true)", same, diff)
	}
}

// A fake monotonic clock for the interference windows.
type clock struct{ t time.Duration }

func (c *clock) now() time.Duration { return c.t }

// ifaces.enable_interference: stations whose frames arrive below CCA
// (hidden: nobody can decode them) are on the air with their airtime share
// of the last 10 ms window; two such at −91 dBm, always on the air, add
// two noise units: a victim link loses round(10·log10 2) = 3 dB. Without
// enable_interference, or with the hidden stations quiet, it loses nothing.
func TestInterferenceHiddenStationsRaiseTheNoise(t *testing.T) {
	// 0→1 the victim at SNR 10; 2 and 3 send to 4 at SNR 0 (−91 dBm:
	// below CCA, never received): pure interference.
	const links = ` links = ((0, 1, 10), (2, 4, 0), (3, 4, 0)); };`
	setup := func(intf bool) (*rig, *clock) {
		text := ids(5)
		if intf {
			text += ` enable_interference = true;`
		}
		cfg, err := wmediumd.Parse("i.cfg", []byte(text+links))
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, ids(5)+links, addr(0), addr(1), addr(2), addr(3), addr(4))
		c := &clock{}
		m := NewModel(cfg)
		m.SetClock(c.now)
		r.m.SetPairModel(m)
		return r, c
	}
	victim := func(r *rig) int32 {
		r.send(0, 1, 1)
		return r.ports[1].signal.Load()
	}
	for _, intf := range []bool{false, true} {
		r, c := setup(intf)
		if got := victim(r); got != 10-91 {
			t.Fatalf("interference %v, quiet: victim signal %d, want -81", intf, got)
		}
		// Fill a 10 ms window: 2 and 3 each send 1500-byte frames at
		// 1 Mb/s (12+ ms of airtime each: a share capped at 1).
		for _, tx := range []int{2, 3} {
			res := r.radios[tx].Transmit(append(data(addr(4), addr(byte(tx))), make([]byte, 1500)...),
				medium.TxOptions{MaxAttempts: 1, FreqMHz: 2412, Chain: chain(int(air.Rate1), 1)})
			if res.Acked || r.ports[4].n.Load() != 0 {
				t.Fatalf("a frame at SNR 0 was received: %+v", res)
			}
		}
		c.t += 11 * time.Millisecond
		got := victim(r)
		want := int32(10 - 91)
		if intf {
			want = 10 - 3 - 91
		}
		if got != want {
			t.Errorf("interference %v, two hidden stations on the air: victim signal %d, want %d", intf, got, want)
		}
		// A quiet window later, nobody is on the air again.
		c.t += 11 * time.Millisecond
		victim(r)
		c.t += 11 * time.Millisecond
		if got := victim(r); got != 10-91 {
			t.Errorf("interference %v, quiet again: victim signal %d, want -81", intf, got)
		}
	}
}
