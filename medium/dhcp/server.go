// SPDX-License-Identifier: MIT

package dhcp

import (
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// ServerStats counts what the server saw.
type ServerStats struct {
	// Malformed counts datagrams that are not DHCP messages (dropped).
	Malformed atomic.Uint64
	// Ignored counts messages not for this server or not understood.
	Ignored atomic.Uint64
	// Offers, Acks and Naks count the replies sent.
	Offers, Acks, Naks atomic.Uint64
}

// handler turns requests into replies against a pool. It is the
// server's logic without its socket, so it can be fuzzed.
type handler struct {
	cfg   ServerConfig
	pool  *Pool
	stats *ServerStats
	now   func() time.Time
}

func ip4(a netip.Addr) net.IP { return net.IP(a.AsSlice()) }

func addrOf(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	a = a.Unmap()
	if a.IsUnspecified() {
		return netip.Addr{}
	}
	return a
}

// handle parses one datagram and returns the reply to send (nil: none)
// and where to send it.
func (h *handler) handle(b []byte, peer *net.UDPAddr) (*dhcpv4.DHCPv4, *net.UDPAddr) {
	m, err := dhcpv4.FromBytes(b)
	if err != nil {
		h.stats.Malformed.Add(1)
		return nil, nil
	}
	if m.OpCode != dhcpv4.OpcodeBootRequest || m.HWType.String() != "Ethernet" || len(m.ClientHWAddr) != 6 {
		h.stats.Ignored.Add(1)
		return nil, nil
	}
	if sid := addrOf(m.ServerIdentifier()); sid.IsValid() && sid != h.cfg.Addr.Addr() {
		h.stats.Ignored.Add(1) // the client chose another server
		return nil, nil
	}
	now := h.now()
	mac := m.ClientHWAddr
	var reply *dhcpv4.DHCPv4
	switch m.MessageType() {
	case dhcpv4.MessageTypeDiscover:
		ip, err := h.pool.Offer(mac, addrOf(m.RequestedIPAddress()), m.HostName(), now)
		if err != nil {
			h.stats.Ignored.Add(1)
			return nil, nil
		}
		reply = h.reply(m, dhcpv4.MessageTypeOffer, ip)
		h.stats.Offers.Add(1)
	case dhcpv4.MessageTypeRequest:
		want := addrOf(m.RequestedIPAddress())
		if !want.IsValid() {
			want = addrOf(m.ClientIPAddr) // renewing or rebinding
		}
		l, err := h.pool.Bind(mac, want, m.HostName(), h.cfg.Lease, now)
		if err != nil {
			reply = h.reply(m, dhcpv4.MessageTypeNak, netip.Addr{})
			h.stats.Naks.Add(1)
		} else {
			reply = h.reply(m, dhcpv4.MessageTypeAck, l.IP)
			h.stats.Acks.Add(1)
		}
	case dhcpv4.MessageTypeRelease:
		h.pool.Release(mac, addrOf(m.ClientIPAddr), now)
		return nil, nil
	case dhcpv4.MessageTypeDecline:
		h.pool.Decline(mac, addrOf(m.RequestedIPAddress()), now)
		return nil, nil
	case dhcpv4.MessageTypeInform:
		reply = h.reply(m, dhcpv4.MessageTypeAck, netip.Addr{})
		h.stats.Acks.Add(1)
	default:
		h.stats.Ignored.Add(1)
		return nil, nil
	}
	if reply == nil {
		return nil, nil
	}
	// A client that has its address (renewal from a configured
	// interface) gets a unicast reply; everyone else a broadcast.
	to := &net.UDPAddr{IP: net.IPv4bcast, Port: dhcpv4.ClientPort}
	if ci := addrOf(m.ClientIPAddr); ci.IsValid() && reply.MessageType() != dhcpv4.MessageTypeNak && peer != nil && addrOf(peer.IP) == ci {
		to = &net.UDPAddr{IP: ip4(ci), Port: peer.Port}
	}
	return reply, to
}

// reply builds a reply of type t giving yiaddr (zero: none) with the
// configured options.
func (h *handler) reply(req *dhcpv4.DHCPv4, t dhcpv4.MessageType, yiaddr netip.Addr) *dhcpv4.DHCPv4 {
	mods := []dhcpv4.Modifier{
		dhcpv4.WithMessageType(t),
		dhcpv4.WithServerIP(ip4(h.cfg.Addr.Addr())),
		dhcpv4.WithOption(dhcpv4.OptServerIdentifier(ip4(h.cfg.Addr.Addr()))),
	}
	if t != dhcpv4.MessageTypeNak {
		mods = append(mods,
			dhcpv4.WithOption(dhcpv4.OptSubnetMask(net.CIDRMask(h.cfg.Addr.Bits(), 32))),
			dhcpv4.WithOption(dhcpv4.OptRouter(ip4(h.cfg.router()))),
		)
		if len(h.cfg.DNS) > 0 {
			dns := make([]net.IP, len(h.cfg.DNS))
			for i, d := range h.cfg.DNS {
				dns[i] = ip4(d)
			}
			mods = append(mods, dhcpv4.WithOption(dhcpv4.OptDNS(dns...)))
		}
		if yiaddr.IsValid() {
			mods = append(mods,
				dhcpv4.WithYourIP(ip4(yiaddr)),
				dhcpv4.WithOption(dhcpv4.OptIPAddressLeaseTime(h.cfg.Lease)),
				dhcpv4.WithOption(dhcpv4.OptRenewTimeValue(h.cfg.Lease/2)),
				dhcpv4.WithOption(dhcpv4.OptRebindingTimeValue(h.cfg.Lease*7/8)),
			)
		}
	}
	r, err := dhcpv4.NewReplyFromRequest(req, mods...)
	if err != nil {
		return nil
	}
	return r
}
