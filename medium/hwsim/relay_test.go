// SPDX-License-Identifier: MIT

package hwsim

import (
	"bytes"
	"testing"

	"github.com/vmedium/vmedium/medium"
)

// TestRelayMode: with a Relay, a served radio's frame goes to it (nothing
// sent to the kernel, nothing on the local medium), TxStatus answers it as
// given and Inject delivers; an unknown radio's frame is still answered at
// once.
func TestRelayMode(t *testing.T) {
	m := medium.New(medium.Options{Seed: 1})
	var got []RelayedFrame
	k, c := newFakeKernel(t)
	b, err := k.open(m, c, Options{Relay: func(f *RelayedFrame) {
		cp := *f
		cp.Frame = append([]byte(nil), f.Frame...)
		got = append(got, cp)
	}}, config{})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"vw0", "vw1"} {
		if _, err := b.Attach(i, name, HwAddr(i), VifAddr(i)); err != nil {
			t.Fatal(err)
		}
	}
	frame := dataFrame(VifAddr(1), VifAddr(0))
	feed(t, b, frameMsg(txSpec{tx: HwAddr(0), frame: frame, flags: TxCtlReqTxStatus, cookie: 9, txInfo: chain}))
	if bs := k.take(); len(bs) != 0 {
		t.Fatalf("relayed frame sent %d batches to the kernel, want none", len(bs))
	}
	if len(got) != 1 || got[0].Cookie != 9 || got[0].Transmitter != HwAddr(0) || got[0].TxInfo != chain ||
		got[0].Freq != 2437 || !bytes.Equal(got[0].Frame, frame) {
		t.Fatalf("relayed %+v", got)
	}
	if r, _ := m.Radio("vw1"); r.Stats().RxFrames != 0 {
		t.Fatal("the local medium carried a relayed frame")
	}
	used := [8]byte{0, 3, 2, 1, 0xff, 0, 0xff, 0}
	if err := b.TxStatus(HwAddr(0), 9, TxCtlReqTxStatus, -50, &used); err != nil {
		t.Fatal(err)
	}
	bs := k.take()
	if len(bs) != 1 || len(bs[0]) != 1 {
		t.Fatalf("TxStatus: %d batches", len(bs))
	}
	checkTxInfo(t, decode(t, bs[0][0]), 9, false, used)
	if err := b.Inject(HwAddr(1), frame, medium.RxInfo{SignalDBm: -44, FreqMHz: 2437, RateIdx: 3}); err != nil {
		t.Fatal(err)
	}
	bs = k.take()
	inj := decode(t, bs[0][0])
	if inj.cmd != CmdFrame || !bytes.Equal(inj.attrs[AttrAddrReceiver], mac(HwAddr(1))) || int32(inj.u32(AttrSignal)) != -44 {
		t.Fatalf("injection %+v", inj)
	}
	out := oneBatch(t, b, k, frameMsg(txSpec{tx: HwAddr(7), frame: frame, flags: TxCtlReqTxStatus, cookie: 10, txInfo: chain}))
	checkTxInfo(t, out[0], 10, false, chain)
	if len(got) != 1 {
		t.Fatal("an unknown radio's frame was relayed")
	}
}
