// SPDX-License-Identifier: MIT

package netnsutil_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vishvananda/netns"

	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

func TestValidName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", "x\x00y", string(make([]byte, 65))} {
		if err := netnsutil.ValidName(bad); err == nil {
			t.Errorf("netnsutil.ValidName(%q) accepted", bad)
		}
	}
	if err := netnsutil.ValidName("ns0"); err != nil {
		t.Error(err)
	}
}

func TestRootLifecycle(t *testing.T) {
	testutil.NeedRoot(t, "creates a network namespace")
	name := fmt.Sprintf("vmnsu%d", os.Getpid())
	if err := netnsutil.Create(name); err != nil {
		t.Fatal(err)
	}
	defer netnsutil.Delete(name)
	if !netnsutil.Exists(name) {
		t.Fatal("created namespace does not exist")
	}
	if err := netnsutil.Create(name); !errors.Is(err, netnsutil.ErrExists) {
		t.Fatalf("second Create: %v, want netnsutil.ErrExists", err)
	}

	// Do runs inside the namespace and restores the caller's afterwards.
	want, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	before, _ := netns.Get()
	defer before.Close()
	var inside bool
	if err := netnsutil.Do(name, func() error {
		cur, err := netns.Get()
		if err != nil {
			return err
		}
		defer cur.Close()
		inside = cur.Equal(want)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !inside {
		t.Error("fn did not run inside the namespace")
	}
	after, _ := netns.Get()
	defer after.Close()
	if !after.Equal(before) {
		t.Error("namespace not restored after Do")
	}
	sentinel := errors.New("from fn")
	if err := netnsutil.Do(name, func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do returned %v, want fn's error", err)
	}

	// Create brought the loopback up.
	h, err := netnsutil.Handle(name)
	if err != nil {
		t.Fatal(err)
	}
	lo, err := h.LinkByName("lo")
	h.Close()
	if err != nil {
		t.Fatalf("loopback in %s: %v", name, err)
	}
	if lo.Attrs().Flags&1 == 0 {
		t.Errorf("loopback in %s has flags %v; want up", name, lo.Attrs().Flags)
	}

	if err := netnsutil.Delete(name); err != nil {
		t.Fatal(err)
	}
	if netnsutil.Exists(name) {
		t.Error("namespace exists after Delete")
	}
	if err := netnsutil.Delete(name); err != nil {
		t.Errorf("Delete of a missing namespace: %v", err)
	}
	if err := netnsutil.Do(name, func() error { return nil }); err == nil {
		t.Error("Do in a missing namespace succeeded")
	}
}

// TestRootDoFreshThread: fn runs on another OS thread than the caller's,
// so a caller locked to its thread (or a library's) never changes
// namespace, even while fn runs.
func TestRootDoFreshThread(t *testing.T) {
	testutil.NeedRoot(t, "creates a network namespace")
	ns := testutil.NewNetns(t, "vmnsf")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := unix.Gettid()
	before, err := netns.Get()
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	var tid int
	var callerNSDuring bool
	if err := ns.Do(func() error {
		tid = unix.Gettid()
		// The caller's thread, seen from here, is still in its namespace.
		h, err := netns.GetFromThread(os.Getpid(), caller)
		if err != nil {
			return err
		}
		defer h.Close()
		callerNSDuring = h.Equal(before)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if tid == caller {
		t.Errorf("fn ran on the caller's thread %d", tid)
	}
	if !callerNSDuring {
		t.Error("the caller's thread changed namespace while fn ran")
	}
}
