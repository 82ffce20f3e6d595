// SPDX-License-Identifier: MIT

package contention

import (
	"math"
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/air"
)

// saturator keeps every listed station's queue full and counts what
// arrives where.
type saturator struct {
	d         *Domain
	jobs      map[int]Job // per source: the frame to repeat
	delivered map[int]int // per source: frames delivered
	acked     map[int]int
	attempts  map[int]int
	sent      map[int]int
}

func newSaturator() *saturator {
	return &saturator{jobs: map[int]Job{}, delivered: map[int]int{}, acked: map[int]int{}, attempts: map[int]int{}, sent: map[int]int{}}
}

func (s *saturator) Deliver(j *Job, rx int, md air.Mode, sig float64, at time.Duration) {
	s.delivered[j.Src]++
}

func (s *saturator) Done(j *Job, o *air.Outcome, at time.Duration) {
	s.sent[j.Src]++
	s.attempts[j.Src] += o.Total()
	if o.Acked {
		s.acked[j.Src]++
	}
	s.d.Enqueue(s.jobs[j.Src], at)
}

func (s *saturator) start(src int, j Job) {
	s.jobs[src] = j
	s.d.Enqueue(j, 0)
}

func matrix(n int, v float64) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		for j := range m[i] {
			m[i][j] = v
		}
	}
	return m
}

func model(t testing.TB) *air.Model {
	m, err := air.NewModel(air.ModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func chain(md air.Mode, count uint8, p air.Protection) air.Chain {
	return air.Chain{Stages: [air.MaxStages]air.Stage{{Mode: md, Count: count, Protection: p}}, N: 1}
}

func goodput(frames int, length int, d time.Duration) float64 {
	return float64(frames*length*8) / d.Seconds() / 1e6
}

const simTime = 3 * time.Second

// A saturated link reproduces the oracle goodputs of 1500 B frames (one
// sender, no RTS, DCF, random backoff).
func TestSaturatedLinkGoodput(t *testing.T) {
	cases := []struct {
		name   string
		timing air.Timing
		md     air.Mode
		want   float64
	}{
		{"11a 54 Mbit/s", air.Timing11a, air.Legacy(air.Rate54), 30.8},
		{"11a 6 Mbit/s", air.Timing11a, air.Legacy(air.Rate6), 5.5},
		{"11b 11 Mbit/s long preamble", air.Timing11b, air.Legacy(air.Rate11), 6.1},
	}
	for _, c := range cases {
		h := newSaturator()
		d, err := New(Config{Model: model(t), Timing: c.timing, SignalDBm: matrix(2, -40), Seed: 1}, h)
		if err != nil {
			t.Fatal(err)
		}
		h.d = d
		h.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(c.md, 7, air.ProtectNone), AC: air.ACLegacy})
		d.RunUntil(simTime)
		got := goodput(h.delivered[0], 1500, simTime)
		t.Logf("%s: %.2f Mbit/s (oracle %.1f)", c.name, got, c.want)
		if math.Abs(got-c.want)/c.want > 0.05 {
			t.Errorf("%s: %.2f Mbit/s, oracle %.1f ±5 %%", c.name, got, c.want)
		}
		if h.attempts[0] != h.sent[0] {
			t.Errorf("%s: %d attempts for %d frames on a clean link", c.name, h.attempts[0], h.sent[0])
		}
		if b := d.Counters().BusyNs.Load(); b <= 0 || time.Duration(b) > simTime {
			t.Errorf("busy time %v", time.Duration(b))
		}
	}
}

