// SPDX-License-Identifier: MIT

package wire

import (
	"encoding/binary"
	"fmt"
)

var be = binary.BigEndian

// begin appends a message header with a zero length, to be patched by end.
func begin(dst []byte, t Type) []byte {
	return append(dst, 0, 0, 0, 0, byte(t))
}

// end patches the length of the message that starts at dst[start:] and
// checks it against MaxMessage; on error dst is cut back to start.
func end(dst []byte, start int) ([]byte, error) {
	n := len(dst) - start
	if n > MaxMessage {
		return dst[:start], fmt.Errorf("wire: encode %v: %d bytes, at most %d: %w", Type(dst[start+4]), n, MaxMessage, ErrTooLarge)
	}
	be.PutUint32(dst[start:], uint32(n-4))
	return dst, nil
}

func appendStr8(dst []byte, s string) []byte {
	dst = append(dst, byte(len(s)))
	return append(dst, s...)
}

func appendRates(dst []byte, r *[RateCount]Rate) []byte {
	for i := range r {
		dst = append(dst, byte(r[i].Idx), r[i].Count)
		dst = be.AppendUint16(dst, r[i].Flags)
	}
	return dst
}

func checkStr(what, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("wire: %s is %d bytes, at most %d: %w", what, len(s), max, ErrTooLarge)
	}
	return nil
}

func checkRadio(r *Radio) error {
	if err := checkStr("interface name", r.Ifname, MaxIfname); err != nil {
		return err
	}
	if len(r.Addrs) > MaxAddrs {
		return fmt.Errorf("wire: radio %v has %d addresses, at most %d: %w", r.HWAddr, len(r.Addrs), MaxAddrs, ErrTooLarge)
	}
	return nil
}

func appendRadio(dst []byte, r *Radio) []byte {
	dst = append(dst, r.HWAddr[:]...)
	dst = be.AppendUint32(dst, r.ID)
	dst = appendStr8(dst, r.Ifname)
	dst = be.AppendUint32(dst, r.Freq)
	dst = append(dst, r.Channels, byte(len(r.Addrs)))
	for i := range r.Addrs {
		dst = append(dst, r.Addrs[i][:]...)
	}
	return dst
}

func checkFrame(n int) error {
	if n == 0 {
		return fmt.Errorf("wire: empty 802.11 frame: %w", ErrMalformed)
	}
	if n > MaxFrame {
		return fmt.Errorf("wire: 802.11 frame of %d bytes, at most %d: %w", n, MaxFrame, ErrTooLarge)
	}
	return nil
}

// orVersion is v, or this package's Version when v is 0: messages built
// without a version speak this one, and a test can still build another's.
func orVersion(v uint16) uint16 {
	if v == 0 {
		return Version
	}
	return v
}

// Append encodes a Hello; a zero h.Version means Version.
func (h *Hello) Append(dst []byte) ([]byte, error) {
	if err := checkStr("guest name", h.Name, 255); err != nil {
		return dst, err
	}
	if err := checkStr("software version", h.Software, 255); err != nil {
		return dst, err
	}
	if len(h.Radios) > MaxRadios {
		return dst, fmt.Errorf("wire: hello with %d radios, at most %d: %w", len(h.Radios), MaxRadios, ErrTooLarge)
	}
	for i := range h.Radios {
		if err := checkRadio(&h.Radios[i]); err != nil {
			return dst, err
		}
	}
	start := len(dst)
	dst = begin(dst, TypeHello)
	dst = append(dst, Magic[:]...)
	dst = be.AppendUint16(dst, orVersion(h.Version))
	dst = appendStr8(dst, h.Name)
	dst = appendStr8(dst, h.Software)
	dst = be.AppendUint16(dst, uint16(len(h.Radios)))
	for i := range h.Radios {
		dst = appendRadio(dst, &h.Radios[i])
	}
	return end(dst, start)
}

// Append encodes a HelloAck; a zero a.Version means Version.
func (a *HelloAck) Append(dst []byte) ([]byte, error) {
	if err := checkStr("software version", a.Software, 255); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = begin(dst, TypeHelloAck)
	dst = be.AppendUint16(dst, orVersion(a.Version))
	dst = appendStr8(dst, a.Software)
	dst = be.AppendUint32(dst, a.Keepalive)
	return end(dst, start)
}

// Append encodes a Refuse; a zero r.Version means Version.
func (r *Refuse) Append(dst []byte) ([]byte, error) {
	if err := checkStr("refusal reason", r.Reason, MaxReason); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = begin(dst, TypeRefuse)
	dst = append(dst, r.Code)
	dst = be.AppendUint16(dst, orVersion(r.Version))
	dst = be.AppendUint16(dst, uint16(len(r.Reason)))
	dst = append(dst, r.Reason...)
	return end(dst, start)
}

