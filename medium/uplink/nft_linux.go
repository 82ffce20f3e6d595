// SPDX-License-Identifier: MIT

package uplink

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// withNft runs fn with an nftables connection inside the named namespace.
func withNft(name string, fn func(*nftables.Conn) error) error {
	ns, err := openNS(name)
	if err != nil {
		return err
	}
	defer ns.Close()
	c, err := nftables.New(nftables.WithNetNSFd(int(ns)))
	if err != nil {
		return fmt.Errorf("nftables in %s: %w", nsLabel(name), err)
	}
	return fn(c)
}

// ifnameData is an interface name as nftables compares it: IFNAMSIZ
// bytes, zero padded.
func ifnameData(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

// saddrMatch matches packets whose source address is inside p (in an inet
// table, after the family check).
func saddrMatch(p netip.Prefix) []expr.Any {
	proto, off, n := byte(unix.NFPROTO_IPV4), uint32(12), uint32(4)
	if p.Addr().Is6() {
		proto, off, n = unix.NFPROTO_IPV6, 8, 16
	}
	mask := make([]byte, n)
	for i := 0; i < p.Bits(); i++ {
		mask[i/8] |= 0x80 >> (i % 8)
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: n, Mask: mask, Xor: make([]byte, n)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: p.Masked().Addr().AsSlice()},
	}
}

// markChain names the regular (unhooked, empty) chain that records in a
// table the value a sysctl had before the first vmedium lab changed it.
func markChain(key, was string) string { return markPrefix + key + "=" + was }

const markPrefix = "was "

// addMasqTable creates table inet NAME in a namespace with a postrouting
// NAT chain that masquerades packets from each prefix leaving through oif
// (no such chain when prefixes is empty: the table then only marks that a
// lab relies on this namespace's forwarding), and one empty regular chain
// per sysctl mark. One batch: all or nothing.
func addMasqTable(netnsName, name, oif string, prefixes []netip.Prefix, marks ...SysctlRef) error {
	return withNft(netnsName, func(c *nftables.Conn) error {
		t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: name})
		for _, m := range marks {
			c.AddChain(&nftables.Chain{Name: markChain(m.Key, m.Was), Table: t})
		}
		if len(prefixes) > 0 {
			ch := c.AddChain(&nftables.Chain{
				Name:     "postrouting",
				Table:    t,
				Type:     nftables.ChainTypeNAT,
				Hooknum:  nftables.ChainHookPostrouting,
				Priority: nftables.ChainPriorityNATSource,
			})
			for _, p := range prefixes {
				ex := []expr.Any{
					&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
					&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifnameData(oif)},
				}
				ex = append(ex, saddrMatch(p)...)
				ex = append(ex, &expr.Counter{}, &expr.Masq{})
				c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: ex})
			}
		}
		if err := c.Flush(); err != nil {
			return fmt.Errorf("create nftables table inet %s in %s: %w", name, nsLabel(netnsName), err)
		}
		return nil
	})
}

// markedSysctl looks in the other vmedium tables of a namespace for the
// value key had before a vmedium lab changed it.
func markedSysctl(netnsName, key string) (string, bool, error) {
	var was string
	var found bool
	err := withNft(netnsName, func(c *nftables.Conn) error {
		chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyINet)
		if err != nil {
			return fmt.Errorf("list nftables chains in %s: %w", nsLabel(netnsName), err)
		}
		for _, ch := range chains {
			if ch.Table == nil || !strings.HasPrefix(ch.Table.Name, TablePrefix) {
				continue
			}
			if v, ok := strings.CutPrefix(ch.Name, markPrefix+key+"="); ok {
				was, found = v, true
				return nil
			}
		}
		return nil
	})
	return was, found, err
}

// tableExists reports whether table inet NAME exists in a namespace.
func tableExists(netnsName, name string) (bool, error) {
	names, err := vmediumTables(netnsName)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == name {
			return true, nil
		}
	}
	return false, nil
}

// vmediumTables lists the inet tables of vmedium (named TablePrefix…) in
// a namespace. Other tables are only read past, never touched.
func vmediumTables(netnsName string) ([]string, error) {
	var out []string
	err := withNft(netnsName, func(c *nftables.Conn) error {
		ts, err := c.ListTablesOfFamily(nftables.TableFamilyINet)
		if err != nil {
			return fmt.Errorf("list nftables tables in %s: %w", nsLabel(netnsName), err)
		}
		for _, t := range ts {
			if strings.HasPrefix(t.Name, TablePrefix) {
				out = append(out, t.Name)
			}
		}
		return nil
	})
	return out, err
}

// VmediumTables lists vmedium's nftables tables (inet, named
// "vmedium-…") in a namespace ("" = vmedium's own): for tests and for
// `vmctl` to show what is installed.
func VmediumTables(netnsName string) ([]string, error) { return vmediumTables(netnsName) }

// delTable deletes table inet NAME in a namespace if it is there.
func delTable(netnsName, name string) error {
	ok, err := tableExists(netnsName, name)
	if err != nil || !ok {
		return err
	}
	return withNft(netnsName, func(c *nftables.Conn) error {
		c.DelTable(&nftables.Table{Family: nftables.TableFamilyINet, Name: name})
		if err := c.Flush(); err != nil {
			return fmt.Errorf("delete nftables table inet %s in %s: %w", name, nsLabel(netnsName), err)
		}
		return nil
	})
}
