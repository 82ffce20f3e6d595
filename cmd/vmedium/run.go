// SPDX-License-Identifier: MIT

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
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/lab"
)

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
	guests      []transport.Addr // --guests: where guest agents connect
	noLab       bool             // --no-lab: no local radios, only guests'
	wmediumdCfg string           // --wmediumd-config (attach mode)
}

func parseRunFlags(args []string, stderr io.Writer) (*runFlags, error) {
	f := &runFlags{}
	attachable, attachRadios := lab.AttachKindNames()
	fs := flag.NewFlagSet("vmedium run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.config, "config", "", "lab topology `FILE` (YAML); default: the built-in 3-radio lab")
	fs.StringVar(&f.backend, "backend", lab.BackendAuto, "radio kind: "+lab.BackendAuto+"|"+strings.Join(lab.BackendNames(), "|")+
		" (auto: the first that can run, in that order)")
	fs.Uint64Var(&f.seed, "seed", 0, "loss RNG seed (same seed + same frames = same losses)")
	fs.StringVar(&f.socket, "socket", control.DefaultSocket, "control API socket `PATH`")
	fs.StringVar(&f.stateDir, "state-dir", control.DefaultStateDir, "runtime state `DIR`")
	fs.BoolVar(&f.reset, "reset", false, "start clean: forget the saved runtime state")
	fs.BoolVar(&f.reuseNetns, "reuse-netns", false, "use network namespaces that already exist")
	fs.BoolVar(&f.attach, "attach", false, "build no lab: serve the radios that already exist (mac80211_hwsim: modprobe\n"+
		"mac80211_hwsim radios=N; vmedium.ko: insmod vmedium.ko radios=N; then iw phy PHY set netns …),\n"+
		"named after their interfaces (vmctl deny -s wlan1 -d wlan2, -s vw1 -d vw2); --backend "+strings.Join(attachable, "|")+"\n"+
		"or auto (every kind loaded here, side by side)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "127.0.0.1:9380", `Prometheus metrics address ("" or "off" disables)`)
	fs.StringVar(&f.logLevel, "log-level", "info", "debug|info|warn|error")
	fs.Func("guests", "serve VM guests' agents (vmedium agent) on `ADDR`: unix:PATH or tcp:HOST:PORT (repeatable);\n"+
		"their radios join the medium as kind guest, named GUEST/IFACE (vmctl deny -s vm1/wlan0 -d vm2/wlan0)",
		func(s string) error {
			a, err := transport.ParseAddr(s)
			if err != nil {
				return err
			}
			if a.Scheme != "unix" && a.Scheme != "tcp" {
				return fmt.Errorf("%q: the host listens on unix:PATH or tcp:HOST:PORT (virtio:PORT is the agent's side, in the guest)", s)
			}
			f.guests = append(f.guests, a)
			return nil
		})
	fs.BoolVar(&f.noLab, "no-lab", false, "build no lab: a medium with no local radios, only the guests' (--guests);\n"+
		"needs neither root nor any Wi-Fi kernel support")
	fs.StringVar(&f.wmediumdCfg, "wmediumd-config", "", "with --attach: decide the links from a wmediumd config `FILE` (as vmedium wmediumd -c)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := lab.ValidateBackend(f.backend); err != nil {
		return nil, err
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		return nil, err
	}
	if f.wmediumdCfg != "" && !f.attach {
		return nil, errors.New("--wmediumd-config describes radios that already exist: use it with --attach")
	}
	if f.noLab {
		switch {
		case len(f.guests) == 0:
			return nil, errors.New("--no-lab builds no radios, so without --guests ADDR the medium would stay empty: add --guests unix:PATH (or tcp:HOST:PORT)")
		case f.attach:
			return nil, errors.New("--no-lab and --attach both replace the lab: drop one of them")
		case f.config != "":
			return nil, errors.New("--no-lab builds no lab, so --config has nothing to describe: drop one of them")
		case f.reuseNetns:
			return nil, errors.New("--no-lab creates no namespaces, so --reuse-netns has no meaning: drop it")
		case f.backend != lab.BackendAuto:
			return nil, fmt.Errorf("--no-lab builds no radios of kind %s: drop --backend", f.backend)
		}
	}
	if f.attach {
		switch {
		case f.backend != lab.BackendAuto && !slices.Contains(attachable, f.backend):
			return nil, fmt.Errorf("--attach serves existing %s radios: it works with --backend %s (or auto), not --backend %s",
				strings.Join(attachRadios, " or "), strings.Join(attachable, ", "), f.backend)
		case f.config != "":
			return nil, errors.New("--attach builds no lab, so --config has nothing to describe: drop one of them")
		case f.reuseNetns:
			return nil, errors.New("--attach creates no namespaces, so --reuse-netns has no meaning: drop it")
		}
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
	out.Air = cur.Air
	if saved.Air != nil {
		out.Air = saved.Air
	}
	return out
}

// checkKinds runs the kinds' probes (a variable so tests can choose).
var checkKinds = lab.CheckKinds

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
		var ce *lab.ConfigError
		if errors.As(err, &ce) || errors.As(err, new(*badConfigError)) {
			return 2 // bad input: nothing was built
		}
		return 1
	}
	return 0
}

// badConfigError is a lab config refused before anything was built: bad
// input, exit 2 (as a bad flag).
type badConfigError struct{ err error }

func (e *badConfigError) Error() string { return e.err.Error() }
func (e *badConfigError) Unwrap() error { return e.err }

// serveLab is `vmedium run`: refuse a clash with a running instance before
// anything is built, put the rules (the config's merged with the saved
// runtime state) on the medium, serve metrics and the control API (status
// "starting"), bring the radios up, then say "live" and serve until ctx
// ends.
func serveLab(ctx context.Context, f *runFlags, log *slog.Logger, stdout, stderr io.Writer) error {
	m := medium.New(medium.Options{Seed: f.seed})
	if err := applyWmediumdConfig(f.wmediumdCfg, m, log); err != nil {
		return err
	}
	var cfg *lab.Config
	kind := medium.Kind(f.backend)
	why := fmt.Sprintf("backend %s (--attach: serving the radios that exist)", f.backend)
	if f.noLab {
		kind, why = medium.KindGuest, "no lab (--no-lab): the medium's radios are the guests'"
	}
	if !f.attach && !f.noLab {
		var err error
		if cfg, err = loadLabConfig(f.config); err != nil {
			return &badConfigError{err}
		}
		if err := lab.CheckHost(cfg); err != nil {
			return err
		}
		if kind, why, err = lab.Choose(f.backend, checkKinds()); err != nil {
			return err
		}
	}
	metricsLn, err := preflight(f, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, why)
	sctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mobDone := make(chan struct{})
	go func() { defer close(mobDone); m.RunMobility(sctx, medium.DefaultMobilityTick) }()
	defer func() { cancel(); <-mobDone }()
	var served []chan error
	if metricsLn != nil {
		defer metricsLn.Close() // in case we return before serving it
	}

	sf, err := control.OpenState(f.stateDir)
	if err != nil {
		return err
	}
	var saved *medium.State
	if f.reset {
		if err := sf.Remove(); err != nil {
			return err
		}
		if err := lab.RemoveLeasesFile(f.stateDir); err != nil {
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
	// A saved state belongs to the lab config it was made under: a crashed
	// or stopped lab started again with the same config gets it back, a
	// different config (another example, an edited file) starts from its
	// own rules.
	id := ""
	if cfg != nil {
		id = lab.Identity(cfg)
	}
	dropped := saved != nil && staleState(sf.SavedConfig(), id)
	if dropped {
		log.Info("the lab config is not the one the saved runtime state was made under: starting from this config's links, positions, deny pairs and air model; the saved ones are dropped",
			"file", sf.Path(), "saved_config", sf.SavedConfig(), "config", id)
		saved = nil
	}
	sf.SetConfig(id)
	// The rules go on the medium before any radio exists: the first frame
	// of the first radio already obeys a saved deny pair.
	restoreRules(m, cfg, saved, sf.Path(), log)
	if dropped {
		if err := sf.Save(m.State()); err != nil {
			log.Warn("runtime state not saved", "err", err)
		}
	}
	if cfg != nil {
		for name, mb := range lab.ConfigMobility(cfg) {
			if err := m.SetMobility(name, mb); err != nil {
				log.Warn("mobility not applied", "radio", name, "err", err)
			}
		}
	}
	sf.Attach(m, log)
	defer m.Close() // the airtime schedulers

	var reg *prometheus.Registry
	if metricsLn != nil {
		mux := http.NewServeMux()
		reg = medium.NewRegistry(m)
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(metricsLn) }()
		go func() {
			<-sctx.Done()
			c, cc := context.WithTimeout(context.Background(), 2*time.Second)
			defer cc()
			srv.Shutdown(c)
		}()
		served = append(served, done)
		log.Info("metrics", "url", "http://"+metricsLn.Addr().String()+"/metrics")
	}

	ln, err := control.Listen(f.socket)
	if err != nil {
		cancel()
		waitServed(served, log)
		return err
	}
	ready := control.NewReadiness()
	var running atomic.Pointer[runningLab] // set once the radios are up
	backends := func() []lab.Backend {
		if l := running.Load(); l != nil {
			return (*l).Backends()
		}
		return nil
	}
	ctrlDone := make(chan error, 1)
	go func() {
		ctrlDone <- control.Serve(sctx, ln, control.Options{
			Medium: m, Version: version, Seed: f.seed, StateFile: sf.Path(), Log: log, Ready: ready,
			Backends: func() []control.KindStatus { return kindStatus(m, backends()) },
			Net:      labNetSource(&running),
			MACStatus: func(name string) (medium.MACStatus, bool) {
				for _, b := range backends() {
					if st, ok := b.MACStatus(name); ok {
						return st, true
					}
				}
				return medium.MACStatus{}, false
			},
		})
	}()
	log.Info("control API", "socket", f.socket, "state", control.PhaseStarting)

	l, err := labBuilder(ctx, f, cfg, kind, m, log, stderr)
	if err == nil && len(f.guests) > 0 {
		l, err = serveGuests(l, f.guests, m, log)
	}
	if err != nil {
		cancel()
		<-ctrlDone
		waitServed(served, log)
		return err
	}
	running.Store(&l)
	for _, b := range l.Backends() {
		if c := b.Collector(); c != nil && reg != nil {
			if err := reg.Register(c); err != nil {
				log.Warn("metrics collector of a backend not registered", "kind", b.Kind(), "err", err)
			}
		}
	}

	fmt.Fprint(stdout, l.Summary())
	ready.Set(control.PhaseLive)
	log.Info("live", "state", control.PhaseLive)
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
	waitServed(served, log)
	return errors.Join(serveErr, closeErr)
}

// staleState reports whether a state saved under config identity savedID
// does not belong to the config id now in use. Either unknown ("": a file
// from before identities, or no lab config) keeps the saved state.
func staleState(savedID, id string) bool {
	return savedID != "" && id != "" && savedID != id
}

// restoreRules puts the config's links, deny pairs and positions merged
// with the saved runtime state on m (saved wins; see mergeState). A saved
// state the medium refuses is dropped with a warning: the config's rules
// still apply.
func restoreRules(m *medium.Medium, cfg *lab.Config, saved *medium.State, path string, log *slog.Logger) {
	base := medium.State{}
	if cfg != nil {
		base = lab.ConfigState(cfg)
	}
	if saved != nil {
		err := m.Restore(mergeState(base, *saved))
		if err == nil {
			log.Info("restored runtime state", "file", path, "deny_pairs", len(saved.Deny), "links", len(saved.Links))
			return
		}
		log.Warn("saved runtime state not restored (start with --reset to drop it)", "file", path, "err", err)
	}
	if err := m.Restore(base); err != nil {
		log.Warn("configured links and positions not applied", "err", err)
	}
}

// kindStatus is each running backend's line for `vmctl status`.
func kindStatus(m *medium.Medium, bs []lab.Backend) []control.KindStatus {
	counts := m.KindCounts()
	out := make([]control.KindStatus, 0, len(bs))
	for _, b := range bs {
		out = append(out, control.KindStatus{Kind: b.Kind(), Live: true, Radios: counts[b.Kind()], Summary: b.Summary()})
	}
	return out
}

// waitServed waits for the metrics server to end.
func waitServed(served []chan error, log *slog.Logger) {
	for _, d := range served {
		if err := <-d; err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server", "err", err)
		}
	}
}
