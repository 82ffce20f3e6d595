// SPDX-License-Identifier: MIT

package dhcp

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/server4"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// Server is a DHCP server on one interface. Close stops it.
type Server struct {
	h     handler
	conn  net.PacketConn
	stats ServerStats
	done  chan struct{}
	once  sync.Once
}

// NewServer validates cfg, restores the given leases (from a previous
// run; those that no longer fit the range are dropped) and starts
// serving on cfg.Interface inside cfg.Netns. The interface must exist
// and carry cfg.Addr.
func NewServer(cfg ServerConfig, leases []Lease) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{done: make(chan struct{})}
	s.h = handler{cfg: cfg, pool: NewPool(cfg.Range, cfg.Static...), stats: &s.stats, now: time.Now}
	s.h.pool.Restore(leases)
	path := ""
	if cfg.Netns != "" {
		path = netnsutil.Dir + "/" + cfg.Netns
	}
	err := netnsutil.DoPath(path, func() error {
		c, err := server4.NewIPv4UDPConn(cfg.Interface, &net.UDPAddr{Port: dhcpv4.ServerPort})
		s.conn = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("DHCP server on %s (namespace %q): %w", cfg.Interface, cfg.Netns, err)
	}
	go s.serve()
	return s, nil
}

// serve answers requests one at a time until Close.
func (s *Server) serve() {
	defer close(s.done)
	buf := make([]byte, 4096)
	for {
		n, peer, err := s.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		up, _ := peer.(*net.UDPAddr)
		reply, to := s.h.handle(buf[:n], up)
		if reply != nil {
			_, _ = s.conn.WriteTo(reply.ToBytes(), to)
		}
	}
}

// Leases lists the lease table (for `vmctl leases`).
func (s *Server) Leases() []Lease { return s.h.pool.Leases() }

// Snapshot returns the leases to persist with the lab's state.
func (s *Server) Snapshot() []Lease { return s.h.pool.Snapshot() }

// Stats returns the server's counters.
func (s *Server) Stats() *ServerStats { return &s.stats }

// Close stops the server and waits for it.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		err = s.conn.Close()
		<-s.done
	})
	return err
}