// Two stations that hear each other share the channel about equally, and
// together get what one gets alone.
func TestTwoContendersShare(t *testing.T) {
	md := air.Legacy(air.Rate54)
	single := func() float64 {
		h := newSaturator()
		d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -40), Seed: 2}, h)
		h.d = d
		h.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
		d.RunUntil(simTime)
		return goodput(h.delivered[0], 1500, simTime)
	}()
	h := newSaturator()
	d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(3, -40), Seed: 3}, h)
	h.d = d
	h.start(0, Job{Src: 0, Dst: 2, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
	h.start(1, Job{Src: 1, Dst: 2, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
	d.RunUntil(simTime)
	a, b := goodput(h.delivered[0], 1500, simTime), goodput(h.delivered[1], 1500, simTime)
	t.Logf("single %.2f; two: %.2f + %.2f = %.2f Mbit/s; collisions %d", single, a, b, a+b, d.Counters().Collisions.Load())
	if math.Abs(a-b)/math.Max(a, b) > 0.10 {
		t.Errorf("unfair share: %.2f vs %.2f", a, b)
	}
	if math.Abs(a+b-single)/single > 0.05 {
		t.Errorf("sum %.2f vs single %.2f", a+b, single)
	}
	if d.Counters().Collisions.Load() == 0 {
		t.Error("two contenders never collided: backoff not random?")
	}
}

// hidden builds A(0) → B(1) ← C(2) where A and C cannot hear each other.
func hidden() [][]float64 {
	m := matrix(3, -50)
	m[0][2], m[2][0] = -95, -95
	return m
}

// A hidden pair loses most frames at the shared receiver; RTS/CTS wins
// most of it back.
func TestHiddenTerminalAndRTS(t *testing.T) {
	// 6 Mbit/s: a 1500 B frame is 2 ms on air, long against the backoff
	// window, as in the classic hidden-terminal setting.
	md := air.Legacy(air.Rate6)
	run := func(p air.Protection) (float64, float64, uint64) {
		h := newSaturator()
		d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: hidden(), Seed: 4}, h)
		h.d = d
		h.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 7, p), AC: air.ACLegacy})
		h.start(2, Job{Src: 2, Dst: 1, Len: 1500, Chain: chain(md, 7, p), AC: air.ACLegacy})
		d.RunUntil(simTime)
		tot := h.delivered[0] + h.delivered[2]
		att := h.attempts[0] + h.attempts[2]
		return goodput(tot, 1500, simTime), 1 - float64(tot)/float64(att), d.Counters().Collisions.Load()
	}
	g0, loss0, col0 := run(air.ProtectNone)
	g1, loss1, col1 := run(air.ProtectRTSCTS)
	t.Logf("no RTS: %.2f Mbit/s, %.0f %% attempts lost, %d collisions; RTS/CTS: %.2f Mbit/s, %.0f %% lost, %d collisions",
		g0, 100*loss0, col0, g1, 100*loss1, col1)
	if loss0 < 0.5 {
		t.Errorf("hidden pair without RTS lost only %.0f %% of attempts", 100*loss0)
	}
	// What the pair could carry at best: one sender alone, with RTS/CTS.
	h1 := newSaturator()
	d1, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -50), Seed: 4}, h1)
	h1.d = d1
	h1.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 7, air.ProtectRTSCTS), AC: air.ACLegacy})
	d1.RunUntil(simTime)
	best := goodput(h1.delivered[0], 1500, simTime)
	recovered := (g1 - g0) / (best - g0)
	t.Logf("one sender with RTS/CTS: %.2f Mbit/s; RTS/CTS recovers %.0f %% of the hidden-terminal loss", best, 100*recovered)
	if loss1 > 0.25 || recovered < 0.75 {
		t.Errorf("RTS/CTS did not recover: %.0f %% of attempts lost, %.2f Mbit/s vs %.2f without and %.2f at best",
			100*loss1, g1, g0, best)
	}
	// The same three stations all in range: no hidden-terminal loss.
	h := newSaturator()
	d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(3, -50), Seed: 4}, h)
	h.d = d
	h.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
	h.start(2, Job{Src: 2, Dst: 1, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
	d.RunUntil(simTime)
	tot, att := h.delivered[0]+h.delivered[2], h.attempts[0]+h.attempts[2]
	if l := 1 - float64(tot)/float64(att); l > 0.15 {
		t.Errorf("in-range pair lost %.0f %% of attempts", 100*l)
	}
}

// A group frame is sent once and judged per receiver.
func TestGroupFrame(t *testing.T) {
	sig := matrix(4, -50)
	sig[0][3] = -110 // station 3 cannot receive station 0
	rec := &recorder{}
	got := map[int]bool{}
	h := &groupRec{recorder: rec, got: got}
	d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: sig, Seed: 1}, h)
	d.Enqueue(Job{Src: 0, Dst: -1, Len: 200, Chain: chain(air.Legacy(air.Rate6), 4, air.ProtectNone), NoAck: true}, 0)
	d.RunUntil(time.Second)
	if !got[1] || !got[2] || got[3] || got[0] {
		t.Errorf("group receivers %v", got)
	}
	if len(rec.done) != 1 || h.o.Total() != 1 || h.o.Acked {
		t.Errorf("group outcome %+v, %d done", h.o, len(rec.done))
	}
}

type groupRec struct {
	*recorder
	got map[int]bool
	o   air.Outcome
}

func (g *groupRec) Deliver(j *Job, rx int, md air.Mode, sig float64, at time.Duration) {
	g.got[rx] = true
}
func (g *groupRec) Done(j *Job, o *air.Outcome, at time.Duration) {
	g.o = *o
	g.recorder.Done(j, o, at)
}

// Voice (AIFSN 2, CW 3–7) gets far more of a saturated channel than
// background (AIFSN 7, CW 15–1023).
func TestEDCAPriority(t *testing.T) {
	h := newSaturator()
	d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(3, -40), Seed: 6}, h)
	h.d = d
	md := air.Legacy(air.Rate54)
	h.start(0, Job{Src: 0, Dst: 2, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACVoice})
	h.start(1, Job{Src: 1, Dst: 2, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACBackground})
	d.RunUntil(simTime)
	if vo, bk := h.delivered[0], h.delivered[1]; vo < 4*bk {
		t.Errorf("voice %d frames vs background %d", vo, bk)
	}
}

