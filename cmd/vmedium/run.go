package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/hwsim"
)

// hwsimLab is a running lab (or attachment) on mac80211_hwsim radios: its
// backend's counters (socket overruns, …) join the metrics.
type hwsimLab interface {
	Hwsim() (*hwsim.Backend, bool)
}

// runFlags are `vmedium run`'s flags.
type runFlags struct {
	config      string
	backend     string
	seed        uint64
	socket      string
	stateDir    string
	reset       bool
	reuseNetns  bool
	attach      bool
	metricsAddr string
	logLevel    string
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	f := &runFlags{}
	fs := flag.NewFlagSet("vmedium run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "lab topology `FILE` (YAML); default: the built-in 3-radio lab")
	fs.StringVar(&f.backend, "backend", "auto", "radio kind: auto|tap|hwsim|kmod")
	fs.Uint64Var(&f.seed, "seed", 0, "loss RNG seed (same seed + same frames = same losses)")
	fs.StringVar(&f.socket, "socket", control.DefaultSocket, "control API socket `PATH`")
	fs.StringVar(&f.stateDir, "state-dir", control.DefaultStateDir, "runtime state `DIR`")
	fs.BoolVar(&f.reset, "reset", false, "start clean: forget the saved runtime state")
	fs.BoolVar(&f.reuseNetns, "reuse-netns", false, "use network namespaces that already exist")
	fs.BoolVar(&f.attach, "attach", false, "build no lab: serve the mac80211_hwsim radios that already exist\n"+
		"(modprobe mac80211_hwsim radios=N; iw phy PHY set netns …) and those created later,\n"+
		"named after their interfaces (vmctl deny -s wlan1 -d wlan2); --backend hwsim or auto")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "127.0.0.1:9380", `Prometheus metrics address ("" or "off" disables)`)
	fs.StringVar(&f.logLevel, "log-level", "info", "debug|info|warn|error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch f.backend {
	case "auto", "tap", "hwsim", "kmod":
	default:
		return nil, fmt.Errorf("invalid --backend %q: accepted are auto, tap, hwsim, kmod", f.backend)
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		return nil, err
	}
	if f.attach {
		switch {
		case f.backend != "auto" && f.backend != "hwsim":
			return nil, fmt.Errorf("--attach serves existing mac80211_hwsim radios: it works with --backend hwsim (or auto), not --backend %s", f.backend)
		case f.config != "":
			return nil, errors.New("--attach builds no lab, so --config has nothing to describe: drop one of them")
		case f.reuseNetns:
			return nil, errors.New("--attach creates no namespaces, so --reuse-netns has no meaning: drop it")
		}
		f.backend = "hwsim"
	}
	if f.metricsAddr == "off" {
		f.metricsAddr = ""
	}
	if f.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(f.metricsAddr); err != nil {
			return nil, fmt.Errorf("invalid --metrics-addr %q: accepted is HOST:PORT, \"\" or off (%v)", f.metricsAddr, err)
		}
	}
	if f.socket == "" || f.stateDir == "" {
		return nil, errors.New("--socket and --state-dir must not be empty")
	}
	return f, nil
}

func parseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("invalid --log-level %q: accepted are debug, info, warn, error", s)
}

// chooseBackend picks the radio kind from doctor's checks. auto prefers the
// project's module when it is loaded, then hwsim, then tap. It returns the
// kind and a line saying why, or an error carrying doctor's explanation.
func chooseBackend(requested string, checks []kindCheck) (string, string, error) {
	if requested != "auto" {
		c, _ := findCheck(checks, requested)
		if !c.Usable {
			return "", "", fmt.Errorf("--backend %s cannot run on this machine:\n%s", requested, explain([]kindCheck{c}))
		}
		return requested, "backend " + requested + " (requested)", nil
	}
	var skipped []string
	for _, k := range []string{"kmod", "hwsim", "tap"} {
		c, _ := findCheck(checks, k)
		if c.Usable {
			msg := "backend auto: using " + k
			if len(skipped) > 0 {
				msg += " (" + strings.Join(skipped, "; ") + ")"
			}
			return k, msg, nil
		}
		if len(c.Reasons) > 0 {
			skipped = append(skipped, k+": "+c.Reasons[len(c.Reasons)-1])
		}
	}
	return "", "", fmt.Errorf("no usable radio kind on this machine (vmedium doctor says):\n%s", explain(checks))
}

