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

// PcapngWriter writes radiotap-framed 802.11 frames as a pcapng file (one
// interface, link type 127, nanosecond timestamps), the format
// `wmediumd -p` writes. WriteFrame is safe for concurrent use; Flush
// pushes buffered records to the underlying writer.
type PcapngWriter struct {
	mu  sync.Mutex
	w   *pcapgo.NgWriter
	buf []byte
}

// NewPcapngWriter writes the section and interface blocks to w; app names
// the writing application in the section header.
func NewPcapngWriter(w io.Writer, app string) (*PcapngWriter, error) {
	intf := pcapgo.NgInterface{
		Name: "medium", LinkType: layers.LinkTypeIEEE80211Radio, SnapLength: PcapSnaplen,
		TimestampResolution: 9,
	}
	nw, err := pcapgo.NewNgWriterInterface(w, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: app}})
	if err != nil {
		return nil, fmt.Errorf("write pcapng header: %w", err)
	}
	if err := nw.Flush(); err != nil {
		return nil, fmt.Errorf("write pcapng header: %w", err)
	}
	return &PcapngWriter{w: nw, buf: make([]byte, 0, 64+MaxMPDU+64)}, nil
}

// WriteFrame writes one enhanced packet block: the radiotap header for rt
// followed by frame, stamped ts.
func (p *PcapngWriter) WriteFrame(ts time.Time, rt Radiotap, frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = AppendRadiotap(p.buf[:0], rt)
	p.buf = append(p.buf, frame...)
	if len(p.buf) > PcapSnaplen {
		return fmt.Errorf("write pcapng record: %d bytes exceeds the %d-byte snaplen", len(p.buf), PcapSnaplen)
	}
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(p.buf), Length: len(p.buf)}
	if err := p.w.WritePacket(ci, p.buf); err != nil {
		return fmt.Errorf("write pcapng record: %w", err)
	}
	return nil
}

// Flush writes what is buffered.
func (p *PcapngWriter) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.w.Flush()
}
