// SPDX-License-Identifier: MIT

package dhcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/insomniacslk/dhcp/dhcpv4"
	"github.com/insomniacslk/dhcp/dhcpv4/nclient4"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// ClientConfig describes a DHCP client.
type ClientConfig struct {
	// Netns is the named namespace of the interface ("" = vmedium's own).
	Netns string
	// Interface gets the address.
	Interface string
	// Hostname is sent to the server (optional).
	Hostname string
}

// Assigned is what a client holds: the address and the options.
type Assigned struct {
	Addr     netip.Prefix  `json:"addr"`
	Router   netip.Addr    `json:"router"`
	DNS      []netip.Addr  `json:"dns,omitempty"`
	Server   netip.Addr    `json:"server"`
	Lease    time.Duration `json:"lease"`
	Obtained time.Time     `json:"obtained"`
	// Renewals counts the successful renewals of this address.
	Renewals int `json:"renewals"`
}

// Client holds a lease for an interface and keeps it renewed. Close stops it.
type Client struct {
	cfg  ClientConfig
	nc   *nclient4.Client
	mods []dhcpv4.Modifier

	mu    sync.Mutex
	lease *nclient4.Lease
	cur   Assigned

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

func nsPath(name string) string {
	if name == "" {
		return ""
	}
	return netnsutil.Dir + "/" + name
}

// StartClient gets a lease for cfg.Interface (DISCOVER, OFFER, REQUEST,
// ACK, retried until ctx ends), configures the interface with it (the
// address with the lease's lifetime, a default route via the router) and
// renews it in the background at the renewal time (half the lease).
func StartClient(ctx context.Context, cfg ClientConfig) (*Client, error) {
	c := &Client{cfg: cfg, stop: make(chan struct{}), done: make(chan struct{})}
	if cfg.Hostname != "" {
		c.mods = append(c.mods, dhcpv4.WithOption(dhcpv4.OptHostName(cfg.Hostname)))
	}
	err := netnsutil.DoPath(nsPath(cfg.Netns), func() error {
		nc, err := nclient4.New(cfg.Interface, nclient4.WithTimeout(time.Second), nclient4.WithRetry(2))
		c.nc = nc
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("DHCP client on %s (namespace %q): %w", cfg.Interface, cfg.Netns, err)
	}
	if err := c.acquire(ctx); err != nil {
		c.nc.Close()
		return nil, err
	}
	go c.run()
	return c, nil
}

// acquire runs DORA until it succeeds or ctx ends, then configures.
func (c *Client) acquire(ctx context.Context) error {
	for {
		lease, err := c.nc.Request(ctx, c.mods...)
		if err == nil {
			return c.apply(lease, false)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("DHCP on %s (namespace %q): no lease: %w", c.cfg.Interface, c.cfg.Netns, err)
		}
	}
}

// apply records a lease and configures the interface with it.
func (c *Client) apply(lease *nclient4.Lease, renewal bool) error {
	ack := lease.ACK
	ip := addrOf(ack.YourIPAddr)
	mask := ack.SubnetMask()
	if !ip.IsValid() || mask == nil {
		return fmt.Errorf("DHCP on %s: ACK without address or subnet mask", c.cfg.Interface)
	}
	ones, _ := mask.Size()
	a := Assigned{
		Addr:     netip.PrefixFrom(ip, ones),
		Server:   addrOf(ack.ServerIdentifier()),
		Lease:    ack.IPAddressLeaseTime(time.Hour),
		Obtained: lease.CreationTime,
	}
	if rs := ack.Router(); len(rs) > 0 {
		a.Router = addrOf(rs[0])
	}
	for _, d := range ack.DNS() {
		if da := addrOf(d); da.IsValid() {
			a.DNS = append(a.DNS, da)
		}
	}
	c.mu.Lock()
	old := c.cur
	if renewal && old.Addr == a.Addr {
		a.Renewals = old.Renewals + 1
	}
	c.lease, c.cur = lease, a
	c.mu.Unlock()
	return c.configure(old, a)
}

// configure puts a on the interface (replacing old's address if it
// changed) and points the default route at a's router.
func (c *Client) configure(old, a Assigned) error {
	h, err := c.handle()
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(c.cfg.Interface)
	if err != nil {
		return fmt.Errorf("find %s in namespace %q: %w", c.cfg.Interface, c.cfg.Netns, err)
	}
	secs := int(a.Lease / time.Second)
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip4(a.Addr.Addr()), Mask: net.CIDRMask(a.Addr.Bits(), 32)}, ValidLft: secs, PreferedLft: secs}
	if err := h.AddrReplace(l, addr); err != nil {
		return fmt.Errorf("set address %v on %s: %w", a.Addr, c.cfg.Interface, err)
	}
	if old.Addr.IsValid() && old.Addr != a.Addr {
		_ = h.AddrDel(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip4(old.Addr.Addr()), Mask: net.CIDRMask(old.Addr.Bits(), 32)}})
	}
	if a.Router.IsValid() {
		rt := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, Gw: ip4(a.Router)}
		if err := h.RouteReplace(rt); err != nil {
			return fmt.Errorf("default route via %v on %s: %w", a.Router, c.cfg.Interface, err)
		}
	}
	return nil
}

