// SPDX-License-Identifier: MIT

package frames

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// PcapSnaplen is the snapshot length written in the file header; every
// record is written whole (frames are at most a few kB).
const PcapSnaplen = 65535

// PcapWriter writes radiotap-framed 802.11 frames as a classic pcap file
// (link type 127, IEEE802_11_RADIOTAP, microsecond timestamps) that
// tcpdump, Wireshark and tshark read. WriteFrame is safe for concurrent
// use: a mutex keeps each record whole and in order.
type PcapWriter struct {
	recorder
}

// recorder turns (radiotap, frame) into one record of a pcap or pcapng
// writer: the two file formats differ in their headers, not in how a
// record is built.
type recorder struct {
	mu sync.Mutex
	w  interface {
		WritePacket(gopacket.CaptureInfo, []byte) error
	}
	buf  []byte // radiotap + frame scratch, reused under mu
	what string // "pcap" or "pcapng", for errors
}

func newRecorder(w interface {
	WritePacket(gopacket.CaptureInfo, []byte) error
}, what string) recorder {
	return recorder{w: w, buf: make([]byte, 0, 64+MaxMPDU+64), what: what}
}

// WriteFrame writes one record: the radiotap header for rt followed by
// frame (an MPDU without FCS), stamped ts.
func (p *recorder) WriteFrame(ts time.Time, rt Radiotap, frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = AppendRadiotap(p.buf[:0], rt)
	p.buf = append(p.buf, frame...)
	if len(p.buf) > PcapSnaplen {
		return fmt.Errorf("write %s record: %d bytes exceeds the %d-byte snaplen", p.what, len(p.buf), PcapSnaplen)
	}
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p.buf), Length: len(p.buf)}
	if err := p.w.WritePacket(ci, p.buf); err != nil {
		return fmt.Errorf("write %s record: %w", p.what, err)
	}
	return nil
}

// NewPcapWriter writes the pcap file header to w and returns a writer for
// the records.
func NewPcapWriter(w io.Writer) (*PcapWriter, error) {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(PcapSnaplen, layers.LinkTypeIEEE80211Radio); err != nil {
		return nil, fmt.Errorf("write pcap file header: %w", err)
	}
	return &PcapWriter{newRecorder(pw, "pcap")}, nil
}
