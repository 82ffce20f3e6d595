// SPDX-License-Identifier: MIT

package hostap

import (
	"context"

	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/medium/netnsutil"
)

// DaemonConfig says how to run one daemon.
type DaemonConfig struct {
	Name  string   // for messages, e.g. "hostapd vw0"
	Netns string   // named network namespace to run in ("" = vmedium's own)
	Bin   string   // executable (looked up in PATH)
	Args  []string // its arguments
	Log   string   // file that receives its stdout and stderr (appended)
	// Restart, when set, starts the daemon again after it exits by
	// itself (not through Stop), at most once per RestartDelay.
	Restart      bool
	RestartDelay time.Duration // 0 = 1 s
	// OnStart is called after every start with the new process, before
	// it can have done anything visible (its PID is known only after
	// fork): callers record it for the crash cleanup of a later run.
	OnStart func(Process)
	Logger  *slog.Logger // nil = discard
}

// Daemon is a running (and supervised) daemon.
type Daemon struct {
	cfg DaemonConfig
	log *slog.Logger

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current process exits
	stopped bool
	starts  int

	done chan struct{} // closed when supervision ends (Stop, or exit without Restart)
}

// Start starts the daemon in its namespace. The process inherits the
// namespace of the OS thread that forks it, so it is forked from inside
// netnsutil.Do.
func Start(cfg DaemonConfig) (*Daemon, error) {
	if _, err := exec.LookPath(cfg.Bin); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	if cfg.RestartDelay == 0 {
		cfg.RestartDelay = time.Second
	}
	d := &Daemon{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if err := d.startOnce(); err != nil {
		return nil, err
	}
	go d.supervise()
	return d, nil
}

func (d *Daemon) startOnce() error {
	logf, err := os.OpenFile(d.cfg.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s: log file: %w", d.cfg.Name, err)
	}
	defer logf.Close()
	cmd := exec.Command(d.cfg.Bin, d.cfg.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a terminal's ^C reaches vmedium, which stops
	// the daemons in order, not the daemons behind its back.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := cmd.Start
	if d.cfg.Netns != "" {
		err = netnsutil.Do(d.cfg.Netns, start)
	} else {
		err = start()
	}
	if err != nil {
		return fmt.Errorf("start %s in %s: %w", d.cfg.Name, d.cfg.Netns, err)
	}
	p := Process{PID: cmd.Process.Pid}
	if st, err := ProcessStart(p.PID); err == nil {
		p.Start = st
	}
	exited := make(chan struct{})
	d.mu.Lock()
	d.cmd, d.exited = cmd, exited
	d.starts++
	d.mu.Unlock()
	if d.cfg.OnStart != nil {
		d.cfg.OnStart(p)
	}
	go func() {
		err := cmd.Wait()
		d.log.Debug("daemon exited", "daemon", d.cfg.Name, "pid", p.PID, "err", err)
		close(exited)
	}()
	return nil
}

// supervise waits for each process to exit and restarts it when asked to.
func (d *Daemon) supervise() {
	defer close(d.done)
	for {
		d.mu.Lock()
		exited := d.exited
		d.mu.Unlock()
		<-exited
		d.mu.Lock()
		stopped := d.stopped
		d.mu.Unlock()
		if stopped || !d.cfg.Restart {
			if !stopped {
				d.log.Warn("daemon exited", "daemon", d.cfg.Name, "log", d.cfg.Log)
			}
			return
		}
		d.log.Warn("daemon exited; restarting", "daemon", d.cfg.Name, "log", d.cfg.Log, "delay", d.cfg.RestartDelay)
		time.Sleep(d.cfg.RestartDelay)
		d.mu.Lock()
		stopped = d.stopped
		d.mu.Unlock()
		if stopped {
			return
		}
		if err := d.startOnce(); err != nil {
			d.log.Error("daemon restart failed", "daemon", d.cfg.Name, "err", err)
			return
		}
	}
}

// Process returns the current process.
func (d *Daemon) Process() Process {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := Process{PID: d.cmd.Process.Pid}
	if st, err := ProcessStart(p.PID); err == nil {
		p.Start = st
	}
	return p
}

// Starts is how often the daemon was started (1 + restarts).
func (d *Daemon) Starts() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.starts
}

// Exited is closed when the current process has exited.
func (d *Daemon) Exited() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.exited
}

// Done is closed when the daemon is gone for good: stopped, or exited
// without Restart (or a restart failed).
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Stop ends supervision and the process: SIGTERM, and SIGKILL when it has
// not exited after timeout. Safe to call more than once.
func (d *Daemon) Stop(timeout time.Duration) error {
	d.mu.Lock()
	d.stopped = true
	cmd, exited := d.cmd, d.exited
	d.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	<-d.done
	return nil
}

// Wait waits until ctx ends or ready returns true, polling every interval;
// it fails early when the daemon is gone for good.
func (d *Daemon) Wait(ctx context.Context, interval time.Duration, ready func() bool) error {
	for {
		if ready() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.done:
			return fmt.Errorf("%s exited; see %s", d.cfg.Name, d.cfg.Log)
		case <-time.After(interval):
		}
	}
}
