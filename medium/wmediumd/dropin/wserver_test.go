// SPDX-License-Identifier: MIT

package dropin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/wmediumd"
)

// Request bytes as mininet-wifi's struct.pack('!B6s6si', ...) lays them out.
func TestDecodeSNRUpdateWireBytes(t *testing.T) {
	b := []byte{1, 2, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xf6}
	req, n, err := DecodeRequest(b)
	if err != nil || n != 17 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	if req.Type != MsgSNRUpdate || req.From != (frames.MAC{2, 0, 0, 0, 0, 0}) || req.To != (frames.MAC{2, 0, 0, 0, 1, 0}) || req.Int != -10 {
		t.Errorf("decoded %+v", req)
	}
	out := AppendResponse(nil, &req, NotFound, 0)
	want := append(append([]byte{2}, b...), 1)
	if !bytes.Equal(out, want) || len(out) != ResponseLen(MsgSNRUpdate) {
		t.Errorf("response % x, want % x", out, want)
	}
}

// Position update as struct.pack('!B6sfff', 13, mac, 1.5, -2, 100).
func TestDecodePosUpdate(t *testing.T) {
	b := []byte{13, 2, 0, 0, 0, 0, 0}
	for _, f := range []float32{1.5, -2, 100} {
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(f))
	}
	req, n, err := DecodeRequest(b)
	if err != nil || n != len(b) || req.X != 1.5 || req.Y != -2 || req.Z != 100 {
		t.Fatalf("%+v n=%d err=%v", req, n, err)
	}
}

func TestRoundTripEveryType(t *testing.T) {
	for _, typ := range []MsgType{MsgSNRUpdate, MsgDelByMAC, MsgDelByID, MsgAdd, MsgErrProbUpdate, MsgSpecProbUpdate,
		MsgPosUpdate, MsgTxPowerUpdate, MsgGainUpdate, MsgHeightUpdate, MsgGaussianRandom, MsgMediumUpdate} {
		in := Request{Type: typ, From: addr(1), To: addr(2), Int: -7, Prob: 0.25, X: 1, Y: 2, Z: 3}
		b := AppendRequest(nil, &in)
		if l, _ := RequestLen(b[0]); l != len(b) {
			t.Errorf("%s: encoded %d bytes, RequestLen %d", typ, len(b), l)
		}
		// every prefix is "need more", never an error
		for k := range len(b) {
			if _, n, err := DecodeRequest(b[:k]); n != 0 || err != nil {
				t.Fatalf("%s: prefix %d: n=%d err=%v", typ, k, n, err)
			}
		}
		got, n, err := DecodeRequest(b)
		if err != nil || n != len(b) {
			t.Fatalf("%s: n=%d err=%v", typ, n, err)
		}
		if typ == MsgSpecProbUpdate && got.SpecProb(143) != 0.25 {
			t.Errorf("SPECPROB entry 143 = %v", got.SpecProb(143))
		}
		if r := AppendResponse(nil, &got, Success, 3); len(r) != ResponseLen(typ) {
			t.Errorf("%s: response %d bytes, ResponseLen %d", typ, len(r), ResponseLen(typ))
		}
	}
}

// The fork's C decoder and mininet-wifi's Python encoder disagree; both
// encodings of a probability read back as that probability.
func TestDecodeProbBothEncodings(t *testing.T) {
	py := func(d float64) uint32 { // int(d)<<31 + int(frac·c_int32(1<<31))
		before := int64(d)
		after := int64((d - float64(before)) * -2147483648)
		return uint32(int32(before<<31) + int32(after))
	}
	for _, p := range []float64{0, 0.001, 0.25, 0.5, 0.9, 1} {
		if got := decodeProb(EncodeProb(p)); math.Abs(got-p) > 1e-9 {
			t.Errorf("C encoding of %v reads %v", p, got)
		}
		if got := decodeProb(py(p)); math.Abs(got-p) > 1e-9 {
			t.Errorf("Python encoding of %v (%#x) reads %v", p, py(p), got)
		}
	}
}

