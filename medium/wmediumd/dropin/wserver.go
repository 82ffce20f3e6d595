// SPDX-License-Identifier: MIT

package dropin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/vmedium/vmedium/frames"
)

// The runtime socket of the mininet-wifi fork of wmediumd (`-s`): a stream
// of packed, network-byte-order messages, each starting with a one-byte
// type; every request but SHUTDOWN is answered with a response whose type
// is the request's + 1, carrying the whole request back and a one-byte
// Result (ADD also the new station index). Layouts, in bytes after the
// type byte:
//
//	SNR_UPDATE       from[6] to[6] snr i32
//	DEL_BY_MAC       addr[6]
//	DEL_BY_ID        id i32
//	ADD              addr[6]
//	ERRPROB_UPDATE   from[6] to[6] prob u32 (fixed point, see decodeProb)
//	SPECPROB_UPDATE  from[6] to[6] 144 × u32 (12 sizes × 12 rates)
//	POS_UPDATE       addr[6] x f32 y f32 z f32
//	TXPOWER_UPDATE   addr[6] dBm i32
//	GAIN_UPDATE      addr[6] dBi i32
//	HEIGHT_UPDATE    addr[6] m i32
//	GAUSSIAN_RANDOM  addr[6] dB f32
//	MEDIUM_UPDATE    addr[6] id i32
//
// SPECPROB's response carries only the two addresses, not the request.

// MsgType is a message's first byte.
type MsgType uint8

const (
	MsgShutdown       MsgType = 0
	MsgSNRUpdate      MsgType = 1
	MsgDelByMAC       MsgType = 3
	MsgDelByID        MsgType = 5
	MsgAdd            MsgType = 7
	MsgErrProbUpdate  MsgType = 9
	MsgSpecProbUpdate MsgType = 11
	MsgPosUpdate      MsgType = 13
	MsgTxPowerUpdate  MsgType = 15
	MsgGainUpdate     MsgType = 17
	MsgHeightUpdate   MsgType = 19
	MsgGaussianRandom MsgType = 21
	MsgMediumUpdate   MsgType = 23
)

// SpecProbEntries is the number of probabilities in SPECPROB_UPDATE.
const SpecProbEntries = 12 * 12

// bodyLen is each request's length after the type byte.
var bodyLen = [...]int{
	MsgShutdown:       0,
	MsgSNRUpdate:      16,
	MsgDelByMAC:       6,
	MsgDelByID:        4,
	MsgAdd:            6,
	MsgErrProbUpdate:  16,
	MsgSpecProbUpdate: 12 + 4*SpecProbEntries,
	MsgPosUpdate:      18,
	MsgTxPowerUpdate:  10,
	MsgGainUpdate:     10,
	MsgHeightUpdate:   10,
	MsgGaussianRandom: 10,
	MsgMediumUpdate:   10,
}

func (t MsgType) String() string {
	switch t {
	case MsgShutdown:
		return "SHUTDOWN"
	case MsgSNRUpdate:
		return "SNR_UPDATE"
	case MsgDelByMAC:
		return "DEL_BY_MAC"
	case MsgDelByID:
		return "DEL_BY_ID"
	case MsgAdd:
		return "ADD"
	case MsgErrProbUpdate:
		return "ERRPROB_UPDATE"
	case MsgSpecProbUpdate:
		return "SPECPROB_UPDATE"
	case MsgPosUpdate:
		return "POS_UPDATE"
	case MsgTxPowerUpdate:
		return "TXPOWER_UPDATE"
	case MsgGainUpdate:
		return "GAIN_UPDATE"
	case MsgHeightUpdate:
		return "HEIGHT_UPDATE"
	case MsgGaussianRandom:
		return "GAUSSIAN_RANDOM_UPDATE"
	case MsgMediumUpdate:
		return "MEDIUM_UPDATE"
	}
	return fmt.Sprintf("type %d", uint8(t))
}

// ErrUnknownType: the first byte is no request type; the stream cannot be
// resynchronised after it.
var ErrUnknownType = errors.New("wserver: unknown request type")

// Request is one decoded request. Fields unused by its type are zero.
type Request struct {
	Type     MsgType
	From, To frames.MAC // SNR, ERRPROB, SPECPROB; From alone for one-station requests
	Int      int32      // SNR, id, tx power, gain, height, medium id
	Prob     float64    // ERRPROB
	X, Y, Z  float64    // POS (Z also GAUSSIAN_RANDOM's value)
	// Spec is a SPECPROB table to encode (size class·12 + rate); nil
	// encodes Prob in every entry. Decoding leaves it nil (SpecProbs).
	Spec *[SpecProbEntries]float64
	raw  []byte // the request's bytes, for the echo
}

// RequestLen returns the length of a request starting with type byte t,
// or ErrUnknownType.
func RequestLen(t byte) (int, error) {
	if int(t) >= len(bodyLen) || (t != 0 && t%2 == 0) {
		return 0, fmt.Errorf("%w %d: accepted are 0 and the odd types 1..23", ErrUnknownType, t)
	}
	return 1 + bodyLen[t], nil
}

