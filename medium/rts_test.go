// SPDX-License-Identifier: MIT

package medium

import (
	"testing"
	"time"

	"github.com/vmedium/vmedium/medium/air"
)

// A radio whose MAC gives no rate chain sends unicast frames above its RTS
// threshold behind RTS/CTS: the exchange costs exactly RTS + SIFS + CTS +
// SIFS more air than without; frames at or below the threshold, and
// radios without one, pay nothing extra.
func TestRTSThresholdProtectsLongFramesOfGoMACs(t *testing.T) {
	tm := air.DefaultTiming(2437)
	// charge returns the airtime of one frame of size bytes and the
	// RTS/CTS overhead at the control rate of the rate it went at.
	charge := func(threshold, size int) (time.Duration, time.Duration) {
		tn := newNet(t, 2)
		setAir(t, tn.m, ErrorsPER, AirtimeAccount)
		tn.m.SetLink("vw0", "vw1", sig(-40), nil)
		tn.m.SetLink("vw1", "vw0", sig(-40), nil)
		if err := tn.radios[0].SetRTSThreshold(threshold); err != nil {
			t.Fatal(err)
		}
		f := dataFrame(true, false, mac(1), mac(0), mac(1))
		f = append(f, make([]byte, size-4-len(f))...)
		if res := tn.radios[0].Transmit(f, TxOptions{MaxAttempts: 4}); !res.Acked || res.Attempts != 1 {
			t.Fatalf("threshold %d, %d B: %+v", threshold, size, res)
		}
		md := air.Legacy(air.LegacyRate(tn.recs[1].infos[0].RateIdx))
		return time.Duration(tn.radios[0].airc.airtimeNs.Load()),
			tm.ExchangeFor(md, size, air.ProtectRTSCTS, true, air.DefaultBasicRates).Protect
	}
	for _, c := range []struct {
		threshold, size int
		protected       bool
	}{
		{500, 1504, true},
		{500, 500, false},
		{500, 501, true},
		{0, 100, true},
		{-1, 2304, false},
	} {
		off, rtsCts := charge(-1, c.size)
		on, _ := charge(c.threshold, c.size)
		want := off
		if c.protected {
			want += rtsCts
		}
		if on != want || rtsCts == 0 {
			t.Errorf("threshold %d, %d B frame: airtime %v, want %v (unprotected %v, RTS/CTS %v)", c.threshold, c.size, on, want, off, rtsCts)
		}
	}
}

func TestRTSThresholdBounds(t *testing.T) {
	tn := newNet(t, 1)
	r := tn.radios[0]
	if r.RTSThreshold() != -1 {
		t.Fatalf("a new radio's RTS threshold is %d, want −1 (off)", r.RTSThreshold())
	}
	if err := r.SetRTSThreshold(700); err != nil || r.RTSThreshold() != 700 {
		t.Fatalf("set 700: %v, threshold %d", err, r.RTSThreshold())
	}
	if err := r.SetRTSThreshold(MaxRTSThreshold + 1); err == nil || !IsBadInput(err) || r.RTSThreshold() != 700 {
		t.Fatalf("set %d: err %v, threshold %d: want a bad-input error and 700 kept", MaxRTSThreshold+1, err, r.RTSThreshold())
	}
	if err := r.SetRTSThreshold(-5); err != nil || r.RTSThreshold() != -1 {
		t.Fatalf("set −5: %v, threshold %d, want off", err, r.RTSThreshold())
	}
	n := MaxRTSThreshold + 1
	if _, err := tn.m.AddRadio(RadioConfig{Name: "vw9", Kind: KindLocal, Addr: mac(9), FreqMHz: 2437, RTSThreshold: &n}, &recorder{}); err == nil {
		t.Fatal("AddRadio with RTS threshold 2348 accepted")
	}
}