func TestUnknownTypeIsAnError(t *testing.T) {
	for _, b := range []byte{2, 24, 25, 200} {
		if _, _, err := DecodeRequest([]byte{b, 0, 0}); !errors.Is(err, ErrUnknownType) {
			t.Errorf("type %d: %v", b, err)
		}
	}
}

func TestServeConnAnswersEachRequest(t *testing.T) {
	cfg, err := wmediumd.Parse("x", []byte(ids(2)+` }; model : { type = "prob"; };`))
	if err != nil {
		t.Fatal(err)
	}
	changes := 0
	s := &Server{Model: NewModel(cfg), Changed: func() { changes++ }}
	c1, c2 := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.ServeConn(c2); c2.Close() }()
	reqs := []Request{
		{Type: MsgErrProbUpdate, From: addr(0), To: addr(1), Prob: 0.5},
		{Type: MsgAdd, From: addr(4)},
		{Type: MsgSNRUpdate, From: addr(0), To: addr(9), Int: 3},
	}
	var stream []byte
	for i := range reqs {
		stream = AppendRequest(stream, &reqs[i])
	}
	go func() { // in two pieces, split inside a request
		c1.Write(stream[:5])
		c1.Write(stream[5:])
	}()
	wantRes := []Result{Success, Success, NotFound}
	for i, r := range reqs {
		resp := make([]byte, ResponseLen(r.Type))
		if _, err := io.ReadFull(c1, resp); err != nil {
			t.Fatal(err)
		}
		if resp[0] != byte(r.Type)+1 || Result(resp[len(resp)-1]) != wantRes[i] {
			t.Errorf("response %d: % x", i, resp)
		}
		if r.Type == MsgAdd && binary.BigEndian.Uint32(resp[len(resp)-5:]) != 2 {
			t.Errorf("ADD index: % x", resp)
		}
	}
	c1.Write([]byte{byte(MsgShutdown)})
	if err := <-done; err != nil {
		t.Errorf("ServeConn: %v", err)
	}
	c1.Close()
	if cfg.LossProb[1] != 0.5 || changes != 2 {
		t.Errorf("loss %v, changes %d", cfg.LossProb, changes)
	}
}

// FuzzServeConn feeds arbitrary bytes (outside input) through the decoder
// and the model: never a panic; a malformed stream ends the connection.
func FuzzServeConn(f *testing.F) {
	f.Add(AppendRequest(nil, &Request{Type: MsgPosUpdate, From: addr(0), X: 5}))
	f.Add(AppendRequest(nil, &Request{Type: MsgDelByID, Int: 1}))
	f.Add(AppendRequest(AppendRequest(nil, &Request{Type: MsgAdd, From: addr(7)}), &Request{Type: MsgSpecProbUpdate, From: addr(7), To: addr(0), Prob: 0.3}))
	f.Add([]byte{9, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := wmediumd.Parse("x", []byte(ids(3)+` }; model : { type = "path_loss"; positions = ((0.0, 0.0), (1.0, 0.0), (2.0, 0.0));
			tx_powers = (20.0, 20.0, 20.0); model_name = "free_space"; };`))
		if err != nil {
			t.Fatal(err)
		}
		s := &Server{Model: NewModel(cfg)}
		var out bytes.Buffer
		s.ServeConn(&rw{r: bytes.NewReader(b), w: &out})
		if len(cfg.SNR) != cfg.N()*cfg.N() || len(cfg.Medium) != cfg.N() || len(cfg.PathLoss.Stations) != cfg.N() {
			t.Fatalf("model shape broken: %d stations, %d SNR, %d media", cfg.N(), len(cfg.SNR), len(cfg.Medium))
		}
	})
}

type rw struct {
	r io.Reader
	w io.Writer
}

func (x *rw) Read(p []byte) (int, error)  { return x.r.Read(p) }
func (x *rw) Write(p []byte) (int, error) { return x.w.Write(p) }
