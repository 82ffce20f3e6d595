// SPDX-License-Identifier: MIT

package control

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStatusWaitLongPoll: status says starting until the daemon sets live;
// a waiting request answers at the change, not at the end of its wait; a
// wait that ends first answers starting and WaitLive says ErrNotLive.
func TestStatusWaitLongPoll(t *testing.T) {
	m, _ := newTestMedium(t)
	ready := NewReadiness()
	c := serve(t, m, Options{Ready: ready})
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.State != PhaseStarting {
		t.Fatalf("status before ready: %+v %v, want starting", st, err)
	}
	if _, err := c.WaitLive(ctx, 150*time.Millisecond); !errors.Is(err, ErrNotLive) || !strings.Contains(err.Error(), "still starting") {
		t.Fatalf("WaitLive while starting: %v, want ErrNotLive", err)
	}

	const liveAfter = 300 * time.Millisecond
	go func() {
		time.Sleep(liveAfter)
		ready.Set(PhaseLive)
	}()
	t0 := time.Now()
	st, err = c.StatusWait(ctx, 10*time.Second)
	took := time.Since(t0)
	if err != nil || st.State != PhaseLive {
		t.Fatalf("status?wait: %+v %v, want live", st, err)
	}
	if took < liveAfter-50*time.Millisecond || took > 3*time.Second {
		t.Fatalf("status?wait answered after %v, want at the change (~%v)", took, liveAfter)
	}
	t.Logf("long poll answered %v after the request (live set after %v)", took.Round(time.Millisecond), liveAfter)
	if st, err := c.WaitLive(ctx, time.Second); err != nil || st.State != PhaseLive {
		t.Fatalf("WaitLive when live: %+v %v", st, err)
	}

	for _, q := range []string{"wait=forever", "wait=-1s", "wait=2h", "later=1s"} {
		var out Status
		if err := c.do(ctx, "GET", "/v1/status?"+q, nil, &out); !IsBadInput(err) {
			t.Errorf("status?%s: %v, want 400", q, err)
		}
	}
}

// TestWaitLiveDaemonAppears: a daemon that starts listening during the wait
// is found; none at all is ErrNotRunning when the wait ends.
func TestWaitLiveDaemonAppears(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "vmedium.sock")
	c := NewClient(sock)
	t0 := time.Now()
	if _, err := c.WaitLive(context.Background(), 200*time.Millisecond); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("WaitLive without a daemon: %v, want ErrNotRunning", err)
	}
	if d := time.Since(t0); d < 200*time.Millisecond || d > 2*time.Second {
		t.Fatalf("WaitLive without a daemon returned after %v, want at the end of its 200ms", d)
	}

	m, _ := newTestMedium(t)
	ready := NewReadiness()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		time.Sleep(200 * time.Millisecond)
		ln, err := Listen(sock)
		if err != nil {
			done <- err
			return
		}
		ready.Set(PhaseLive)
		done <- Serve(ctx, ln, Options{Medium: m, Ready: ready})
	}()
	st, err := c.WaitLive(context.Background(), 5*time.Second)
	cancel()
	if serr := <-done; serr != nil {
		t.Fatal(serr)
	}
	if err != nil || st.State != PhaseLive {
		t.Fatalf("WaitLive with a daemon starting late: %+v %v", st, err)
	}
}

// TestDialErrorClassification: EACCES/EPERM on connect is a permission
// error naming the socket and the fixes, not "not running".
func TestDialErrorClassification(t *testing.T) {
	sock := "/run/vmedium/vmedium.sock"
	for _, errno := range []syscall.Errno{syscall.EACCES, syscall.EPERM} {
		err := dialError(sock, &os.SyscallError{Syscall: "connect", Err: errno})
		if !errors.Is(err, ErrPermission) || errors.Is(err, ErrNotRunning) {
			t.Fatalf("%v: %v, want ErrPermission", errno, err)
		}
		for _, want := range []string{"permission denied", sock, "sudo", "--socket"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%v: %q lacks %q", errno, err, want)
			}
		}
	}
	for _, errno := range []syscall.Errno{syscall.ENOENT, syscall.ECONNREFUSED} {
		if err := dialError(sock, &os.SyscallError{Syscall: "connect", Err: errno}); !errors.Is(err, ErrNotRunning) || errors.Is(err, ErrPermission) {
			t.Fatalf("%v: %v, want ErrNotRunning", errno, err)
		}
	}
}
