// SPDX-License-Identifier: MIT

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// clash is one resource a running instance holds that this run needs, and
// the flag or config key that picks another.
type clash struct {
	resource string // "control socket /run/vmedium/vmedium.sock"
	holder   string // who holds it
	fix      string
}

// ClashError refuses a run that would collide with a running instance. It
// names every clashing resource at once; nothing was built or changed.
type ClashError struct {
	Clashes []clash
}

func (e *ClashError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "refusing to start: what this run needs is taken (another vmedium running?); nothing was started or changed:")
	for _, c := range e.Clashes {
		fmt.Fprintf(&b, "\n  - %s: %s; %s", c.resource, c.holder, c.fix)
	}
	return b.String()
}

// preflight checks, before anything is built, every resource this run
// would take that a running instance may hold: the control socket, the
// metrics address, the state directory's lab.json and the lab's
// namespaces. It returns the metrics listener (taken, so nobody takes the
// address in between), or a *ClashError naming every clash.
func preflight(f *runFlags, cfg *lab.Config) (net.Listener, error) {
	var clashes []clash
	if holder, ok := socketHolder(f.socket); ok {
		clashes = append(clashes, clash{"control socket " + f.socket, holder,
			"give this run another with --socket PATH"})
	}
	var metricsLn net.Listener
	if f.metricsAddr != "" {
		ln, err := net.Listen("tcp", f.metricsAddr)
		switch {
		case errors.Is(err, syscall.EADDRINUSE):
			clashes = append(clashes, clash{"metrics address " + f.metricsAddr, "in use",
				"give this run another with --metrics-addr HOST:PORT (or --metrics-addr off)"})
		case err != nil:
			return nil, fmt.Errorf("metrics: %w", err)
		default:
			metricsLn = ln
		}
	}
	st, ok, err := lab.ReadStateFile(f.stateDir)
	liveLab := ok && err == nil && st.PID != os.Getpid() && st.ProcessAlive()
	if liveLab {
		clashes = append(clashes, clash{"state directory " + f.stateDir,
			fmt.Sprintf("%s records the running lab of pid %d", filepath.Join(f.stateDir, lab.StateFileName), st.PID),
			"give this run another with --state-dir DIR"})
	}
	if cfg != nil {
		for _, ns := range cfg.Namespaces() {
			if !netnsutil.Exists(ns) {
				continue
			}
			recorded := ok && err == nil && slices.Contains(st.Namespaces, ns)
			switch {
			case recorded && liveLab:
				clashes = append(clashes, clash{"network namespace " + ns,
					fmt.Sprintf("belongs to the running lab of pid %d", st.PID),
					"give this lab other namespaces (netns: in the --config file)"})
			case recorded:
				// Left by a dead run of this state directory: the lab
				// removes it before building.
			case !f.reuseNetns:
				clashes = append(clashes, clash{"network namespace " + ns, "exists",
					"give this lab other namespaces (netns: in the --config file), or use it as it is with --reuse-netns"})
			}
		}
	}
	if len(clashes) > 0 {
		if metricsLn != nil {
			metricsLn.Close()
		}
		return nil, &ClashError{Clashes: clashes}
	}
	return metricsLn, nil
}

// socketHolder reports whether something answers on the socket at path (a
// running vmedium), and what.
func socketHolder(path string) (string, bool) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return "", false // missing, or not a socket: Listen says so
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	switch {
	case err == nil:
		c.Close()
		return "a running vmedium answers on it", true
	case errors.Is(err, os.ErrPermission):
		return "a socket this user may not open (another user's vmedium?)", true
	}
	return "", false // stale: nobody answers, Listen replaces it
}