func TestQueueLimitAndReproducible(t *testing.T) {
	rec := &recorder{}
	d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -40), QueueLimit: 3}, rec)
	j := Job{Src: 0, Dst: 1, Len: 100, Chain: chain(air.Legacy(air.Rate6), 1, air.ProtectNone)}
	for i := range 5 {
		if ok := d.Enqueue(j, 0); ok != (i < 3) {
			t.Errorf("enqueue %d: %v", i, ok)
		}
	}
	if d.Counters().Dropped.Load() != 2 || d.Queued(0) != 3 {
		t.Errorf("dropped %d queued %d", d.Counters().Dropped.Load(), d.Queued(0))
	}
	bad := []Job{{Src: 7, Dst: 1, Chain: j.Chain}, {Src: 0, Dst: 1}, {Src: 1, Dst: 1, Chain: j.Chain},
		{Src: 1, Dst: 0, Chain: air.Chain{Stages: [4]air.Stage{{Mode: air.Legacy(air.Rate6)}}, N: 1}},
		{Src: 1, Dst: 0, Chain: chain(air.HT(40, air.Width20, false), 1, air.ProtectNone)},
		{Src: 1, Dst: 0, Chain: air.Chain{N: 9}}}
	for _, b := range bad {
		if d.Enqueue(b, 0) {
			t.Errorf("bad job accepted: %+v", b)
		}
	}
	run := func() []time.Duration {
		r := &recorder{}
		d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: hidden(), Seed: 42}, r)
		for range 20 {
			d.Enqueue(Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(air.Legacy(air.Rate24), 4, air.ProtectNone)}, 0)
			d.Enqueue(Job{Src: 2, Dst: 1, Len: 1500, Chain: chain(air.Legacy(air.Rate24), 4, air.ProtectNone)}, 0)
		}
		d.RunUntil(time.Second)
		return r.done
	}
	a, b := run(), run()
	if len(a) != 40 || len(a) != len(b) {
		t.Fatalf("%d and %d frames done", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different timeline")
		}
	}
}

// A grey link costs retries and goodput: the PER model drives the domain.
func TestGreyLinkRetries(t *testing.T) {
	m := model(t)
	md := air.Legacy(air.Rate54)
	// The signal at which 1500 B at 54 Mbit/s fails half the time.
	lo, hi := -100.0, -40.0
	for range 60 {
		mid := (lo + hi) / 2
		if m.PER(md, mid, 1500) > 0.5 {
			lo = mid
		} else {
			hi = mid
		}
	}
	h := newSaturator()
	d, _ := New(Config{Model: m, Timing: air.Timing11a, SignalDBm: matrix(2, lo), Seed: 8}, h)
	h.d = d
	h.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 7, air.ProtectNone), AC: air.ACLegacy})
	d.RunUntil(simTime)
	per := 1 - float64(h.delivered[0])/float64(h.attempts[0])
	g := goodput(h.delivered[0], 1500, simTime)
	t.Logf("PER 0.5 link: %.2f Mbit/s, attempt loss %.3f, busy ratio %.2f", g, per, d.Counters().BusyRatio())
	if per < 0.45 || per > 0.55 {
		t.Errorf("attempt loss %.3f on a PER 0.5 link", per)
	}
	if g > 0.6*30.8 {
		t.Errorf("goodput %.2f on a PER 0.5 link", g)
	}
	if r := d.Counters().BusyRatio(); r < 0.2 || r > 1 {
		t.Errorf("busy ratio %.2f", r)
	}
}

// Protection costs exactly its frames: a saturated 54 Mbit/s link with
// CTS-to-self pays CTS (24 Mbit/s, 28 µs) + SIFS per frame, with RTS/CTS
// RTS + SIFS + CTS + SIFS (88 µs): mean cycle DIFS 34 + 7.5 slots + that
// + 244 + SIFS + ACK 28.
func TestProtectionAirtime(t *testing.T) {
	md := air.Legacy(air.Rate54)
	for _, c := range []struct {
		p     air.Protection
		extra float64 // µs per frame
	}{{air.ProtectNone, 0}, {air.ProtectCTSToSelf, 44}, {air.ProtectRTSCTS, 88}} {
		h := newSaturator()
		d, _ := New(Config{Model: model(t), Timing: air.Timing11a, SignalDBm: matrix(2, -40), Seed: 9}, h)
		h.d = d
		h.start(0, Job{Src: 0, Dst: 1, Len: 1500, Chain: chain(md, 7, c.p), AC: air.ACLegacy})
		d.RunUntil(simTime)
		got := goodput(h.delivered[0], 1500, simTime)
		want := 12000 / (34 + 7.5*9 + c.extra + 244 + 16 + 28)
		t.Logf("protection %d: %.2f Mbit/s, expected %.2f", c.p, got, want)
		if math.Abs(got-want)/want > 0.02 {
			t.Errorf("protection %d: %.2f Mbit/s, want %.2f ±2 %%", c.p, got, want)
		}
	}
}
