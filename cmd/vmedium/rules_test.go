// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/lab"
)

// chattyLab is a lab builder whose radios talk from the moment they join:
// each radio, as soon as AddRadio returns, broadcasts data frames, so a
// rule put on the medium after the radios would let some through.
type chattyLab struct {
	m      *medium.Medium
	radios []*medium.Radio
	// heard[rx][tx] counts frames rx received from tx.
	mu    sync.Mutex
	heard map[string]map[string]int
}

func (c *chattyLab) Summary() string         { return "chatty lab\n" }
func (c *chattyLab) Backends() []lab.Backend { return nil }
func (c *chattyLab) count(rx, tx string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heard[rx][tx]
}
func (c *chattyLab) Close() error { return nil }
func (c *chattyLab) add(name string, i byte) error {
	port := medium.PortFunc(func(b []byte, _ medium.RxInfo) error {
		f, err := frames.Parse(b)
		if err != nil {
			return err
		}
		tx, ok := c.m.RadioByAddr(f.Addr2())
		if !ok {
			return nil
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.heard[name] == nil {
			c.heard[name] = map[string]int{}
		}
		c.heard[name][tx.Name()]++
		return nil
	})
	r, err := c.m.AddRadio(medium.RadioConfig{Name: name, Kind: medium.KindLocal, Addr: frames.MAC{2, 0, 0, 0, 0x77, i}, FreqMHz: 2437}, port)
	if err != nil {
		return err
	}
	c.radios = append(c.radios, r)
	return nil
}

// broadcast is a data frame from a to everyone.
func broadcast(a frames.MAC) []byte {
	b := make([]byte, 24, 40)
	b[0] = frames.TypeData << 2
	copy(b[4:], frames.Broadcast[:])
	copy(b[10:], a[:])
	copy(b[16:], a[:])
	return append(b, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00, 1, 2, 3, 4)
}

// TestRulesInForceBeforeFirstRadio: `vmedium run` with a saved deny pair
// vw1→vw2 in state.json (and a config whose own deny pair vw2→vw1 the user
// had lifted with vmctl allow): radios that transmit from the instant they
// join never get a frame through that the saved rule forbids, the lifted
// config rule is not put back, and `vmctl deny` lists the saved pair at the
// first moment the status says live.
func TestRulesInForceBeforeFirstRadio(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "lab.yaml")
	pre := fmt.Sprintf("vmrl%d-", os.Getpid()%100000) // namespaces nobody has
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`radios:
  - {name: vw0, role: ap,  netns: %[1]s0, ssid: rl, channel: 6}
  - {name: vw1, role: sta, netns: %[1]s1, ssid: rl, channel: 6}
  - {name: vw2, role: sta, netns: %[1]s2, ssid: rl, channel: 6}
deny:
  - {src: vw2, dst: vw1}
`, pre)), 0o644); err != nil {
		t.Fatal(err)
	}
	stateDir := filepath.Join(dir, "state")
	sf, err := control.OpenState(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := sf.Save(medium.State{Deny: []denylist.Pair{{Src: "vw1", Dst: "vw2"}}}); err != nil {
		t.Fatal(err)
	}

	const frames = 2000
	var built atomic.Pointer[chattyLab]
	oldBuilder, oldCheck := labBuilder, checkKinds
	t.Cleanup(func() { labBuilder, checkKinds = oldBuilder, oldCheck })
	checkKinds = func() []lab.Check { return []lab.Check{{Kind: medium.KindTap, Usable: true}} }
	labBuilder = func(ctx context.Context, f *runFlags, cfg *lab.Config, kind medium.Kind, m *medium.Medium,
		log *slog.Logger, progress io.Writer) (runningLab, error) {
		c := &chattyLab{m: m, heard: map[string]map[string]int{}}
		built.Store(c)
		var wg sync.WaitGroup
		for i, name := range []string{"vw1", "vw2"} {
			if err := c.add(name, byte(i)); err != nil {
				return nil, err
			}
			r := c.radios[i]
			wg.Add(1)
			go func() {
				defer wg.Done()
				f := broadcast(r.Addr())
				for range frames {
					r.Transmit(f, medium.TxOptions{})
				}
			}()
		}
		wg.Wait()
		return c, nil
	}

	runLive(t, dir, cfg, stateDir, func(client *control.Client) {
		ps, err := client.DenyList(context.Background())
		if err != nil || len(ps) != 1 || ps[0] != (denylist.Pair{Src: "vw1", Dst: "vw2"}) {
			t.Errorf("deny pairs when live: %v %v, want only the saved vw1→vw2", ps, err)
		}
		c := built.Load()
		if n := c.count("vw2", "vw1"); n != 0 {
			t.Errorf("vw2 heard %d frames from vw1 although the saved state denies it", n)
		}
		if n := c.count("vw1", "vw2"); n == 0 {
			t.Errorf("vw1 heard nothing from vw2: the config's deny pair, lifted in the saved state, came back")
		} else {
			t.Logf("vw1 heard %d of vw2's frames, vw2 %d of vw1's %d", n, c.count("vw2", "vw1"), frames)
		}
	})
}

