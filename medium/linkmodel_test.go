// SPDX-License-Identifier: MIT

package medium

import (
	"testing"

	"github.com/vmedium/vmedium/frames"
)

// fixedModel gives every pair the same decision, and unheard to radio c.
type fixedModel struct{ l PairLink }

func (f fixedModel) Pair(tx, rx PairEnd) (PairLink, bool) {
	if tx.Name == "c" || rx.Name == "c" {
		return PairLink{SignalDBm: -91, Unheard: true}, true
	}
	return f.l, true
}

func TestPairModelDecidesAndExplicitLinksWin(t *testing.T) {
	m := New(Options{Seed: 3})
	ra, rb, rc := &recorder{}, &recorder{}, &recorder{}
	a, _ := m.AddRadio(RadioConfig{Name: "a", Addr: mac(1)}, ra)
	m.AddRadio(RadioConfig{Name: "b", Addr: mac(2)}, rb)
	m.AddRadio(RadioConfig{Name: "c", Addr: mac(3)}, rc)
	m.SetPairModel(fixedModel{PairLink{SignalDBm: -70, Loss: 1, FrameLoss: true}})

	res := a.Transmit(dataFrame(false, false, mac(2), mac(1), mac(1)), TxOptions{MaxAttempts: 4})
	if res.Acked || res.Attempts != 4 || rb.count() != 0 {
		t.Fatalf("loss 1 per frame: %+v, delivered %d", res, rb.count())
	}
	for _, l := range m.Links() {
		if l.Src == "a" && l.Dst == "b" && (l.Source != SourceModel || l.SignalDBm != -70 || l.Loss != 1) {
			t.Errorf("links a→b: %+v", l)
		}
		if l.Dst == "c" && l.InRange {
			t.Errorf("links %s→c heard, want unheard: %+v", l.Src, l)
		}
	}
	loss := 0.0
	if err := m.SetLink("a", "b", nil, &loss); err != nil {
		t.Fatal(err)
	}
	res = a.Transmit(dataFrame(false, false, mac(2), mac(1), mac(1)), TxOptions{MaxAttempts: 4})
	if !res.Acked || res.Attempts != 1 || rb.infos[0].SignalDBm != -70 {
		t.Errorf("explicit loss 0 over the model: %+v", res)
	}
	a.Transmit(dataFrame(false, false, frames.Broadcast, mac(1), mac(1)), TxOptions{NoAck: true})
	if rc.count() != 0 {
		t.Errorf("unheard radio c received %d frames", rc.count())
	}
	m.SetPairModel(nil)
	for _, l := range m.Links() {
		if l.Source == SourceModel {
			t.Errorf("model removed, still %+v", l)
		}
	}
}