// DecodeRequest decodes the request at the start of b. It returns the
// request and its length; n == 0 with a nil error means b holds only part
// of it (read more). The returned Request refers to b.
func DecodeRequest(b []byte) (req Request, n int, err error) {
	if len(b) == 0 {
		return req, 0, nil
	}
	n, err = RequestLen(b[0])
	if err != nil {
		return req, 0, err
	}
	if len(b) < n {
		return req, 0, nil
	}
	req.Type, req.raw = MsgType(b[0]), b[:n]
	p := b[1:n]
	be := binary.BigEndian
	switch req.Type {
	case MsgSNRUpdate, MsgErrProbUpdate, MsgSpecProbUpdate:
		copy(req.From[:], p[0:6])
		copy(req.To[:], p[6:12])
		switch req.Type {
		case MsgSNRUpdate:
			req.Int = int32(be.Uint32(p[12:]))
		case MsgErrProbUpdate:
			req.Prob = decodeProb(be.Uint32(p[12:]))
		}
	case MsgDelByID:
		req.Int = int32(be.Uint32(p))
	case MsgDelByMAC, MsgAdd:
		copy(req.From[:], p)
	case MsgPosUpdate:
		copy(req.From[:], p)
		req.X = float64(math.Float32frombits(be.Uint32(p[6:])))
		req.Y = float64(math.Float32frombits(be.Uint32(p[10:])))
		req.Z = float64(math.Float32frombits(be.Uint32(p[14:])))
	case MsgTxPowerUpdate, MsgGainUpdate, MsgHeightUpdate, MsgMediumUpdate:
		copy(req.From[:], p)
		req.Int = int32(be.Uint32(p[6:]))
	case MsgGaussianRandom:
		copy(req.From[:], p)
		req.Z = float64(math.Float32frombits(be.Uint32(p[6:])))
	}
	return req, n, nil
}

// SpecProbs returns the table of a SPECPROB_UPDATE request: the decoded
// one, else Spec, else Prob in every entry.
func (r *Request) SpecProbs() *[SpecProbEntries]float64 {
	if r.Spec != nil {
		return r.Spec
	}
	var t [SpecProbEntries]float64
	for k := range t {
		t[k] = r.SpecProb(k)
	}
	return &t
}

// SpecProb returns entry k (size index·12 + rate index) of a
// SPECPROB_UPDATE request.
func (r *Request) SpecProb(k int) float64 {
	if r.Type != MsgSpecProbUpdate || k < 0 || k >= SpecProbEntries {
		return 0
	}
	if r.Spec != nil {
		return r.Spec[k]
	}
	if len(r.raw) < 1+bodyLen[MsgSpecProbUpdate] {
		return r.Prob
	}
	return decodeProb(binary.BigEndian.Uint32(r.raw[13+4*k:]))
}

// decodeProb reads the fork's fixed point: bit 31 the integer part, bits
// 0..30 the fraction (wmediumd's custom_fixed_point_to_floating_point).
// mininet-wifi's Python encoder multiplies the fraction by −2³¹ instead,
// which wmediumd decodes as 1 + (1 − p) for 0 < p < 1 (every such link
// dead). A value above 1 can only come from that encoder, so it is read
// the way the encoder meant it: p = −int32(v) / 2³¹.
func decodeProb(v uint32) float64 {
	p := float64(v&0x7fffffff)/(1<<31) + float64(v>>31)
	if p > 1 {
		p = -float64(int32(v)) / (1 << 31)
	}
	return p
}

// EncodeProb is the fork's fixed point of p in [0, 1].
func EncodeProb(p float64) uint32 {
	if !(p > 0) {
		return 0
	}
	if p >= 1 {
		return 1 << 31
	}
	return uint32(p * (1 << 31))
}

// AppendResponse appends the response to req with result res (and, for
// ADD, the new station index) to dst.
func AppendResponse(dst []byte, req *Request, res Result, index int32) []byte {
	dst = append(dst, byte(req.Type)+1)
	if req.Type == MsgSpecProbUpdate {
		dst = append(dst, req.raw[1:13]...)
	} else {
		dst = append(dst, req.raw...)
	}
	if req.Type == MsgAdd {
		dst = binary.BigEndian.AppendUint32(dst, uint32(index))
	}
	return append(dst, byte(res))
}

// ResponseLen is the length of the response to a request of type t.
func ResponseLen(t MsgType) int {
	switch t {
	case MsgShutdown:
		return 0
	case MsgSpecProbUpdate:
		return 1 + 12 + 1
	case MsgAdd:
		return 1 + 1 + bodyLen[t] + 4 + 1
	}
	return 1 + 1 + bodyLen[t] + 1
}

// AppendRequest encodes req (Type and the fields its type uses) onto dst;
// clients and tests use it.
func AppendRequest(dst []byte, req *Request) []byte {
	be := binary.BigEndian
	dst = append(dst, byte(req.Type))
	f32 := func(v float64) { dst = be.AppendUint32(dst, math.Float32bits(float32(v))) }
	switch req.Type {
	case MsgSNRUpdate, MsgErrProbUpdate:
		dst = append(append(dst, req.From[:]...), req.To[:]...)
		if req.Type == MsgSNRUpdate {
			dst = be.AppendUint32(dst, uint32(req.Int))
		} else {
			dst = be.AppendUint32(dst, EncodeProb(req.Prob))
		}
	case MsgSpecProbUpdate:
		dst = append(append(dst, req.From[:]...), req.To[:]...)
		for k := range SpecProbEntries {
			p := req.Prob
			if req.Spec != nil {
				p = req.Spec[k]
			}
			dst = be.AppendUint32(dst, EncodeProb(p))
		}
	case MsgDelByID:
		dst = be.AppendUint32(dst, uint32(req.Int))
	case MsgDelByMAC, MsgAdd:
		dst = append(dst, req.From[:]...)
	case MsgPosUpdate:
		dst = append(dst, req.From[:]...)
		f32(req.X)
		f32(req.Y)
		f32(req.Z)
	case MsgTxPowerUpdate, MsgGainUpdate, MsgHeightUpdate, MsgMediumUpdate:
		dst = append(dst, req.From[:]...)
		dst = be.AppendUint32(dst, uint32(req.Int))
	case MsgGaussianRandom:
		dst = append(dst, req.From[:]...)
		f32(req.Z)
	}
	return dst
}
