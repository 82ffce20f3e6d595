// SPDX-License-Identifier: MIT

package uplink

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// selfNetns is the namespace vmedium itself runs in (its main thread's),
// which a namespace name of "" stands for.
const selfNetns = "/proc/self/ns/net"

// nsPath is the file of a namespace name ("" = vmedium's own).
func nsPath(name string) string {
	if name == "" {
		return selfNetns
	}
	return filepath.Join(netnsutil.Dir, name)
}

// nsLabel names a namespace in messages.
func nsLabel(name string) string {
	if name == "" {
		return "the host namespace"
	}
	return "namespace " + name
}

// nsGone reports whether a named namespace no longer exists (everything
// that was in it went with it). The host namespace never goes.
func nsGone(name string) bool { return name != "" && !netnsutil.Exists(name) }

// openNS opens a namespace by name; close the handle when done.
func openNS(name string) (netns.NsHandle, error) {
	ns, err := netns.GetFromPath(nsPath(name))
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", nsLabel(name), err)
	}
	return ns, nil
}

// routeHandle is a rtnetlink handle inside the named namespace.
func routeHandle(name string) (*netlink.Handle, error) {
	ns, err := openNS(name)
	if err != nil {
		return nil, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink handle in %s: %w", nsLabel(name), err)
	}
	return h, nil
}

// retryDump repeats a netlink dump that the kernel interrupted (the
// tables changed under it), a few times.
func retryDump[T any](fn func() (T, error)) (T, error) {
	var v T
	var err error
	for range 5 {
		v, err = fn()
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return v, err
		}
	}
	return v, err
}

// sysctlFile is the /proc/sys path of a dotted key.
func sysctlFile(key string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
}

// readSysctl reads a sysctl inside a namespace (/proc/sys/net follows the
// namespace of the thread that opens it).
func readSysctl(name, key string) (string, error) {
	var v string
	err := netnsutil.DoPath(nsPath(name), func() error {
		b, err := os.ReadFile(sysctlFile(key))
		v = strings.TrimSpace(string(b))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("read %s in %s: %w", key, nsLabel(name), err)
	}
	return v, nil
}

// writeSysctl writes a sysctl inside a namespace.
func writeSysctl(name, key, val string) error {
	err := netnsutil.DoPath(nsPath(name), func() error {
		return os.WriteFile(sysctlFile(key), []byte(val), 0o644)
	})
	if err != nil {
		return fmt.Errorf("set %s=%s in %s: %w", key, val, nsLabel(name), err)
	}
	return nil
}

// noDAD switches duplicate address detection off on a link before it goes
// up, so its link-local address is usable at once: neighbor solicitations
// for forwarded packets (whose source is not local) come from it, and
// while it is tentative the first packets wait about a second. The
// setting goes with the link. A kernel without IPv6 has no file: fine.
func noDAD(netnsName, ifname string) error {
	path := filepath.Join("/proc/sys/net/ipv6/conf", ifname, "accept_dad")
	err := netnsutil.DoPath(nsPath(netnsName), func() error {
		return os.WriteFile(path, []byte("0"), 0o644)
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("switch off duplicate address detection on %s in %s: %w", ifname, nsLabel(netnsName), err)
	}
	return nil
}
