// SPDX-License-Identifier: MIT

package hostap

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process identifies a started daemon process: its PID and its start time
// (field 22 of /proc/PID/stat, clock ticks after boot), so that a later
// run can tell the same process from a new one that reuses the PID.
type Process struct {
	PID   int
	Start uint64
}

// ErrNotSame is wrapped by Kill when the PID no longer belongs to the
// recorded process (it exited, and maybe the PID was reused).
var ErrNotSame = errors.New("process is gone or its PID was reused")

// ProcessStart returns field 22 (starttime, clock ticks after boot) of
// /proc/PID/stat, which with the PID identifies a process for good.
func ProcessStart(pid int) (uint64, error) {
	_, start, err := procStat(pid)
	return start, err
}

// procStat returns the state letter (field 3) and starttime (field 22) of
// /proc/PID/stat.
func procStat(pid int) (state byte, start uint64, err error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) may contain spaces and parentheses;
	// fields restart after its last closing parenthesis.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: no ')'", pid)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); starttime is field 22 → f[19].
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: starttime: %w", pid, err)
	}
	return f[0][0], start, nil
}

// Alive reports whether p still runs: its PID exists, is not a zombie and,
// when p.Start is known, started at p.Start.
func Alive(p Process) bool {
	if p.PID <= 0 {
		return false
	}
	state, start, err := procStat(p.PID)
	if err != nil || state == 'Z' || state == 'X' {
		return false
	}
	return p.Start == 0 || start == p.Start
}

// Kill ends a process a dead run left behind: SIGKILL, only when p is still
// the recorded process (an error wrapping ErrNotSame otherwise), then waits
// up to timeout until it is gone.
func Kill(p Process, timeout time.Duration) error {
	if p.Start == 0 {
		return fmt.Errorf("pid %d without a recorded start time: %w", p.PID, ErrNotSame)
	}
	if !Alive(p) {
		return fmt.Errorf("pid %d: %w", p.PID, ErrNotSame)
	}
	if err := syscall.Kill(p.PID, syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill pid %d: %w", p.PID, err)
	}
	for deadline := time.Now().Add(timeout); Alive(p); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d still runs %v after SIGKILL", p.PID, timeout)
		}
	}
	return nil
}
