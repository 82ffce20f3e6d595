// SPDX-License-Identifier: MIT

package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var (
	radioA = HWAddr{0x42, 0x76, 0x6d, 0x31, 0x00, 0x00}
	radioB = HWAddr{0x42, 0x76, 0x6d, 0x31, 0x01, 0x00}
	vifA   = HWAddr{0x02, 0x76, 0x6d, 0x31, 0x00, 0x00}
	chain  = [RateCount]Rate{{Idx: 3, Count: 2, Flags: 0x0004}, {Idx: 0, Count: 5}, {Idx: -1}, {Idx: -1}}
	// a 24-byte 802.11 data header and 4 bytes of payload
	frameBytes = []byte{0x08, 0x01, 0x00, 0x00, 0x02, 0x76, 0x6d, 0x32, 0, 0, 0x02, 0x76, 0x6d, 0x31, 0, 0,
		0x02, 0x76, 0x6d, 0x32, 0, 0, 0x10, 0x00, 0xde, 0xad, 0xbe, 0xef}
)

// samples holds one message of each type, every field set to a value that
// shows up distinctly in the encoding.
func samples() []Msg {
	radio := Radio{HWAddr: radioA, ID: 7, Ifname: "wlan0", Freq: 2437, Channels: 1, Addrs: []HWAddr{vifA}}
	return []Msg{
		{Type: TypeHello, Hello: Hello{Version: Version, Name: "vm1", Software: "v0.9", Radios: []Radio{
			radio, {HWAddr: radioB, ID: 8, Freq: 5180, Channels: 2}}}},
		{Type: TypeHelloAck, HelloAck: HelloAck{Version: Version, Software: "host-1", Keepalive: 2000}},
		{Type: TypeRefuse, Refuse: Refuse{Code: RefuseNameInUse, Version: Version, Reason: "name vm1 in use"}},
		{Type: TypeBye, Bye: Bye{Reason: "agent stopping"}},
		{Type: TypePing, Ping: Ping{Seq: 0x0102030405060708}},
		{Type: TypePong, Pong: Pong{Seq: 0x0102030405060708}},
		{Type: TypeRadioAdded, RadioAdded: RadioAdded{Radio: radio}},
		{Type: TypeRadioRemoved, RadioRemoved: RadioRemoved{HWAddr: radioB}},
		{Type: TypeRadioChanged, RadioChanged: RadioChanged{Radio: Radio{HWAddr: radioA, ID: 7, Ifname: "wlan0", Freq: 5180, Channels: 1}}},
		{Type: TypeAddrAdded, AddrAdded: AddrAdded{Radio: radioA, Addr: vifA}},
		{Type: TypeAddrRemoved, AddrRemoved: AddrRemoved{Radio: radioA, Addr: vifA}},
		{Type: TypeFrame, Frame: Frame{Transmitter: radioA, Flags: FlagReqTxStatus, Freq: 2437, Cookie: 0x1122334455667788, Rates: chain, Data: frameBytes}},
		{Type: TypeTxStatus, TxStatus: TxStatus{Transmitter: radioA, Cookie: 0x1122334455667788, Flags: FlagReqTxStatus | FlagAck, Signal: -42,
			Rates: [RateCount]Rate{{Idx: 3, Count: 1}, {Idx: -1}, {Idx: -1}, {Idx: -1}}}},
		{Type: TypeRx, Rx: Rx{Receiver: radioB, Freq: 2437, Rate: 11, Signal: -57, Data: frameBytes}},
	}
}

// field returns the part of m its Type names.
func field(m *Msg) any {
	switch m.Type {
	case TypeHello:
		return m.Hello
	case TypeHelloAck:
		return m.HelloAck
	case TypeRefuse:
		return m.Refuse
	case TypeBye:
		return m.Bye
	case TypePing:
		return m.Ping
	case TypePong:
		return m.Pong
	case TypeRadioAdded:
		return m.RadioAdded
	case TypeRadioChanged:
		return m.RadioChanged
	case TypeRadioRemoved:
		return m.RadioRemoved
	case TypeAddrAdded:
		return m.AddrAdded
	case TypeAddrRemoved:
		return m.AddrRemoved
	case TypeFrame:
		return m.Frame
	case TypeTxStatus:
		return m.TxStatus
	case TypeRx:
		return m.Rx
	}
	return nil
}

