// SPDX-License-Identifier: MIT

package hwsim

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

// mrr is a 4-stage chain at 2.4 GHz: 54 (idx 11), 36 (9), 12 (6) Mbit/s
// OFDM and 1 Mbit/s DSSS (0), two attempts each.
var mrr = [8]byte{11, 2, 9, 2, 6, 2, 0, 2}

func airFrameMsg(flags uint32, cookie uint64, txInfo [8]byte) netlink.Message {
	return frameMsg(txSpec{tx: HwAddr(0), frame: dataFrame(VifAddr(1), VifAddr(0)), flags: flags, cookie: cookie, txInfo: txInfo})
}

// signalWhere finds a signal (dBm, 0.25 dB steps) at which ok holds for
// the default error model's compiled link.
func signalWhere(t *testing.T, noise *float64, ok func(l *air.Link) bool) float64 {
	t.Helper()
	md, err := air.NewModel(air.ModelConfig{NoiseFloorDBm: noise})
	if err != nil {
		t.Fatal(err)
	}
	for s := -89.75; s < -20; s += 0.25 {
		l := md.CompileLink(s)
		if ok(&l) {
			return s
		}
	}
	t.Fatal("no signal satisfies the condition")
	return 0
}

var noisy = -85.0

func lg(r air.LegacyRate) air.Mode { return air.Legacy(r) }

// The TX_INFO the kernel gets back under errors per: the attempts of each
// stage as the walk used them, STAT_ACK, and RX_RATE of the stage that
// delivered (golden cases: success in stage 0, 2 and 3, failure, NO_ACK).
func TestAirTxInfoGolden(t *testing.T) {
	clear := func(l *air.Link, md air.Mode) bool { return l.Class(md) == air.Clear }
	dead := func(l *air.Link, md air.Mode) bool { return l.Class(md) == air.Dead }
	ackOK := func(l *air.Link) bool {
		return clear(l, lg(air.Rate1)) && clear(l, lg(air.Rate6)) && clear(l, lg(air.Rate12))
	}
	for _, c := range []struct {
		name    string
		signal  func(t *testing.T) float64
		loss    float64
		flags   uint32
		acked   bool
		txInfo  [8]byte
		rxRate  uint32
		deliver bool
	}{
		{"stage 0", func(t *testing.T) float64 { return -40 }, 0, TxCtlReqTxStatus, true, [8]byte{11, 1, 0xff, 0, 0xff, 0, 0xff, 0}, 11, true},
		{"stage 2", func(t *testing.T) float64 {
			return signalWhere(t, nil, func(l *air.Link) bool {
				return dead(l, lg(air.Rate54)) && dead(l, lg(air.Rate36)) && clear(l, lg(air.Rate12)) && ackOK(l)
			})
		}, 0, TxCtlReqTxStatus, true, [8]byte{11, 2, 9, 2, 6, 1, 0xff, 0}, 6, true},
		{"stage 3", func(t *testing.T) float64 {
			return signalWhere(t, &noisy, func(l *air.Link) bool {
				return dead(l, lg(air.Rate12)) && clear(l, lg(air.Rate1))
			})
		}, 0, TxCtlReqTxStatus, true, [8]byte{11, 2, 9, 2, 6, 2, 0, 1}, 0, true},
		{"failure", func(t *testing.T) float64 { return -40 }, 1, TxCtlReqTxStatus, false, [8]byte{11, 2, 9, 2, 6, 2, 0, 2}, 0, false},
		{"no ack", func(t *testing.T) float64 { return -40 }, 0, TxCtlReqTxStatus | TxCtlNoAck, false, [8]byte{11, 1, 0xff, 0, 0xff, 0, 0xff, 0}, 11, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, b, k := lab(t)
			cfg := medium.AirConfig{Errors: medium.ErrorsPER}
			if c.name == "stage 3" {
				// 12 Mbit/s dead and 1 Mbit/s clear only meet near 0.5 dB
				// SNR: below the −90 dBm sensitivity at the default noise.
				cfg.NoiseFloorDBm = &noisy
			}
			if err := m.SetAir(cfg); err != nil {
				t.Fatal(err)
			}
			s := c.signal(t)
			rev := -45.0
			if err := m.SetLink("vw0", "vw1", &s, &c.loss); err != nil {
				t.Fatal(err)
			}
			if err := m.SetLink("vw1", "vw0", &rev, nil); err != nil {
				t.Fatal(err)
			}
			out := oneBatch(t, b, k, airFrameMsg(c.flags, 5, mrr))
			ti := out[len(out)-1]
			checkTxInfo(t, ti, 5, c.acked, c.txInfo)
			if c.acked {
				if got := int32(ti.u32(AttrSignal)); got != -45 {
					t.Errorf("ACK SIGNAL %d, want the reverse link's -45", got)
				}
			}
			if !c.deliver {
				if len(out) != 1 {
					t.Fatalf("a failed frame was injected: %+v", out)
				}
				return
			}
			if len(out) != 2 || out[0].cmd != CmdFrame {
				t.Fatalf("batch %+v, want one injection and the TX status", out)
			}
			if got := out[0].u32(AttrRxRate); got != c.rxRate {
				t.Errorf("RX_RATE %d, want %d (the delivering stage's)", got, c.rxRate)
			}
		})
	}
}

