// Command hwsimd is a test-only driver for the mac80211_hwsim backend, used
// by the VM scenarios (tests/vm/scenarios/hwsim-*.sh) until cmd/vmedium
// serves --backend hwsim. It runs the medium with the hwsim backend and the
// project's control API, and has a tiny client for that API.
//
//	hwsimd lab    -sock S -state DIR   build the hwsim lab (vw0..vw2) and serve
//	hwsimd attach -sock S              serve the radios that exist (attach mode)
//	hwsimd ctl -sock S deny SRC DST | allow SRC DST | clear |
//	           link SRC DST SIGNAL|- LOSS|- | radios | denylist | status |
//	           capture RADIO|- SECONDS FILE
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/lab"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hwsimd lab|attach|ctl [flags] …")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	sock := fs.String("sock", "/run/vmedium/vmedium.sock", "control socket")
	state := fs.String("state", "/run/vmedium", "state directory (lab)")
	reuse := fs.Bool("reuse-netns", false, "lab: use existing ns0..ns2")
	cpuprof := fs.String("cpuprofile", "", "write a CPU profile to this file until exit")
	_ = fs.Parse(os.Args[2:])
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hwsimd:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "hwsimd:", err)
			os.Exit(1)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	switch os.Args[1] {
	case "lab":
		err = runLab(*sock, *state, *reuse, log)
	case "attach":
		err = runAttach(*sock, *state, log)
	case "ctl":
		err = ctl(*sock, fs.Args())
	default:
		err = fmt.Errorf("unknown mode %q: accepted are lab, attach, ctl", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hwsimd:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func serve(ctx context.Context, sock string, m *medium.Medium, log *slog.Logger) error {
	ln, err := control.Listen(sock)
	if err != nil {
		return err
	}
	return control.Serve(ctx, ln, control.Options{Medium: m, Version: "hwsimd", Log: log,
		Backends: func() []medium.Kind { return []medium.Kind{medium.KindHwsim} }})
}

func runLab(sock, state string, reuse bool, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := medium.New(medium.Options{Seed: 1})
	l, err := lab.Up(ctx, lab.DefaultConfig(), lab.Options{Medium: m, Backend: lab.BackendHwsim,
		StateDir: state, ReuseNetns: reuse, Log: log, Progress: os.Stdout})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Println(l.Summary())
	fmt.Println("READY")
	return serve(ctx, sock, m, log)
}

// runAttach serves the radios that exist; the medium's runtime state
// (deny pairs, links) persists in the state directory, so a restarted
// driver restores the rules of the one before.
func runAttach(sock, state string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := medium.New(medium.Options{Seed: 1})
	sf, err := control.OpenState(state)
	if err != nil {
		return err
	}
	if st, ok, err := sf.Load(); err != nil {
		return err
	} else if ok {
		if err := m.Restore(st); err != nil {
			return err
		}
		fmt.Printf("restored state from %s: %d deny pairs, %d links\n", sf.Path(), len(st.Deny), len(st.Links))
	}
	m.OnChange(func() {
		if err := sf.Save(m.State()); err != nil {
			log.Error("save state", "err", err)
		}
	})
	b, err := hwsim.Open(m, hwsim.Options{Logger: log, AutoAttach: true})
	if err != nil {
		return err
	}
	defer b.Close()
	n, err := b.Discover()
	if err != nil {
		return err
	}
	fmt.Printf("attached %d radios: %v\n", n, b.Served())
	done := b.Start(ctx)
	fmt.Println("READY")
	go func() {
		if err := <-done; err != nil {
			log.Error("hwsim backend stopped", "err", err)
			stop()
		}
	}()
	return serve(ctx, sock, m, log)
}

func ctl(sock string, args []string) error {
	c := control.NewClient(sock)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	need := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("ctl %s: want %d arguments, got %d", args[0], n-1, len(args)-1)
		}
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("ctl: missing command: accepted are deny, allow, clear, link, radios, denylist, capture, status")
	}
	var out any
	var err error
	switch args[0] {
	case "deny", "allow":
		if err = need(3); err != nil {
			return err
		}
		if args[0] == "deny" {
			out, err = c.Deny(ctx, args[1], args[2])
		} else {
			out, err = c.Allow(ctx, args[1], args[2])
		}
	case "clear":
		out, err = c.ClearDeny(ctx)
	case "link":
		if err = need(5); err != nil {
			return err
		}
		req := control.LinkRequest{Src: args[1], Dst: args[2]}
		if req.SignalDBm, err = optFloat(args[3]); err != nil {
			return err
		}
		if req.Loss, err = optFloat(args[4]); err != nil {
			return err
		}
		out, err = c.SetLink(ctx, req)
	case "radios":
		out, err = c.Radios(ctx)
	case "denylist":
		out, err = c.DenyList(ctx)
	case "capture": // capture RADIO|- SECONDS FILE
		if err = need(4); err != nil {
			return err
		}
		secs, perr := strconv.Atoi(args[2])
		if perr != nil || secs <= 0 {
			return fmt.Errorf("capture: bad duration %q: want whole seconds > 0", args[2])
		}
		f, ferr := os.Create(args[3])
		if ferr != nil {
			return ferr
		}
		radio := args[1]
		if radio == "-" {
			radio = ""
		}
		cctx, ccancel := context.WithTimeout(context.Background(), time.Duration(secs+10)*time.Second)
		defer ccancel()
		out, err = c.Capture(cctx, radio, time.Duration(secs)*time.Second, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	case "status":
		out, err = c.Status(ctx)
	default:
		return fmt.Errorf("ctl: unknown command %q: accepted are deny, allow, clear, link, radios, denylist, capture, status", args[0])
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func optFloat(s string) (*float64, error) {
	if s == "-" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, fmt.Errorf("bad number %q (use - for unchanged)", s)
	}
	return &v, nil
}