// Append encodes a Bye.
func (b *Bye) Append(dst []byte) ([]byte, error) {
	if err := checkStr("bye reason", b.Reason, 255); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = begin(dst, TypeBye)
	dst = appendStr8(dst, b.Reason)
	return end(dst, start)
}

// Append encodes a Ping.
func (p *Ping) Append(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = begin(dst, TypePing)
	dst = be.AppendUint64(dst, p.Seq)
	return end(dst, start)
}

// Append encodes a Pong.
func (p *Pong) Append(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = begin(dst, TypePong)
	dst = be.AppendUint64(dst, p.Seq)
	return end(dst, start)
}

func appendRadioMsg(dst []byte, t Type, r *Radio) ([]byte, error) {
	if err := checkRadio(r); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = begin(dst, t)
	dst = appendRadio(dst, r)
	return end(dst, start)
}

// Append encodes a RadioAdded.
func (m *RadioAdded) Append(dst []byte) ([]byte, error) {
	return appendRadioMsg(dst, TypeRadioAdded, &m.Radio)
}

// Append encodes a RadioChanged.
func (m *RadioChanged) Append(dst []byte) ([]byte, error) {
	return appendRadioMsg(dst, TypeRadioChanged, &m.Radio)
}

// Append encodes a RadioRemoved.
func (m *RadioRemoved) Append(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = begin(dst, TypeRadioRemoved)
	dst = append(dst, m.HWAddr[:]...)
	return end(dst, start)
}

func appendAddrMsg(dst []byte, t Type, radio, addr *HWAddr) ([]byte, error) {
	start := len(dst)
	dst = begin(dst, t)
	dst = append(dst, radio[:]...)
	dst = append(dst, addr[:]...)
	return end(dst, start)
}

// Append encodes an AddrAdded.
func (m *AddrAdded) Append(dst []byte) ([]byte, error) {
	return appendAddrMsg(dst, TypeAddrAdded, &m.Radio, &m.Addr)
}

// Append encodes an AddrRemoved.
func (m *AddrRemoved) Append(dst []byte) ([]byte, error) {
	return appendAddrMsg(dst, TypeAddrRemoved, &m.Radio, &m.Addr)
}

// Append encodes a Frame.
func (f *Frame) Append(dst []byte) ([]byte, error) {
	if err := checkFrame(len(f.Data)); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = begin(dst, TypeFrame)
	dst = append(dst, f.Transmitter[:]...)
	dst = be.AppendUint32(dst, f.Flags)
	dst = be.AppendUint32(dst, f.Freq)
	dst = be.AppendUint64(dst, f.Cookie)
	dst = appendRates(dst, &f.Rates)
	dst = append(dst, f.Data...)
	return end(dst, start)
}

// Append encodes a TxStatus.
func (s *TxStatus) Append(dst []byte) ([]byte, error) {
	start := len(dst)
	dst = begin(dst, TypeTxStatus)
	dst = append(dst, s.Transmitter[:]...)
	dst = be.AppendUint64(dst, s.Cookie)
	dst = be.AppendUint32(dst, s.Flags)
	dst = be.AppendUint32(dst, uint32(s.Signal))
	dst = appendRates(dst, &s.Rates)
	return end(dst, start)
}

// Append encodes an Rx.
func (r *Rx) Append(dst []byte) ([]byte, error) {
	if err := checkFrame(len(r.Data)); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = begin(dst, TypeRx)
	dst = append(dst, r.Receiver[:]...)
	dst = be.AppendUint32(dst, r.Freq)
	dst = be.AppendUint32(dst, r.Rate)
	dst = be.AppendUint32(dst, uint32(r.Signal))
	dst = append(dst, r.Data...)
	return end(dst, start)
}

// Append encodes the message m.Type names.
func (m *Msg) Append(dst []byte) ([]byte, error) {
	switch m.Type {
	case TypeHello:
		return m.Hello.Append(dst)
	case TypeHelloAck:
		return m.HelloAck.Append(dst)
	case TypeRefuse:
		return m.Refuse.Append(dst)
	case TypeBye:
		return m.Bye.Append(dst)
	case TypePing:
		return m.Ping.Append(dst)
	case TypePong:
		return m.Pong.Append(dst)
	case TypeRadioAdded:
		return m.RadioAdded.Append(dst)
	case TypeRadioChanged:
		return m.RadioChanged.Append(dst)
	case TypeRadioRemoved:
		return m.RadioRemoved.Append(dst)
	case TypeAddrAdded:
		return m.AddrAdded.Append(dst)
	case TypeAddrRemoved:
		return m.AddrRemoved.Append(dst)
	case TypeFrame:
		return m.Frame.Append(dst)
	case TypeTxStatus:
		return m.TxStatus.Append(dst)
	case TypeRx:
		return m.Rx.Append(dst)
	}
	return dst, fmt.Errorf("wire: encode %v: %w", m.Type, ErrMalformed)
}
