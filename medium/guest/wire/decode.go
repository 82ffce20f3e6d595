// SPDX-License-Identifier: MIT

package wire

import (
	"fmt"
)

// Len returns the size of the whole message whose first bytes are b (at
// least the 4 length bytes): what a stream reader must have buffered before
// calling Decode. A length of 0 is ErrMalformed; one over MaxMessage is
// ErrTooLarge, after which the stream cannot be resynchronised.
func Len(b []byte) (int, error) {
	if len(b) < 4 {
		return 0, fmt.Errorf("wire: %d bytes, a length prefix is 4: %w", len(b), ErrMalformed)
	}
	n := be.Uint32(b)
	if n == 0 {
		return 0, fmt.Errorf("wire: message length 0: %w", ErrMalformed)
	}
	if n > MaxMessage-4 {
		return 0, fmt.Errorf("wire: message length %d, at most %d: %w", n, MaxMessage-4, ErrTooLarge)
	}
	return int(n) + 4, nil
}

// reader consumes a message body; any read past its end sets bad and
// returns zeroes, so decoders check once at the end.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) take(n int) []byte {
	if r.bad || n < 0 || len(r.b) < n {
		r.bad = true
		return nil
	}
	s := r.b[:n:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) u8() uint8 {
	if s := r.take(1); s != nil {
		return s[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if s := r.take(2); s != nil {
		return be.Uint16(s)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if s := r.take(4); s != nil {
		return be.Uint32(s)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if s := r.take(8); s != nil {
		return be.Uint64(s)
	}
	return 0
}

func (r *reader) addr(a *HWAddr) {
	if s := r.take(6); s != nil {
		copy(a[:], s)
	}
}

func (r *reader) str8() string  { return string(r.take(int(r.u8()))) }
func (r *reader) str16() string { return string(r.take(int(r.u16()))) }

func (r *reader) rates(rs *[RateCount]Rate) {
	for i := range rs {
		rs[i].Idx = int8(r.u8())
		rs[i].Count = r.u8()
		rs[i].Flags = r.u16()
	}
}

// done reports whether the body was exactly consumed.
func (r *reader) done(t Type) error {
	if r.bad {
		return fmt.Errorf("wire: %v body too short: %w", t, ErrMalformed)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("wire: %v body has %d bytes left over: %w", t, len(r.b), ErrMalformed)
	}
	return nil
}

func (r *reader) radio(x *Radio) error {
	r.addr(&x.HWAddr)
	x.ID = r.u32()
	n := int(r.u8())
	if n > MaxIfname {
		return fmt.Errorf("wire: interface name of %d bytes, at most %d: %w", n, MaxIfname, ErrTooLarge)
	}
	x.Ifname = string(r.take(n))
	x.Freq = r.u32()
	x.Channels = r.u8()
	na := int(r.u8())
	if na > MaxAddrs {
		return fmt.Errorf("wire: radio %v with %d addresses, at most %d: %w", x.HWAddr, na, MaxAddrs, ErrTooLarge)
	}
	x.Addrs = x.Addrs[:0]
	for range na {
		var a HWAddr
		r.addr(&a)
		if r.bad {
			break
		}
		x.Addrs = append(x.Addrs, a)
	}
	return nil
}

func frameData(r *reader, t Type) ([]byte, error) {
	if r.bad {
		return nil, fmt.Errorf("wire: %v body too short: %w", t, ErrMalformed)
	}
	d := r.b
	r.b = nil
	if err := checkFrame(len(d)); err != nil {
		return nil, fmt.Errorf("%w (in %v)", err, t)
	}
	return d, nil
}

// Decode decodes the one message b holds (exactly: Len(b) == len(b)) into
// m, setting m.Type and the field it names; other fields keep stale
// values. Frame.Data and Rx.Data are sub-slices of b; radios (Hello.Radios,
// Radio.Addrs) reuse m's storage, so a caller that keeps one copies it
// (Radio.Clone). It never panics; the error wraps ErrMalformed, ErrTooLarge
// or ErrVersion.
func Decode(b []byte, m *Msg) error {
	n, err := Len(b)
	if err != nil {
		return err
	}
	if n != len(b) {
		return fmt.Errorf("wire: length prefix says %d bytes, message is %d: %w", n, len(b), ErrMalformed)
	}
	t := Type(b[4])
	m.Type = t
	r := reader{b: b[headerLen:]}
	switch t {
	case TypeHello:
		return decodeHello(&r, &m.Hello)
	case TypeHelloAck:
		a := &m.HelloAck
		a.Version = r.u16()
		a.Software = r.str8()
		a.Keepalive = r.u32()
		if a.Version == 0 && !r.bad {
			return fmt.Errorf("wire: hello-ack with version 0: %w", ErrMalformed)
		}
	case TypeRefuse:
		x := &m.Refuse
		x.Code = r.u8()
		x.Version = r.u16()
		l := int(r.u16())
		if l > MaxReason {
			return fmt.Errorf("wire: refusal reason of %d bytes, at most %d: %w", l, MaxReason, ErrTooLarge)
		}
		x.Reason = string(r.take(l))
		if x.Version == 0 && !r.bad {
			return fmt.Errorf("wire: refuse with version 0: %w", ErrMalformed)
		}
	case TypeBye:
		m.Bye.Reason = r.str8()
	case TypePing:
		m.Ping.Seq = r.u64()
	case TypePong:
		m.Pong.Seq = r.u64()
	case TypeRadioAdded:
		if err := r.radio(&m.RadioAdded.Radio); err != nil {
			return err
		}
	case TypeRadioChanged:
		if err := r.radio(&m.RadioChanged.Radio); err != nil {
			return err
		}
	case TypeRadioRemoved:
		r.addr(&m.RadioRemoved.HWAddr)
	case TypeAddrAdded:
		r.addr(&m.AddrAdded.Radio)
		r.addr(&m.AddrAdded.Addr)
	case TypeAddrRemoved:
		r.addr(&m.AddrRemoved.Radio)
		r.addr(&m.AddrRemoved.Addr)
	case TypeFrame:
		f := &m.Frame
		r.addr(&f.Transmitter)
		f.Flags = r.u32()
		f.Freq = r.u32()
		f.Cookie = r.u64()
		r.rates(&f.Rates)
		if f.Data, err = frameData(&r, t); err != nil {
			return err
		}
	case TypeTxStatus:
		s := &m.TxStatus
		r.addr(&s.Transmitter)
		s.Cookie = r.u64()
		s.Flags = r.u32()
		s.Signal = int32(r.u32())
		r.rates(&s.Rates)
	case TypeRx:
		x := &m.Rx
		r.addr(&x.Receiver)
		x.Freq = r.u32()
		x.Rate = r.u32()
		x.Signal = int32(r.u32())
		if x.Data, err = frameData(&r, t); err != nil {
			return err
		}
	default:
		return fmt.Errorf("wire: unknown message type 0x%02x: %w", uint8(t), ErrMalformed)
	}
	return r.done(t)
}

func decodeHello(r *reader, h *Hello) error {
	var magic [4]byte
	if s := r.take(4); s != nil {
		copy(magic[:], s)
	}
	if r.bad || magic != Magic {
		return fmt.Errorf("wire: hello without the magic %q: not a vmedium guest agent: %w", Magic[:], ErrMalformed)
	}
	h.Version = r.u16()
	h.Name = r.str8()
	h.Software = r.str8()
	if r.bad {
		return r.done(TypeHello)
	}
	if h.Version != Version {
		h.Radios = h.Radios[:0]
		return fmt.Errorf("wire: guest %q (agent %s) speaks protocol version %d, this side %d: %w", h.Name, h.Software, h.Version, Version, ErrVersion)
	}
	n := int(r.u16())
	if n > MaxRadios {
		return fmt.Errorf("wire: hello with %d radios, at most %d: %w", n, MaxRadios, ErrTooLarge)
	}
	h.Radios = h.Radios[:0]
	for range n {
		if r.bad {
			break
		}
		h.Radios = append(h.Radios, Radio{})
		if err := r.radio(&h.Radios[len(h.Radios)-1]); err != nil {
			return err
		}
	}
	return r.done(TypeHello)
}
