// SPDX-License-Identifier: MIT

package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/vmedium/vmedium/medium/dhcp"
)

// The DHCP servers' leases kept in the state directory (leases.json),
// so a restarted lab gives each station its address back.

// leaseSaveInterval is how often changed leases are written to leases.json.
const leaseSaveInterval = 500 * time.Millisecond

// LeasesFileName is the file in the state directory that keeps the DHCP
// servers' leases across restarts (by AP name). Unlike lab.json it stays
// when the lab stops.
const LeasesFileName = "leases.json"

// RemoveLeasesFile deletes leases.json (missing is fine): `vmedium run
// --reset` starts with empty lease tables.
func RemoveLeasesFile(dir string) error {
	err := os.Remove(filepath.Join(dir, LeasesFileName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove DHCP leases: %w", err)
	}
	return nil
}

// loadLeases reads leases.json (none: an empty table).
func loadLeases(dir string) (map[string][]dhcp.Lease, error) {
	p := filepath.Join(dir, LeasesFileName)
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read DHCP leases: %w", err)
	}
	var out map[string][]dhcp.Lease
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("read DHCP leases %s: %w", p, err)
	}
	return out, nil
}

// saveLeases writes the servers' bound leases to leases.json when they
// changed since the last write (temp file, fsync, rename). Servers of
// other APs in the file (a lab that had them before) are kept.
func (l *Lab) saveLeases() error {
	l.net.mu.Lock()
	defer l.net.mu.Unlock()
	if len(l.net.servers) == 0 {
		return nil
	}
	all, err := loadLeases(l.stateDir)
	if err != nil || all == nil {
		all = map[string][]dhcp.Lease{}
	}
	for name, s := range l.net.servers {
		all[name] = s.Snapshot()
	}
	data, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("write DHCP leases: %w", err)
	}
	if string(data) == l.net.saved {
		return nil
	}
	f, err := os.CreateTemp(l.stateDir, LeasesFileName+".tmp*")
	if err != nil {
		return fmt.Errorf("write DHCP leases: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(append(data, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write DHCP leases %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, filepath.Join(l.stateDir, LeasesFileName)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write DHCP leases: %w", err)
	}
	l.net.saved = string(data)
	return nil
}

// keepLeases writes changed leases every leaseSaveInterval until the lab
// closes, so a crash loses at most that much.
func (l *Lab) keepLeases(done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(leaseSaveInterval)
	defer t.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
			if err := l.saveLeases(); err != nil {
				l.log.Warn("DHCP leases not saved", "err", err)
			}
		}
	}
}