// HT MCS chains decode through TX_INFO_FLAGS: an MCS 7 stage dead at this
// SNR falls back to MCS 0, reported as the legacy 6 Mbit/s RX rate (index
// 4 at 2.4 GHz), and TX_INFO keeps the kernel's MCS indices.
func TestAirTxInfoHTChain(t *testing.T) {
	m, b, k := lab(t)
	if err := m.SetAir(medium.AirConfig{Errors: medium.ErrorsPER}); err != nil {
		t.Fatal(err)
	}
	s := signalWhere(t, nil, func(l *air.Link) bool {
		return l.Class(air.HT(7, air.Width20, false)) == air.Dead && l.Class(air.HT(0, air.Width20, false)) == air.Clear &&
			l.Class(air.Legacy(air.Rate6)) == air.Clear
	})
	m.SetLink("vw0", "vw1", &s, nil)
	m.SetLink("vw1", "vw0", &s, nil)
	flags := make([]byte, 12)
	for i, idx := range []int8{7, 0} {
		flags[3*i] = byte(idx)
		binary.NativeEndian.PutUint16(flags[3*i+1:], air.RateFlagMCS)
	}
	flags[6], flags[9] = 0xff, 0xff
	msg := kernelMsg(CmdFrame, func(ae *netlink.AttributeEncoder) {
		ae.Bytes(AttrAddrTransmitter, mac(HwAddr(0)))
		ae.Bytes(AttrFrame, dataFrame(VifAddr(1), VifAddr(0)))
		ae.Uint32(AttrFlags, TxCtlReqTxStatus)
		ae.Uint32(AttrFreq, 2437)
		ae.Bytes(AttrTxInfo, []byte{7, 3, 0, 3, 0xff, 0, 0xff, 0})
		ae.Bytes(AttrTxInfoFlags, flags)
		ae.Uint64(AttrCookie, 9)
	})
	out := oneBatch(t, b, k, msg)
	checkTxInfo(t, out[len(out)-1], 9, true, [8]byte{7, 3, 0, 1, 0xff, 0, 0xff, 0})
	if got := out[0].u32(AttrRxRate); got != 4 {
		t.Errorf("RX_RATE %d, want 4 (6 Mbit/s, MCS 0's non-HT reference)", got)
	}
}

// Under airtime timed the TX status comes when the exchange ends on the
// air, after the injection.
func TestAirTimedTxStatusLater(t *testing.T) {
	m, b, k := lab(t)
	if err := m.SetAir(medium.AirConfig{Errors: medium.ErrorsPER, Airtime: medium.AirtimeTimed}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	feed(t, b, airFrameMsg(TxCtlReqTxStatus, 11, [8]byte{4, 4, 0xff, 0, 0xff, 0, 0xff, 0}))
	var got []decoded
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && (len(got) == 0 || got[len(got)-1].cmd != CmdTxInfoFrame) {
		for _, batch := range k.take() {
			for _, gm := range batch {
				got = append(got, decode(t, gm))
			}
		}
		time.Sleep(time.Millisecond)
	}
	if len(got) != 2 || got[0].cmd != CmdFrame || got[1].cmd != CmdTxInfoFrame {
		t.Fatalf("messages %+v, want the injection then the TX status", got)
	}
	checkTxInfo(t, got[1], 11, true, [8]byte{4, 1, 0xff, 0, 0xff, 0, 0xff, 0})
}
