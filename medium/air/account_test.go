// SPDX-License-Identifier: MIT

package air

import (
	"testing"
	"time"
)

func TestAirtime(t *testing.T) {
	b := DefaultBasicRates
	c := Chain{Stages: [MaxStages]Stage{{Mode: Legacy(Rate54), Count: 2}, {Mode: Legacy(Rate6), Count: 2, Protection: ProtectRTSCTS}}, N: 2}
	// First try acked: data 244 + SIFS 16 + ACK@24 28.
	o := Outcome{Attempts: [4]uint8{1}, Acked: true}
	if d := Timing11a.Airtime(b, &c, &o, 1500, true); d != 288*us {
		t.Errorf("one acked attempt: %v", d)
	}
	// Two failures at 54 (244 + timeout 16+9+25 each), then acked at 6 with
	// RTS/CTS: RTS 52 + 16 + CTS 44 + 16 + data 2024 + 16 + ACK 44.
	o = Outcome{Attempts: [4]uint8{2, 1}, Acked: true}
	want := 2*(244+50) + (52 + 16 + 44 + 16) + 2024 + 16 + 44
	if d := Timing11a.Airtime(b, &c, &o, 1500, true); d != time.Duration(want)*us {
		t.Errorf("retried: %v, want %dµs", d, want)
	}
	// Failure: all timeouts.
	o = Outcome{Attempts: [4]uint8{2, 2}}
	want = 2*(244+50) + 2*((52+16+44+16)+2024+50)
	if d := Timing11a.Airtime(b, &c, &o, 1500, true); d != time.Duration(want)*us {
		t.Errorf("failed: %v, want %dµs", d, want)
	}
	// No ACK: the data only.
	o = Outcome{Attempts: [4]uint8{1}}
	if d := Timing11a.Airtime(b, &c, &o, 1500, false); d != 244*us {
		t.Errorf("no ack: %v", d)
	}
}

func TestAccountant(t *testing.T) {
	a := NewAccountant(2, 3)
	a.Add(0, 1, 300*us)
	a.Add(0, 2, 200*us)
	a.Add(1, 0, 1*time.Millisecond)
	a.Add(5, 9, time.Hour) // ignored
	if a.ChannelAirtime(0) != 500*us || a.RadioAirtime(0) != time.Millisecond || a.RadioAirtime(2) != 200*us {
		t.Errorf("airtime %v %v %v", a.ChannelAirtime(0), a.RadioAirtime(0), a.RadioAirtime(2))
	}
	time.Sleep(2 * time.Millisecond)
	if u := a.Utilisation(1); u <= 0 || u > 0.5 {
		t.Errorf("utilisation %v", u)
	}
}