// typed returns the message type's own value (not the Msg), so the
// round trip also covers each type's Append.
func typed(m *Msg) Message {
	switch m.Type {
	case TypeHello:
		return &m.Hello
	case TypeHelloAck:
		return &m.HelloAck
	case TypeRefuse:
		return &m.Refuse
	case TypeBye:
		return &m.Bye
	case TypePing:
		return &m.Ping
	case TypePong:
		return &m.Pong
	case TypeRadioAdded:
		return &m.RadioAdded
	case TypeRadioChanged:
		return &m.RadioChanged
	case TypeRadioRemoved:
		return &m.RadioRemoved
	case TypeAddrAdded:
		return &m.AddrAdded
	case TypeAddrRemoved:
		return &m.AddrRemoved
	case TypeFrame:
		return &m.Frame
	case TypeTxStatus:
		return &m.TxStatus
	case TypeRx:
		return &m.Rx
	}
	return nil
}

func TestRoundTripEveryMessage(t *testing.T) {
	seen := map[Type]bool{}
	var into Msg // reused across messages, as a reader would
	for _, want := range samples() {
		seen[want.Type] = true
		b, err := typed(&want).Append([]byte("prefix"))
		if err != nil {
			t.Fatalf("%v: encode: %v", want.Type, err)
		}
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("%v: Append clobbered dst", want.Type)
		}
		b = b[len("prefix"):]
		viaMsg, err := want.Append(nil)
		if err != nil || !bytes.Equal(viaMsg, b) {
			t.Fatalf("%v: Msg.Append = %x, %v; typed Append = %x", want.Type, viaMsg, err, b)
		}
		if n, err := Len(b); err != nil || n != len(b) {
			t.Fatalf("%v: Len = %d, %v; encoded %d bytes", want.Type, n, err, len(b))
		}
		if err := Decode(b, &into); err != nil {
			t.Fatalf("%v: decode %x: %v", want.Type, b, err)
		}
		if into.Type != want.Type {
			t.Fatalf("decoded type %v, want %v", into.Type, want.Type)
		}
		if got, w := field(&into), field(&want); !reflect.DeepEqual(got, w) {
			t.Errorf("%v round trip:\n got %+v\nwant %+v", want.Type, got, w)
		}
	}
	for tp := range typeNames {
		if !seen[tp] {
			t.Errorf("no round-trip sample for %v", tp)
		}
	}
}

