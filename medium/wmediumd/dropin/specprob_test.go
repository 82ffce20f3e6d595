// SPDX-License-Identifier: MIT

package dropin

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// The fork's dynamic mode (-d) over its socket: stations come with ADD and
// start dead; SPECPROB_UPDATE gives a pair a loss per frame size class and
// rate, applied per frame at the attempt's rate with one draw per frame
// for the whole chain.
func TestDynamicModeSpecProbOverTheSocket(t *testing.T) {
	dyn := &wmediumd.Config{File: "(dynamic mode)", Model: wmediumd.ModelProb, Noise: wmediumd.NoiseLevel,
		SNR: []float64{}, LossProb: []float64{}, Medium: []int{}}
	model := NewDynamicModel(dyn)
	sens, noise := -1000.0, float64(wmediumd.NoiseLevel)
	r := &rig{m: medium.New(medium.Options{Seed: 3, SensitivityDBm: &sens, NoiseDBm: &noise})}
	r.m.SetPairModel(model)
	for i := range 2 {
		p := &counter{}
		rd, err := r.m.AddRadio(medium.RadioConfig{Name: "wlan" + string(rune('0'+i)), Kind: medium.KindHwsim, Addr: addr(byte(i))}, p)
		if err != nil {
			t.Fatal(err)
		}
		r.radios, r.ports = append(r.radios, rd), append(r.ports, p)
	}
	sock := filepath.Join(t.TempDir(), "wmediumd.sock")
	ln, err := Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	srv := &Server{Model: model, Changed: r.m.PairModelChanged}
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	do := func(req Request) Result {
		t.Helper()
		if _, err := c.Write(AppendRequest(nil, &req)); err != nil {
			t.Fatal(err)
		}
		resp := make([]byte, ResponseLen(req.Type))
		if _, err := io.ReadFull(c, resp); err != nil {
			t.Fatal(err)
		}
		return Result(resp[len(resp)-1])
	}
	for i := range 2 {
		if res := do(Request{Type: MsgAdd, From: addr(byte(i))}); res != Success {
			t.Fatalf("ADD %d: %v", i, res)
		}
	}
	small := data(addr(1), addr(0))                                // 34 bytes: size class 0
	large := append(data(addr(1), addr(0)), make([]byte, 1500)...) // 1534 bytes: class 7
	send := func(f []byte, c *air.Chain) medium.TxResult {
		return r.radios[0].Transmit(f, medium.TxOptions{MaxAttempts: c.Attempts(), FreqMHz: 2412, Chain: c})
	}
	if res := send(small, chain(int(air.Rate1), 4)); res.Acked || res.Attempts != 4 || r.ports[1].n.Load() != 0 {
		t.Fatalf("before SPECPROB: %+v, want the new pair dead (all 4 attempts spent)", res)
	}
	var spec [SpecProbEntries]float64
	for k := range spec {
		spec[k] = 1
	}
	spec[0*12+int(air.Rate1)] = 0     // small frames at 1 Mb/s: never lost
	spec[0*12+int(air.Rate5_5)] = 0.3 // small frames at 5.5 Mb/s
	spec[7*12+int(air.Rate1)] = 1     // 1.4–1.6 kB frames at 1 Mb/s: always lost
	spec[7*12+int(air.Rate2)] = 0     // … at 2 Mb/s: never
	if res := do(Request{Type: MsgSpecProbUpdate, From: addr(0), To: addr(1), Spec: &spec}); res != Success {
		t.Fatalf("SPECPROB: %v", res)
	}
	if res := send(small, chain(int(air.Rate1), 4)); !res.Acked || res.Attempts != 1 {
		t.Errorf("small at 1 Mb/s after SPECPROB: %+v, want acked at once", res)
	}
	if res := send(large, chain(int(air.Rate1), 2, int(air.Rate2), 2)); !res.Acked || res.StageAttempts != [air.MaxStages]uint8{2, 1} {
		t.Errorf("large at 1 then 2 Mb/s: %+v, want the 1 Mb/s stage spent and acked at 2 Mb/s", res)
	}
	// 5.5 Mb/s, loss 0.3, three attempts: one draw per frame covers the
	// chain, so 70 % get through (on the first attempt), not 1 − 0.3³.
	const n = 20000
	acked := 0
	for range n {
		res := send(small, chain(int(air.Rate5_5), 3))
		switch {
		case res.Acked && res.Attempts == 1:
			acked++
		case res.Acked:
			t.Fatalf("acked after %d attempts: one draw per frame acks at once or never", res.Attempts)
		case res.Attempts != 3:
			t.Fatalf("lost frame reported %d attempts, want the chain's 3", res.Attempts)
		}
	}
	within4σ(t, "5.5 Mb/s ×3 at SPECPROB 0.3", acked, n, 0.7)
	t.Logf("SPECPROB 0.3 at 5.5 Mb/s ×3: delivered %.4f (want 0.7; per-attempt draws would give 0.973)", float64(acked)/n)
	// The reverse pair stays dead until set.
	back := r.radios[1].Transmit(data(addr(0), addr(1)), medium.TxOptions{MaxAttempts: 2, FreqMHz: 2412})
	if back.Acked {
		t.Errorf("1→0 (never set) acked: %+v", back)
	}
	// SPECPROB outside the dynamic mode: wrong mode, as the fork answers.
	cfg, _ := wmediumd.Parse("x", []byte(ids(2)+` }; model : { type = "prob"; };`))
	s := &Server{Model: NewModel(cfg)}
	if res, _ := s.Apply(&Request{Type: MsgSpecProbUpdate, From: addr(0), To: addr(1)}); res != WrongMode {
		t.Errorf("SPECPROB on a config model: %v, want %v", res, WrongMode)
	}
}