// unconfigure removes the client's address (and with it its routes).
func (c *Client) unconfigure(a Assigned) {
	if !a.Addr.IsValid() {
		return
	}
	h, err := c.handle()
	if err != nil {
		return
	}
	defer h.Close()
	if l, err := h.LinkByName(c.cfg.Interface); err == nil {
		_ = h.AddrDel(l, &netlink.Addr{IPNet: &net.IPNet{IP: ip4(a.Addr.Addr()), Mask: net.CIDRMask(a.Addr.Bits(), 32)}})
	}
}

func (c *Client) handle() (*netlink.Handle, error) {
	ns := netns.None()
	if c.cfg.Netns != "" {
		var err error
		ns, err = netns.GetFromName(c.cfg.Netns)
		if err != nil {
			return nil, fmt.Errorf("open namespace %s: %w", c.cfg.Netns, err)
		}
		defer ns.Close()
	} else {
		return netlink.NewHandle(unix.NETLINK_ROUTE)
	}
	return netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
}

// Assigned returns the address and options the client holds now.
func (c *Client) Assigned() Assigned {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.cur
	a.DNS = append([]netip.Addr(nil), a.DNS...)
	return a
}

// Renew renews the lease now (a REQUEST for the held address).
func (c *Client) Renew(ctx context.Context) error {
	c.mu.Lock()
	lease := c.lease
	c.mu.Unlock()
	nl, err := c.nc.Renew(ctx, lease, c.mods...)
	if err != nil {
		return fmt.Errorf("renew %v on %s: %w", c.Assigned().Addr, c.cfg.Interface, err)
	}
	return c.apply(nl, true)
}

// run renews at the renewal time (T1), retries until the lease ends, and
// starts over with DISCOVER when it has ended.
func (c *Client) run() {
	defer close(c.done)
	for {
		c.mu.Lock()
		cur, ack := c.cur, c.lease.ACK
		c.mu.Unlock()
		t1 := ack.IPAddressRenewalTime(cur.Lease / 2)
		expiry := cur.Obtained.Add(cur.Lease)
		wait := time.Until(cur.Obtained.Add(t1))
		for {
			if !c.sleep(wait) {
				return
			}
			ctx, cancel := c.ctx(time.Until(expiry))
			err := c.Renew(ctx)
			cancel()
			if err == nil {
				break
			}
			left := time.Until(expiry)
			if left <= 0 {
				// The lease ended: drop the address, start over.
				c.unconfigure(cur)
				ctx, cancel := c.ctx(0)
				err := c.acquire(ctx)
				cancel()
				if err != nil && c.stopped() {
					return
				}
				break
			}
			wait = max(left/2, 500*time.Millisecond)
		}
	}
}

// ctx is a context cancelled by Close, and after d if d > 0.
func (c *Client) ctx(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	if d > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), d)
	}
	go func() {
		select {
		case <-c.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

func (c *Client) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// Release gives the address back to the server and removes it from the
// interface; the client stops renewing (call Close after).
func (c *Client) Release() error {
	c.halt()
	c.mu.Lock()
	lease, cur := c.lease, c.cur
	c.mu.Unlock()
	err := c.nc.Release(lease)
	c.unconfigure(cur)
	if err != nil {
		return fmt.Errorf("release %v on %s: %w", cur.Addr, c.cfg.Interface, err)
	}
	return nil
}

func (c *Client) halt() {
	c.once.Do(func() { close(c.stop) })
	<-c.done
}

// Close stops renewing and closes the client's socket. The address stays
// on the interface until its lifetime ends (the kernel removes it).
func (c *Client) Close() error {
	c.halt()
	err := c.nc.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