// TestDecodeTruncated cuts every sample at every length, and also claims
// one byte more or less in the prefix: each must be an error, not a panic
// and not a success.
func TestDecodeTruncated(t *testing.T) {
	var m Msg
	for _, s := range samples() {
		b, _ := s.Append(nil)
		for n := 0; n < len(b); n++ {
			if err := Decode(b[:n], &m); err == nil {
				t.Errorf("%v cut to %d of %d bytes decoded", s.Type, n, len(b))
			}
			// the same prefix, with the length saying so: a short body.
			c := append([]byte(nil), b[:n]...)
			if n >= 5 {
				binary.BigEndian.PutUint32(c, uint32(n-4))
				err := Decode(c, &m)
				fixedTail := s.Type == TypeFrame || s.Type == TypeRx
				if err == nil && !fixedTail {
					t.Errorf("%v body cut to %d bytes decoded", s.Type, n-5)
				}
				if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
					t.Errorf("%v body cut: %v is neither ErrMalformed nor ErrTooLarge", s.Type, err)
				}
			}
		}
		long := append(append([]byte(nil), b...), 0xee)
		binary.BigEndian.PutUint32(long, uint32(len(long)-4))
		err := Decode(long, &m)
		if s.Type == TypeFrame || s.Type == TypeRx {
			if err != nil {
				t.Errorf("%v with one more frame byte: %v", s.Type, err)
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Errorf("%v with a trailing byte: %v, want ErrMalformed", s.Type, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	hello, _ := (&Hello{Name: "vm1", Software: "v9"}).Append(nil)
	otherVersion := append([]byte(nil), hello...)
	binary.BigEndian.PutUint16(otherVersion[9:], 2)
	otherVersion = append(otherVersion, "a future hello body"...)
	binary.BigEndian.PutUint32(otherVersion, uint32(len(otherVersion)-4))
	badMagic := append([]byte(nil), hello...)
	badMagic[5] = 'X'
	bigFrame, _ := (&Frame{Data: make([]byte, MaxFrame)}).Append(nil)
	bigFrame = append(bigFrame, 0)
	binary.BigEndian.PutUint32(bigFrame, uint32(len(bigFrame)-4))
	tooMany := []byte{0, 0, 0, 0, byte(TypeRadioAdded), 1, 2, 3, 4, 5, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, MaxAddrs + 1}
	binary.BigEndian.PutUint32(tooMany, uint32(len(tooMany)-4))

	for _, c := range []struct {
		name string
		b    []byte
		want error
		text string
	}{
		{"empty", nil, ErrMalformed, "length prefix"},
		{"zero length", []byte{0, 0, 0, 0}, ErrMalformed, "length 0"},
		{"huge length", []byte{0x7f, 0, 0, 0, 1}, ErrTooLarge, "at most 16380"},
		{"one over", []byte{0, 0, 0x40, 0x00, 1}, ErrTooLarge, "16384"},
		{"unknown type", []byte{0, 0, 0, 1, 0x7e}, ErrMalformed, "unknown message type 0x7e"},
		{"other version", otherVersion, ErrVersion, `guest "vm1" (agent v9) speaks protocol version 2, this side 1`},
		{"bad magic", badMagic, ErrMalformed, "not a vmedium guest agent"},
		{"frame too large", bigFrame, ErrTooLarge, "2305 bytes, at most 2304"},
		{"empty frame", []byte{0, 0, 0, 39, byte(TypeFrame), 42: 0}, ErrMalformed, "empty 802.11 frame"},
		{"too many addrs", tooMany, ErrTooLarge, "17 addresses"},
	} {
		var m Msg
		err := Decode(c.b, &m)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%s: %v, want %v containing %q", c.name, err, c.want, c.text)
		}
		if c.want == ErrVersion && (m.Hello.Version != 2 || m.Hello.Name != "vm1" || m.Hello.Software != "v9") {
			t.Errorf("%s: frozen hello fields not decoded: %+v", c.name, m.Hello)
		}
	}
}

func TestEncodeLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		m    Message
		want error
	}{
		{"frame", &Frame{Data: make([]byte, MaxFrame+1)}, ErrTooLarge},
		{"empty frame", &Frame{}, ErrMalformed},
		{"rx", &Rx{Data: make([]byte, MaxFrame+1)}, ErrTooLarge},
		{"ifname", &RadioAdded{Radio: Radio{Ifname: "a-very-long-ifname"}}, ErrTooLarge},
		{"addrs", &RadioChanged{Radio: Radio{Addrs: make([]HWAddr, MaxAddrs+1)}}, ErrTooLarge},
		{"radios", &Hello{Radios: make([]Radio, MaxRadios+1)}, ErrTooLarge},
		{"reason", &Refuse{Reason: strings.Repeat("x", MaxReason+1)}, ErrTooLarge},
		{"unknown type", &Msg{Type: 0x7e}, ErrMalformed},
	} {
		out, err := c.m.Append([]byte("keep"))
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if string(out) != "keep" {
			t.Errorf("%s: dst changed to %q on error", c.name, out)
		}
	}
	// The largest Hello the limits allow fits in MaxMessage.
	h := Hello{Name: strings.Repeat("n", 255), Software: strings.Repeat("s", 255)}
	for range MaxRadios {
		h.Radios = append(h.Radios, Radio{Ifname: strings.Repeat("i", MaxIfname), Addrs: make([]HWAddr, MaxAddrs)})
	}
	if b, err := h.Append(nil); err != nil {
		t.Fatalf("largest hello: %v", err)
	} else if len(b) > MaxMessage {
		t.Fatalf("largest hello is %d bytes", len(b))
	}
}

func TestZeroVersionEncodesAsThisVersion(t *testing.T) {
	var m Msg
	for _, v := range []uint16{0, 9} {
		want := v
		if v == 0 {
			want = Version
		}
		for _, msg := range []Message{&HelloAck{Version: v}, &Refuse{Version: v}} {
			b, _ := msg.Append(nil)
			if err := Decode(b, &m); err != nil {
				t.Fatal(err)
			}
			if got := map[Type]uint16{TypeHelloAck: m.HelloAck.Version, TypeRefuse: m.Refuse.Version}[m.Type]; got != want {
				t.Errorf("%v with version %d carried %d, want %d", m.Type, v, got, want)
			}
		}
		b, _ := (&Hello{Version: v}).Append(nil)
		err := Decode(b, &m)
		if (v == 0) != (err == nil) || m.Hello.Version != want {
			t.Errorf("hello with version %d: decoded version %d, %v", v, m.Hello.Version, err)
		}
	}
}
