// SPDX-License-Identifier: MIT

package frames

import (
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// PcapngWriter writes radiotap-framed 802.11 frames as a pcapng file (one
// interface, link type 127, nanosecond timestamps), the format
// `wmediumd -p` writes. WriteFrame is safe for concurrent use; Flush
// pushes buffered records to the underlying writer.
type PcapngWriter struct {
	recorder
	ng *pcapgo.NgWriter
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
	return &PcapngWriter{recorder: newRecorder(nw, "pcapng"), ng: nw}, nil
}

// Flush writes what is buffered.
func (p *PcapngWriter) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ng.Flush()
}
