// SPDX-License-Identifier: MIT

package dropin

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// counter is a radio port that counts deliveries and keeps the last signal.
type counter struct {
	n      atomic.Int64
	signal atomic.Int32
}

func (c *counter) Deliver(_ []byte, rx medium.RxInfo) error {
	c.n.Add(1)
	c.signal.Store(rx.SignalDBm)
	return nil
}

func addr(i byte) frames.MAC { return frames.MAC{0x02, 0, 0, 0, i, 0} }

func data(a1, a2 frames.MAC) []byte {
	b := make([]byte, 24, 40)
	b[0] = frames.TypeData << 2
	copy(b[4:], a1[:])
	copy(b[10:], a2[:])
	copy(b[16:], a2[:])
	return append(b, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 1, 2)
}

type rig struct {
	m      *medium.Medium
	radios []*medium.Radio
	ports  []*counter
}

// newRig serves cfg on a medium with one radio per address (radio i has
// address addrs[i]), as the drop-in sets it up.
func newRig(t testing.TB, cfgText string, addrs ...frames.MAC) *rig {
	t.Helper()
	cfg, err := wmediumd.Parse("test.cfg", []byte(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	sens, noise := -1000.0, cfg.Noise
	r := &rig{m: medium.New(medium.Options{Seed: 1, SensitivityDBm: &sens, NoiseDBm: &noise})}
	r.m.SetPairModel(NewModel(cfg))
	for i, a := range addrs {
		p := &counter{}
		rd, err := r.m.AddRadio(medium.RadioConfig{Name: "wlan" + string(rune('0'+i)), Kind: medium.KindHwsim, Addr: a}, p)
		if err != nil {
			t.Fatal(err)
		}
		r.radios, r.ports = append(r.radios, rd), append(r.ports, p)
	}
	return r
}

func (r *rig) send(tx, rx int, attempts int) medium.TxResult {
	return r.radios[tx].Transmit(data(r.radios[rx].Addr(), r.radios[tx].Addr()), medium.TxOptions{MaxAttempts: attempts, FreqMHz: 2412})
}

func (r *rig) broadcast(tx int) medium.TxResult {
	return r.radios[tx].Transmit(data(frames.Broadcast, r.radios[tx].Addr()), medium.TxOptions{NoAck: true, FreqMHz: 2412})
}

func ids(n int) string {
	var s []string
	for i := range n {
		s = append(s, `"`+addr(byte(i)).String()+`"`)
	}
	return "ifaces : { ids = [" + strings.Join(s, ", ") + "];"
}

func TestSNRModelSignalsAndUnheardPairs(t *testing.T) {
	r := newRig(t, ids(3)+` links = ((0, 1, 25), (0, 2, 0)); };`, addr(0), addr(1), addr(2))
	if res := r.send(0, 1, 4); !res.Acked || res.Attempts != 1 {
		t.Fatalf("0→1 at SNR 25: %+v, want acked on the first attempt", res)
	}
	if got := r.ports[1].signal.Load(); got != 25-91 {
		t.Errorf("signal at 1 = %d, want %d (SNR + noise)", got, 25-91)
	}
	// mirrored: 1→0 has SNR 25 too
	r.send(1, 0, 1)
	if got := r.ports[0].signal.Load(); got != -66 {
		t.Errorf("mirrored 1→0 signal = %d, want -66", got)
	}
	// SNR 0 is never delivered, either way
	if res := r.send(0, 2, 4); res.Acked || r.ports[2].n.Load() != 0 {
		t.Errorf("0→2 at SNR 0 delivered: %+v", res)
	}
	r.broadcast(2)
	if r.ports[0].n.Load() != 1 { // only the earlier 1→0 frame
		t.Errorf("a group frame from 2 reached 0 over SNR 0")
	}
	// unlisted pair (1,2): SNR 30
	r.broadcast(1)
	if got := r.ports[2].signal.Load(); r.ports[2].n.Load() != 1 || got != -61 {
		t.Errorf("group frame 1→2: n=%d signal=%d, want 1 at -61 dBm", r.ports[2].n.Load(), got)
	}
	var model []medium.LinkInfo
	for _, l := range r.m.Links() {
		if l.Source == medium.SourceModel {
			model = append(model, l)
		}
	}
	if len(model) != 6 {
		t.Errorf("vmctl links: %d pairs from the model, want 6: %+v", len(model), r.m.Links())
	}
}

func TestUnlistedRadioHearsNothing(t *testing.T) {
	r := newRig(t, ids(2)+` };`, addr(0), addr(1), addr(9))
	r.broadcast(0)
	r.broadcast(2)
	if r.ports[2].n.Load() != 0 || r.ports[0].n.Load() != 0 || r.ports[1].n.Load() != 1 {
		t.Errorf("deliveries %d %d %d, want 0 1 0 (radio 2 is not in the config)", r.ports[0].n.Load(), r.ports[1].n.Load(), r.ports[2].n.Load())
	}
}

// An id that is an interface address of a radio (not its own address)
// maps the radio once the address is known, as for mesh interfaces added
// after the radio.
func TestIDsByInterfaceAddress(t *testing.T) {
	m0, m1 := frames.MAC{2, 0, 0, 0xaa, 0, 0}, frames.MAC{2, 0, 0, 0xaa, 0, 1}
	cfg := `ifaces : { ids = ["` + m0.String() + `", "` + m1.String() + `"]; links = ((0, 1, 40)); };`
	r := newRig(t, cfg, addr(0), addr(1))
	r.broadcast(0)
	if r.ports[1].n.Load() != 0 {
		t.Fatal("radios heard each other before their interface addresses were known")
	}
	r.radios[0].AddAddr(m0)
	r.radios[1].AddAddr(m1)
	r.radios[0].Transmit(data(frames.Broadcast, m0), medium.TxOptions{NoAck: true})
	if r.ports[1].n.Load() != 1 || r.ports[1].signal.Load() != 40-91 {
		t.Fatalf("after ADD_MAC_ADDR: n=%d signal=%d, want 1 at -51", r.ports[1].n.Load(), r.ports[1].signal.Load())
	}
	// unicast to the interface address reaches the owning radio
	if res := r.radios[1].Transmit(data(m0, m1), medium.TxOptions{MaxAttempts: 2}); !res.Acked || r.ports[0].n.Load() != 1 {
		t.Errorf("unicast to an interface address: %+v, delivered %d", res, r.ports[0].n.Load())
	}
}

// The prob model's p is the loss of the whole frame: one draw per frame,
// never a fresh draw per retry (which would make p=0.5 over 4 attempts a
// 6 % loss).
func TestProbOneDrawPerFrame(t *testing.T) {
	r := newRig(t, ids(3)+` }; model : { type = "prob"; links = ((0, 1, 0.5), (0, 2, 1.0)); };`, addr(0), addr(1), addr(2))
	const n = 4000
	acked := 0
	for range n {
		res := r.send(0, 1, 4)
		if res.Acked {
			acked++
			if res.Attempts != 1 {
				t.Fatalf("acked after %d attempts: the frame either passes at once or not at all", res.Attempts)
			}
		} else if res.Attempts != 4 {
			t.Fatalf("lost frame used %d attempts, want the whole chain (4)", res.Attempts)
		}
	}
	frac := float64(acked) / n
	if sd := math.Sqrt(0.25 / n); math.Abs(frac-0.5) > 4*sd {
		t.Errorf("delivered %.3f of frames at p=0.5, want 0.5 ± %.3f", frac, 4*sd)
	}
	for range 50 {
		r.send(0, 2, 4)
		r.send(2, 0, 4)
		r.broadcast(0)
		r.broadcast(2)
	}
	if r.ports[2].n.Load() != 0 || r.ports[0].n.Load() != 0 {
		t.Errorf("the 1.0 pair exchanged frames: %d to 2, %d to 0", r.ports[2].n.Load(), r.ports[0].n.Load())
	}
}

func TestMediumArrayIsolates(t *testing.T) {
	r := newRig(t, ids(3)+` medium_array = ((0, 1), (2)); };`, addr(0), addr(1), addr(2))
	r.broadcast(0)
	r.broadcast(2)
	if r.ports[1].n.Load() != 1 || r.ports[2].n.Load() != 0 || r.ports[0].n.Load() != 0 {
		t.Errorf("deliveries %d %d %d, want 0 1 0", r.ports[0].n.Load(), r.ports[1].n.Load(), r.ports[2].n.Load())
	}
}

func TestUpdatesChangeTheLinks(t *testing.T) {
	cfg := ids(2) + ` }; model : { type = "path_loss"; positions = ((0.0, 0.0), (10.0, 0.0));
		tx_powers = (20.0, 20.0); model_name = "log_distance"; path_loss_exp = 3.0; xg = 0.0; };`
	r := newRig(t, cfg, addr(0), addr(1))
	parsed, _ := wmediumd.Parse("x", []byte(cfg))
	model := NewModel(parsed)
	r.m.SetPairModel(model)
	s := &Server{Model: model, Changed: r.m.PairModelChanged}
	want := func(d float64) int32 {
		return int32(math.Round(20 - wmediumd.LogDistanceLossDB(d, wmediumd.DefaultFreqHz, 3, 0)))
	}
	r.broadcast(0)
	if got := r.ports[1].signal.Load(); got != want(10) {
		t.Fatalf("signal at 10 m = %d, want %d", got, want(10))
	}
	req := Request{Type: MsgPosUpdate, From: addr(0), X: -90}
	if res, _ := s.Apply(&req); res != Success {
		t.Fatalf("POS_UPDATE: %v", res)
	}
	r.broadcast(0)
	if got := r.ports[1].signal.Load(); got != want(100) {
		t.Errorf("signal at 100 m = %d, want %d", got, want(100))
	}
	req = Request{Type: MsgTxPowerUpdate, From: addr(0), Int: 10}
	s.Apply(&req)
	r.broadcast(0)
	if got := r.ports[1].signal.Load(); got != want(100)-10 {
		t.Errorf("signal after TXPOWER 10 = %d, want %d", got, want(100)-10)
	}
	for _, c := range []struct {
		req  Request
		want Result
	}{
		{Request{Type: MsgPosUpdate, From: addr(7)}, NotFound},
		{Request{Type: MsgErrProbUpdate, From: addr(0), To: addr(1), Prob: 0.5}, WrongMode},
		{Request{Type: MsgAdd, From: addr(0)}, Duplicate},
		{Request{Type: MsgGaussianRandom, From: addr(1), Z: 3}, Success},
		{Request{Type: MsgDelByID, Int: 5}, NotFound},
	} {
		if got, _ := s.Apply(&c.req); got != c.want {
			t.Errorf("%s: %v, want %v", c.req.Type, got, c.want)
		}
	}
}

func TestAddAndDeleteStations(t *testing.T) {
	parsed, err := wmediumd.Parse("x", []byte(ids(2)+` }; model : { type = "prob"; default_prob = 0.25; links = ((0, 1, 0.5)); };`))
	if err != nil {
		t.Fatal(err)
	}
	m := NewModel(parsed)
	i, res := m.Add(addr(5))
	if res != Success || i != 2 {
		t.Fatalf("Add: %d %v", i, res)
	}
	if p := parsed.LossProb[0*3+1]; p != 0.5 {
		t.Errorf("after Add, 0→1 loss = %v, want 0.5 kept", p)
	}
	if res := m.DelByMAC(addr(0)); res != Success {
		t.Fatal(res)
	}
	if parsed.N() != 2 || parsed.IDs[0] != wmediumd.MAC(addr(1)) || parsed.IDs[1] != wmediumd.MAC(addr(5)) {
		t.Fatalf("after delete: %v", parsed.IDs)
	}
	if res := m.SetLossProb(addr(1), addr(5), 0.75); res != Success || parsed.LossProb[1] != 0.75 {
		t.Errorf("SetLossProb after reshaping: %v %v", res, parsed.LossProb)
	}
}
