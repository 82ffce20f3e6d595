// SPDX-License-Identifier: MIT

package testutil

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// Netns is a named network namespace that lives as long as one test.
type Netns struct{ Name string }

// NewNetns creates a network namespace with a unique name starting with
// prefix (loopback up) and deletes it when t ends. The caller must have
// passed NeedRoot.
func NewNetns(t testing.TB, prefix string) *Netns {
	t.Helper()
	b := make([]byte, 3)
	rand.Read(b)
	name := prefix + hex.EncodeToString(b)
	if err := netnsutil.Create(name); err != nil {
		t.Fatalf("create test namespace: %v", err)
	}
	t.Cleanup(func() {
		if err := netnsutil.Delete(name); err != nil {
			t.Errorf("delete test namespace: %v", err)
		}
	})
	return &Netns{Name: name}
}

// Do runs fn inside the namespace, on a fresh goroutine locked to its own
// OS thread (netnsutil.Do): the test's goroutine never changes namespace.
func (n *Netns) Do(fn func() error) error { return netnsutil.Do(n.Name, fn) }

// RouteHandle returns an rtnetlink handle inside the named namespace
// (netnsutil.Handle: NETLINK_ROUTE only), closed when t ends.
func RouteHandle(t testing.TB, ns string) *netlink.Handle {
	t.Helper()
	h, err := netnsutil.Handle(ns)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// WaitLinkUp waits (3 s at most) until the named link of h is
// operationally up, and fails t otherwise.
func WaitLinkUp(t testing.TB, h *netlink.Handle, name string) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		l, err := h.LinkByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if l.Attrs().OperState == netlink.OperUp {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not up after 3 s: %v", name, l.Attrs().OperState)
		}
	}
}
