// SPDX-License-Identifier: MIT

// Package netnsutil creates, enters and deletes named network namespaces
// (the ones `ip netns` lists, bind-mounted under /run/netns) for the lab.
//
// Namespace switches are per OS thread: every function here that enters a
// namespace locks the calling goroutine to its thread and restores the
// original namespace before unlocking. If the restore fails the thread is
// left locked, so the Go runtime discards it instead of reusing a thread
// that sits in the wrong namespace.
package netnsutil

import (
	"golang.org/x/sys/unix"

	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Dir is where named namespaces live (as for iproute2's `ip netns`).
const Dir = "/run/netns"

// ErrExists is wrapped when a namespace that should be created exists.
var ErrExists = errors.New("network namespace already exists")

// ValidName checks a namespace name: it becomes a file name under Dir.
func ValidName(name string) error {
	switch {
	case name == "", name == ".", name == "..":
		return fmt.Errorf("invalid network namespace name %q: accepted is a non-empty file name such as ns0", name)
	case strings.ContainsAny(name, "/\x00"):
		return fmt.Errorf("invalid network namespace name %q: it must not contain '/'", name)
	case len(name) > 64:
		return fmt.Errorf("invalid network namespace name %q: accepted is at most 64 characters", name)
	}
	return nil
}

// Exists reports whether the named namespace exists.
func Exists(name string) bool {
	_, err := os.Stat(filepath.Join(Dir, name))
	return err == nil
}

// Create makes a new named network namespace with its loopback up, like
// `ip netns add NAME`. An existing one is an error wrapping ErrExists.
func Create(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if Exists(name) {
		return fmt.Errorf("create network namespace %s: %w", name, ErrExists)
	}
	if err := onFreshThread(func() error { return createNamed(name) }); err != nil {
		return err
	}
	if err := setLoopbackUp(name); err != nil {
		_ = Delete(name)
		return err
	}
	return nil
}

// createNamed makes the namespace with netns.NewNamed, which switches the
// calling thread into it, and switches back. It runs on onFreshThread.
func createNamed(name string) error {
	orig, err := netns.Get()
	if err != nil {
		return fmt.Errorf("create network namespace %s: get current namespace: %w", name, err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name) // switches this thread into the new namespace
	if err != nil {
		// NewNamed may have switched before failing; restore either way.
		if rerr := netns.Set(orig); rerr != nil {
			return errThreadLost{fmt.Errorf("create network namespace %s: %w (and restore: %v)", name, err, rerr)}
		}
		// NewNamed leaves the empty mount-point file behind when the bind
		// mount fails; remove it so the name is free again.
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create network namespace %s: %w", name, ErrExists)
		}
		_ = os.Remove(filepath.Join(Dir, name))
		return fmt.Errorf("create network namespace %s: %w", name, err)
	}
	ns.Close()
	if err := netns.Set(orig); err != nil {
		return errThreadLost{fmt.Errorf("create network namespace %s: restore original namespace: %w", name, err)}
	}
	return nil
}

// errThreadLost marks an error after which the OS thread may sit in the
// wrong namespace: onFreshThread then keeps it locked, so the runtime
// discards it.
type errThreadLost struct{ error }

func (e errThreadLost) Unwrap() error { return e.error }

// onFreshThread runs fn on a new goroutine locked to its OS thread and
// waits for it. The thread is unlocked (reused) afterwards unless fn
// returns an errThreadLost.
func onFreshThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := fn()
		var lost errThreadLost
		if !errors.As(err, &lost) {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

func setLoopbackUp(name string) error {
	h, err := Handle(name)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("namespace %s: find loopback: %w", name, err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("namespace %s: set loopback up: %w", name, err)
	}
	return nil
}

// Delete removes the named namespace (unmount and remove its file), like
// `ip netns delete NAME`. Devices in it vanish with it once no process
// holds it. A namespace that does not exist is not an error.
func Delete(name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if !Exists(name) {
		return nil
	}
	if err := netns.DeleteNamed(name); err != nil {
		// Not mounted (e.g. a leftover file from a crash mid-create):
		// removing the file is all there is to do.
		if rerr := os.Remove(filepath.Join(Dir, name)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			return fmt.Errorf("delete network namespace %s: %w", name, err)
		}
	}
	return nil
}

// Handle returns a netlink handle operating inside the named namespace.
// Close it when done.
func Handle(name string) (*netlink.Handle, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("open network namespace %s: %w", name, err)
	}
	defer ns.Close()
	// Route only: with no family given the library also opens XFRM and
	// netfilter sockets, which fail on kernels without those modules.
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in namespace %s: %w", name, err)
	}
	return h, nil
}

// Do runs fn inside the named namespace. See DoPath.
func Do(name string, fn func() error) error {
	return DoPath(filepath.Join(Dir, name), fn)
}

// DoPath runs fn inside the namespace bound at path (e.g. /run/netns/ns1,
// or /proc/PID/ns/net); "" runs fn in the caller's namespace. Use it only
// for calls that bind to the current namespace at creation time (opening
// /dev/net/tun, creating sockets, starting a process).
//
// fn runs on a fresh goroutine locked to its OS thread, never on the
// caller's: the caller's goroutine (which may itself be locked to a thread,
// or be switched by a library) never changes namespace, and a thread whose
// namespace cannot be restored is not unlocked, so the runtime discards it
// when that goroutine ends instead of reusing a thread in the wrong
// namespace.
func DoPath(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	ns, err := netns.GetFromPath(path)
	if err != nil {
		return fmt.Errorf("open network namespace %s: %w", path, err)
	}
	defer ns.Close()
	return onFreshThread(func() error {
		orig, err := netns.Get()
		if err != nil {
			return fmt.Errorf("get current network namespace: %w", err)
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			// The thread may be half-switched: let it die with its goroutine.
			return errThreadLost{fmt.Errorf("enter network namespace %s: %w", path, err)}
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			return errThreadLost{errors.Join(ferr, fmt.Errorf("restore network namespace after %s: %w", path, err))}
		}
		return ferr
	})
}