// runLive runs `vmedium run` with the lab config cfg (tap backend, the
// test's labBuilder), calls fn once the control API says live, stops it,
// and returns what it logged.
func runLive(t *testing.T, dir, cfg, stateDir string, fn func(*control.Client)) string {
	t.Helper()
	sock := filepath.Join(dir, "vmedium.sock")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut syncBuffer
	go func() {
		done <- runContext(ctx, []string{"--config", cfg, "--socket", sock, "--state-dir", stateDir,
			"--metrics-addr", "off", "--backend", "tap"}, &out, &errOut)
	}()
	client := control.NewClient(sock)
	if _, err := client.WaitLive(context.Background(), 10*time.Second); err != nil {
		cancel()
		<-done
		t.Fatalf("not live: %v\n%s", err, errOut.String())
	}
	fn(client)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("vmedium run exited %d:\n%s", code, errOut.String())
	}
	return errOut.String()
}

// TestSavedStateFollowsItsConfig: a runtime state comes back when the same
// lab config is started again (even reformatted, with other comments), and
// is dropped, with a line saying so, when another config is started: one
// example after another must not inherit the previous one's rules.
func TestSavedStateFollowsItsConfig(t *testing.T) {
	dir := t.TempDir()
	pre := fmt.Sprintf("vmsf%d-", os.Getpid()%100000)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(fmt.Sprintf(body, pre)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.yaml", "radios:\n  - {name: vw0, role: ap,  netns: %[1]s0, ssid: sf, channel: 6}\n  - {name: vw1, role: sta, netns: %[1]s1, ssid: sf, channel: 6}\n")
	a2 := write("a2.yaml", "# the same lab, written another way\nradios:\n  - name: vw0\n    role: ap\n    netns: %[1]s0\n    ssid: sf\n    channel: 6\n  - {name: vw1, role: sta, netns: %[1]s1, ssid: sf, channel: 6}  # a station\n")
	b := write("b.yaml", "radios:\n  - {name: vw0, role: ap,  netns: %[1]s0, ssid: sf, channel: 6}\n  - {name: vw1, role: sta, netns: %[1]s1, ssid: sf, channel: 6}\nlinks:\n  - {src: vw0, dst: vw1, signal: -60}\n")
	stateDir := filepath.Join(dir, "state")

	oldBuilder, oldCheck := labBuilder, checkKinds
	t.Cleanup(func() { labBuilder, checkKinds = oldBuilder, oldCheck })
	checkKinds = func() []lab.Check { return []lab.Check{{Kind: medium.KindTap, Usable: true}} }
	labBuilder = func(ctx context.Context, f *runFlags, cfg *lab.Config, kind medium.Kind, m *medium.Medium,
		log *slog.Logger, progress io.Writer) (runningLab, error) {
		c := &chattyLab{m: m, heard: map[string]map[string]int{}}
		for i, name := range []string{"vw0", "vw1"} {
			if err := c.add(name, byte(i)); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
	run := func(cfg string, fn func(*control.Client)) string { return runLive(t, dir, cfg, stateDir, fn) }
	deny := func(c *control.Client) []denylist.Pair {
		ps, err := c.DenyList(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return ps
	}
	run(a, func(c *control.Client) {
		if _, err := c.Deny(context.Background(), "vw1", "vw0"); err != nil {
			t.Fatal(err)
		}
	})
	run(a2, func(c *control.Client) {
		if ps := deny(c); len(ps) != 1 {
			t.Errorf("same config, written another way: deny pairs %v, want the saved vw1→vw0", ps)
		}
	})
	logs := run(b, func(c *control.Client) {
		if ps := deny(c); len(ps) != 0 {
			t.Errorf("another config: deny pairs %v, want none (the saved state was another config's)", ps)
		}
	})
	if !strings.Contains(logs, "not the one the saved runtime state was made under") {
		t.Errorf("no line saying the saved state was dropped:\n%s", logs)
	}
	run(b, func(c *control.Client) {
		if ps := deny(c); len(ps) != 0 {
			t.Errorf("config b again: deny pairs %v, want none", ps)
		}
	})
}
