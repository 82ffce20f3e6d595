// SPDX-License-Identifier: MIT

package lab

import (
	"errors"
	"fmt"

	"github.com/vmedium/vmedium/medium/uplink"
)

// The APs' uplinks in the lab's life: recorded in lab.json before they
// are built, removed on Close, reaped by the next run after a crash.

// upUplink records an AP's uplink in lab.json, builds it, records what
// was built and registers its removal.
func (l *Lab) upUplink(r RadioConfig, uc uplink.Config) error {
	plan, err := uplink.Plan(uc)
	if err != nil {
		return fmt.Errorf("radio %s: uplink: %w", r.Name, err)
	}
	if err := l.recordUplink(plan); err != nil {
		return err
	}
	u, err := uplink.Setup(uc)
	if err != nil {
		return fmt.Errorf("radio %s: uplink: %w", r.Name, err)
	}
	rec := u.Record()
	if err := l.recordUplink(rec); err != nil {
		return errors.Join(err, u.Close())
	}
	l.OnClose(func() error {
		if err := u.Close(); err != nil {
			return err
		}
		return l.forgetUplink(rec.Lab)
	})
	side := "the host"
	if uc.HostNetns != "" {
		side = "namespace " + uc.HostNetns
	}
	via := ""
	if uc.Via != "" {
		via = " out of " + uc.Via
	}
	l.Progressf("%s: uplink %s: %s %v in %s ↔ %s %v in %s%s, nftables table inet %s",
		r.Name, uc.Mode, rec.APIf, rec.APAddrs[0], r.Netns, rec.HostIf, rec.HostAddrs[0], side, via, uplink.TableName(rec.Lab))
	return nil
}

// recordUplink adds (or replaces, by lab name) an uplink record in lab.json.
func (l *Lab) recordUplink(rec uplink.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	replaced := false
	for i := range l.state.Uplinks {
		if l.state.Uplinks[i].Lab == rec.Lab {
			l.state.Uplinks[i], replaced = rec, true
		}
	}
	if !replaced {
		l.state.Uplinks = append(l.state.Uplinks, rec)
	}
	return WriteStateFile(l.stateDir, l.state)
}

// forgetUplink drops a removed uplink's record from lab.json.
func (l *Lab) forgetUplink(name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.state.Uplinks[:0]
	for _, u := range l.state.Uplinks {
		if u.Lab != name {
			out = append(out, u)
		}
	}
	l.state.Uplinks = out
	return WriteStateFile(l.stateDir, l.state)
}

// reapUplinks removes the uplinks a dead run recorded (before its
// namespaces go: the tables in them are removed by name first).
func (l *Lab) reapUplinks(st StateFile) error {
	var errs []error
	for _, rec := range st.Uplinks {
		if err := uplink.Reap(rec); err != nil {
			errs = append(errs, fmt.Errorf("reap stale uplink left by pid %d: %w", st.PID, err))
			continue
		}
		l.Progressf("removed stale uplink %s (veth %s, table inet %s) left by pid %d", rec.Lab, rec.HostIf, uplink.TableName(rec.Lab), st.PID)
		l.log.Info("removed stale uplink", "uplink", rec.Lab, "veth", rec.HostIf, "pid", st.PID)
	}
	return errors.Join(errs...)
}
