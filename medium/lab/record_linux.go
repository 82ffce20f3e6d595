// SPDX-License-Identifier: MIT

package lab

import (
	"github.com/vmedium/vmedium/medium/hostap"
)

// RecordProcess adds (or, for a restarted daemon of the same name,
// replaces) a daemon in lab.json as soon as it has started, so a crash
// leaves it listed for the next run's cleanup.
func (l *Lab) RecordProcess(name, ctrl string, p hostap.Process) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	rec := Process{Name: name, PID: p.PID, Start: p.Start, Ctrl: ctrl}
	replaced := false
	for i := range l.state.Processes {
		if l.state.Processes[i].Name == name {
			l.state.Processes[i], replaced = rec, true
		}
	}
	if !replaced {
		l.state.Processes = append(l.state.Processes, rec)
	}
	return WriteStateFile(l.stateDir, l.state)
}

// RecordRadio adds a kernel radio to lab.json before it is created.
func (l *Lab) RecordRadio(kind, wiphy string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Radios = append(l.state.Radios, Radio{Kind: kind, Wiphy: wiphy})
	return WriteStateFile(l.stateDir, l.state)
}