// mergeState lays the saved runtime state over the current one (the lab's
// configured links and positions): saved entries win for the pairs and
// radios they name, the saved deny list replaces the configured one, and
// configured entries the saved state does not mention are kept.
func mergeState(cur, saved medium.State) medium.State {
	out := medium.State{Positions: map[string]medium.Position{}, Deny: saved.Deny}
	links := map[[2]string]medium.LinkState{}
	for _, l := range cur.Links {
		links[[2]string{l.Src, l.Dst}] = l
	}
	for _, l := range saved.Links {
		links[[2]string{l.Src, l.Dst}] = l
	}
	for _, l := range links {
		out.Links = append(out.Links, l)
	}
	for k, v := range cur.Positions {
		out.Positions[k] = v
	}
	for k, v := range saved.Positions {
		out.Positions[k] = v
	}
	return out
}

func runCmd(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runContext(ctx, args, stdout, stderr)
}

// runContext is `vmedium run` until ctx ends (SIGINT/SIGTERM in main).
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, err := parseRunFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "vmedium run: %v\n", err)
		return 2
	}
	level, _ := parseLevel(f.logLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := serveLab(ctx, f, log, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "vmedium run: %v\n", err)
		return 1
	}
	return 0
}

func serveLab(ctx context.Context, f *runFlags, log *slog.Logger, stdout, stderr io.Writer) error {
	m := medium.New(medium.Options{Seed: f.seed})
	// up brings up the radios once the control API listens.
	up := func() (runningLab, error) { return attachHwsim(m, log) }
	backend, why := "hwsim", "backend hwsim (--attach: serving the radios that exist)"
	if !f.attach {
		cfg, err := loadLabConfig(f.config)
		if err != nil {
			return err
		}
		if backend, why, err = chooseBackend(f.backend, checkKinds()); err != nil {
			return err
		}
		up = func() (runningLab, error) {
			return upLab(ctx, cfg, m, backend, f.stateDir, f.reuseNetns, log, stderr)
		}
	}
	fmt.Fprintln(stderr, why)
	sf, err := control.OpenState(f.stateDir)
	if err != nil {
		return err
	}
	var saved *medium.State
	if f.reset {
		if err := sf.Remove(); err != nil {
			return err
		}
		log.Info("--reset: starting with a clean runtime state", "removed", sf.Path())
	} else {
		st, ok, err := sf.Load()
		if err != nil {
			return err
		}
		if ok {
			saved = &st
		}
	}

	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var served []chan error
	var reg *prometheus.Registry

	if f.metricsAddr != "" {
		ln, err := net.Listen("tcp", f.metricsAddr)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		mux := http.NewServeMux()
		reg = medium.NewRegistry(m)
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		go func() {
			<-sctx.Done()
			c, cc := context.WithTimeout(context.Background(), 2*time.Second)
			defer cc()
			srv.Shutdown(c)
		}()
		served = append(served, done)
		log.Info("metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	}

	ln, err := control.Listen(f.socket)
	if err != nil {
		return err
	}
	var live atomic.Value // medium.Kind once the lab is up
	ctrlDone := make(chan error, 1)
	go func() {
		ctrlDone <- control.Serve(sctx, ln, control.Options{
			Medium: m, Version: version, Seed: f.seed, StateFile: sf.Path(), Log: log,
			Backends: func() []medium.Kind {
				if k, ok := live.Load().(medium.Kind); ok {
					return []medium.Kind{k}
				}
				return nil
			},
		})
	}()
	log.Info("control API", "socket", f.socket)

	l, err := up()
	if err != nil {
		cancel()
		<-ctrlDone
		return err
	}
	live.Store(medium.Kind(backend))
	if h, ok := l.(hwsimLab); ok && reg != nil {
		if b, ok := h.Hwsim(); ok {
			reg.MustRegister(hwsim.NewCollector(b))
		}
	}
	if saved != nil {
		if err := m.Restore(mergeState(m.State(), *saved)); err != nil {
			log.Warn("saved runtime state not restored (start with --reset to drop it)", "file", sf.Path(), "err", err)
		} else {
			log.Info("restored runtime state", "file", sf.Path(), "deny_pairs", len(saved.Deny), "links", len(saved.Links))
		}
	}
	sf.Attach(m, log)
	if err := sf.Save(m.State()); err != nil {
		log.Error("persist runtime state", "err", err)
	}

	fmt.Fprint(stdout, l.Summary())
	fmt.Fprintf(stdout, "vmedium is running (control socket %s); Ctrl-C to stop\n", f.socket)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("stopping")
	case serveErr = <-ctrlDone:
		ctrlDone <- serveErr
	}
	closeErr := l.Close()
	cancel()
	if err := <-ctrlDone; err != nil && serveErr == nil {
		serveErr = err
	}
	for _, d := range served {
		if err := <-d; err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server", "err", err)
		}
	}
	return errors.Join(serveErr, closeErr)
}
