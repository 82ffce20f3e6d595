// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/capture"
	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/wmediumd"
	"github.com/vmedium/vmedium/medium/wmediumd/dropin"
)

// wmdLog prints wmediumd's lines: a message of severity lvl is printed
// when -l is at least lvl. Each line is one write, so a reader of the pipe
// (hostap waits for "REGISTER SENT!") sees it at once.
type wmdLog struct {
	level          int
	stdout, stderr io.Writer
}

func (l *wmdLog) out(lvl int, format string, a ...any) {
	if lvl <= l.level {
		fmt.Fprintf(l.stdout, format+"\n", a...)
	}
}

func (l *wmdLog) err(lvl int, format string, a ...any) {
	if lvl <= l.level {
		fmt.Fprintf(l.stderr, format+"\n", a...)
	}
}

// loadWmediumdModel reads -c (or builds the empty model of -d) and -x,
// printing wmediumd's startup lines.
func loadWmediumdModel(f *wmdFlags, lg *wmdLog) (*wmediumd.Config, *wmediumd.PERTable, error) {
	var cfg *wmediumd.Config
	if f.dynamic {
		cfg = &wmediumd.Config{File: "(dynamic mode)", Model: wmediumd.ModelProb, Noise: wmediumd.NoiseLevel,
			SNR: []float64{}, LossProb: []float64{}, Medium: []int{}}
	} else {
		lg.out(logNotice, "Input configuration file: %s", f.config)
		var err error
		if cfg, err = wmediumd.Load(f.config); err != nil {
			return nil, nil, err
		}
		lg.out(logNotice, "#_if = %d", cfg.N())
		for i, id := range cfg.IDs {
			lg.out(logNotice, "Added station %d: %s", i, id)
		}
		for _, w := range cfg.Warnings {
			lg.err(logWarning, "warning: %s", w)
		}
	}
	var per *wmediumd.PERTable
	if f.perFile != "" {
		if err := cfg.CheckPERTable(); err != nil {
			return nil, nil, err
		}
		var err error
		if per, err = wmediumd.LoadPERTable(f.perFile); err != nil {
			return nil, nil, err
		}
		lg.out(logNotice, "Input packet error rate file: %s", per.File)
	}
	return cfg, per, nil
}

// serveWmediumd is the drop-in: load the model, register as the hwsim
// medium, say REGISTER SENT!, serve the radios (and vmctl, metrics, -s,
// -p) until SIGINT/SIGTERM, then release the netlink socket first so the
// kernel falls back to its own medium at once.
func serveWmediumd(argv0 string, f *wmdFlags, stdout, stderr io.Writer) int {
	lg := &wmdLog{level: f.level, stdout: stdout, stderr: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	cfg, per, err := loadWmediumdModel(f, lg)
	if err != nil {
		return fail(err)
	}
	// The model alone decides who hears whom: no sensitivity floor of the
	// medium's own.
	sens, noise := -1000.0, cfg.Noise
	m := medium.New(medium.Options{Seed: f.seed, SensitivityDBm: &sens, NoiseDBm: &noise})
	model := dropin.NewModel(cfg)
	if f.dynamic {
		model = dropin.NewDynamicModel(cfg)
	}
	if per != nil {
		model.SetPERTable(per)
	}
	m.SetPairModel(model)

	if f.level >= logDebug {
		m.AddObserver(&pktLog{w: stdout})
	}
	slogLevel := slog.LevelWarn
	if f.level >= logDebug {
		slogLevel = slog.LevelDebug
	} else if f.level >= logInfo {
		slogLevel = slog.LevelInfo
	}
	if f.level < logErr {
		slogLevel = slog.LevelError + 4
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slogLevel}))

	b, err := hwsim.Open(m, hwsim.Options{Logger: log, AutoAttach: true})
	if err != nil {
		return fail(fmt.Errorf("register as the mac80211_hwsim medium: %w", err))
	}
	lg.out(logNotice, "REGISTER SENT!")
	if _, err := b.Discover(); err != nil {
		lg.err(logWarning, "warning: discover the existing radios: %v", err)
	}
	bctx, bcancel := context.WithCancel(context.Background())
	errc := b.Start(bctx)

	sctx, scancel := context.WithCancel(context.Background())
	var done []<-chan struct{}
	spawn := func(fn func()) {
		d := make(chan struct{})
		go func() { defer close(d); fn() }()
		done = append(done, d)
	}

	if ln, err := control.Listen(f.socket); err != nil {
		lg.err(logWarning, "warning: no control API (vmctl): %v; give --socket PATH", err)
	} else {
		spawn(func() {
			control.Serve(sctx, ln, control.Options{Medium: m, Version: version, Seed: f.seed, Log: log,
				Backends: func() []control.KindStatus {
					return []control.KindStatus{{Kind: medium.KindHwsim, Live: true, Radios: m.KindCounts()[medium.KindHwsim], Summary: "wmediumd drop-in"}}
				}})
		})
	}
	if f.metrics != "" && f.metrics != "off" {
		if ln, err := net.Listen("tcp", f.metrics); err != nil {
			lg.err(logWarning, "warning: no metrics: %v; give --metrics-addr ADDR or off", err)
		} else {
			reg := medium.NewRegistry(m)
			reg.MustRegister(hwsim.NewCollector(b))
			mux := http.NewServeMux()
			mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
			srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
			spawn(func() { srv.Serve(ln) })
			spawn(func() { <-sctx.Done(); srv.Close() })
		}
	}
	if f.wserver {
		ln, err := dropin.Listen(f.wsock)
		if err != nil {
			b.Close()
			bcancel()
			scancel()
			return fail(err)
		}
		srv := &dropin.Server{Model: model, Changed: m.PairModelChanged, Log: log}
		spawn(func() { srv.Serve(sctx, ln) })
		lg.out(logNotice, "Server started at %s", f.wsock)
	}
	var pcap *capture.Capture
	var pcapFile *os.File
	if f.pcapng != "" {
		pcapFile, err = os.Create(f.pcapng)
		if err == nil {
			var w *frames.PcapngWriter
			if w, err = frames.NewPcapngWriter(pcapFile, "vmedium "+version); err == nil {
				pcap, err = capture.Start(m, nil, capture.Options{Writer: w, Flush: w.Flush})
			}
		}
		if err != nil {
			b.Close()
			bcancel()
			scancel()
			return fail(fmt.Errorf("-p %s: %w", f.pcapng, err))
		}
	}
	if cfg.PathLoss != nil && cfg.PathLoss.Moving {
		spawn(func() {
			t := time.NewTicker(wmediumd.MoveInterval)
			defer t.Stop()
			for {
				select {
				case <-sctx.Done():
					return
				case <-t.C:
					if model.Move() {
						m.PairModelChanged()
					}
				}
			}
		})
	}

	code := 0
	select {
	case <-ctx.Done():
	case err, ok := <-errc:
		if ok && err != nil {
			lg.err(logErr, "%s: hwsim medium stopped: %v", argv0, err)
			code = 1
		}
	}
	// Release the medium first: the kernel switches to its own medium
	// the moment the socket closes.
	b.Close()
	bcancel()
	scancel()
	if pcap != nil {
		pcap.Stop()
		pcapFile.Close()
	}
	wait := time.After(700 * time.Millisecond)
	for _, d := range done {
		select {
		case <-d:
		case <-wait:
			return code
		}
	}
	return code
}
