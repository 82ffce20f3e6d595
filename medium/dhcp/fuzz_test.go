// SPDX-License-Identifier: MIT

package dhcp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// FuzzHandle feeds arbitrary datagrams to the server's logic: never a
// panic, malformed input counted, and a reply only with an address from
// the range.
func FuzzHandle(f *testing.F) {
	hw := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	for _, mt := range []dhcpv4.MessageType{dhcpv4.MessageTypeDiscover, dhcpv4.MessageTypeRequest, dhcpv4.MessageTypeRelease, dhcpv4.MessageTypeInform} {
		m, err := dhcpv4.New(dhcpv4.WithHwAddr(hw), dhcpv4.WithMessageType(mt),
			dhcpv4.WithOption(dhcpv4.OptRequestedIPAddress(net.IPv4(10, 0, 0, 150))))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(m.ToBytes())
	}
	f.Add([]byte{1, 1, 6, 0})
	cfg := ServerConfig{
		Interface: "br0", Addr: netip.MustParsePrefix("10.0.0.1/24"),
		Range: Range{netip.MustParseAddr("10.0.0.100"), netip.MustParseAddr("10.0.0.199")},
		Lease: time.Hour,
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var st ServerStats
		h := handler{cfg: cfg, pool: NewPool(cfg.Range), stats: &st, now: func() time.Time { return t0 }}
		reply, to := h.handle(b, &net.UDPAddr{IP: net.IPv4zero, Port: 68})
		if reply == nil {
			return
		}
		if to == nil {
			t.Fatal("reply without destination")
		}
		if y := addrOf(reply.YourIPAddr); y.IsValid() && !cfg.Range.Contains(y) {
			t.Fatalf("offered %v outside %v", y, cfg.Range)
		}
		_ = reply.ToBytes()
	})
}
