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
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/guest/session"
	"github.com/vmedium/vmedium/medium/guest/transport"
	"github.com/vmedium/vmedium/medium/guest/wire"
	"github.com/vmedium/vmedium/medium/hwsim"
)

// `vmedium agent` runs in a VM guest: it registers as the medium of the
// guest's mac80211_hwsim radios (medium/hwsim in relay mode), announces
// them to the host's vmedium (`vmedium run --guests`) and relays every
// frame there; the host's medium decides each frame's fate (TX status) and
// what the guest's radios hear (RX), which the agent injects.

type agentFlags struct {
	connect  transport.Addr
	name     string
	radios   int
	logLevel string
}

func parseAgentFlags(args []string, stderr io.Writer) (*agentFlags, error) {
	f := &agentFlags{}
	fs := flag.NewFlagSet("vmedium agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connect := fs.String("connect", "", "the host's vmedium: `ADDR`, one of "+transport.Accepted)
	fs.StringVar(&f.name, "name", "", "this guest's `NAME` on the host (radios are NAME/IFACE); default: the host name")
	fs.IntVar(&f.radios, "radios", 0, "make sure this guest has `N` mac80211_hwsim radios of its own, with addresses derived from --name (unique across guests; load the module with radios=0); 0: serve the radios there are")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug|info|warn|error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if f.radios < 0 || f.radios > wire.MaxRadios {
		return nil, fmt.Errorf("--radios %d: accepted 0 to %d", f.radios, wire.MaxRadios)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *connect == "" {
		return nil, fmt.Errorf("--connect ADDR is required: one of %s", transport.Accepted)
	}
	a, err := transport.ParseAddr(*connect)
	if err != nil {
		return nil, fmt.Errorf("--connect: %w", err)
	}
	f.connect = a
	if f.name == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("no --name and no host name: %w", err)
		}
		f.name, _, _ = strings.Cut(h, ".")
	}
	if err := session.ValidateName(f.name); err != nil {
		return nil, fmt.Errorf("--name: %w", err)
	}
	if _, err := parseLevel(f.logLevel); err != nil {
		return nil, err
	}
	return f, nil
}

func agentCmd(args []string, stdout, stderr io.Writer) int {
	f, err := parseAgentFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "vmedium agent: %v\n", err)
		return 2
	}
	level, _ := parseLevel(f.logLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runAgent(ctx, f, log, stdout); err != nil {
		fmt.Fprintf(stderr, "vmedium agent: %v\n", err)
		return 1
	}
	return 0
}

// runAgent serves the guest's radios until ctx ends or the host refuses
// this guest for good (another protocol version, a bad name).
func runAgent(ctx context.Context, f *agentFlags, log *slog.Logger, stdout io.Writer) error {
	if n, raised := ensureAgentProcs(); raised {
		log.Debug("agent: GOMAXPROCS raised", "to", n)
	}
	if _, err := os.Stat("/sys/module/vmedium"); err == nil {
		// Said, not hidden: the agent relays mac80211_hwsim radios only.
		log.Warn("agent: vmedium.ko is loaded in this guest, but the agent relays only mac80211_hwsim radios to the host; " +
			"serve the module's radios with `vmedium run --attach` inside the guest (a medium of their own)")
	}
	var b *hwsim.Backend // set before any frame can reach the callbacks below
	a, err := session.NewAgent(session.AgentConfig{
		Addr: f.connect, Name: f.name, Software: version, Logger: log,
		Status: func(s *wire.TxStatus, _ bool) {
			var ti [hwsim.TxInfoLen]byte
			for i, r := range s.Rates {
				ti[2*i], ti[2*i+1] = byte(r.Idx), r.Count
			}
			_ = b.TxStatus(frames.MAC(s.Transmitter), s.Cookie, s.Flags, s.Signal, &ti)
		},
		Rx: func(r *wire.Rx) {
			_ = b.Inject(frames.MAC(r.Receiver), r.Data, medium.RxInfo{SignalDBm: r.Signal, FreqMHz: r.Freq, RateIdx: uint8(r.Rate)})
		},
		State: func(up bool, err error) {
			if up {
				log.Info("agent: joined the host's medium", "host", f.connect, "as", f.name)
			} else if err != nil {
				log.Warn("agent: not connected to the host", "host", f.connect, "err", err)
			}
		},
	})
	if err != nil {
		return err
	}
	// The local medium only holds the served radios (names, addresses);
	// no frame crosses it: the relay sends them all to the host.
	m := medium.New(medium.Options{})
	b, err = hwsim.Open(m, hwsim.Options{Logger: log, AutoAttach: true, Relay: func(rf *hwsim.RelayedFrame) {
		wf := wire.Frame{Transmitter: wire.HWAddr(rf.Transmitter), Flags: rf.Flags, Freq: rf.Freq, Cookie: rf.Cookie, Data: rf.Frame}
		for i := range wf.Rates {
			wf.Rates[i] = wire.Rate{Idx: int8(rf.TxInfo[2*i]), Count: rf.TxInfo[2*i+1], Flags: rf.RateFlags[i]}
		}
		a.SendFrame(&wf)
	}})
	if err != nil {
		return fmt.Errorf("serve this guest's mac80211_hwsim radios (modprobe mac80211_hwsim; run as root): %w", err)
	}
	defer b.Close()
	// Own radios first: discovery would take them for module-load radios
	// with the kernel's default addresses.
	own, err := ensureRadios(b, f.name, f.radios, log)
	if err != nil {
		return fmt.Errorf("radios of guest %s: %w", f.name, err)
	}
	hwOf := map[int]frames.MAC{}
	for _, r := range own {
		hwOf[r.id] = r.addr
	}
	if _, err := b.Discover(); err != nil {
		log.Warn("agent: discovering radios", "err", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loop := b.Start(ctx)
	changed := make(chan struct{}, 1)
	m.OnChange(func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	var said []wire.Radio
	sync := func() {
		now := guestRadios(b, m, hwOf)
		for _, r := range now {
			i := slices.IndexFunc(said, func(o wire.Radio) bool { return o.HWAddr == r.HWAddr })
			if i < 0 || !sameWireRadio(&said[i], &r) {
				if err := a.AddRadio(r); err != nil {
					log.Warn("agent: radio not announced", "radio", r.Ifname, "err", err)
				}
			}
		}
		for _, o := range said {
			if !slices.ContainsFunc(now, func(r wire.Radio) bool { return r.HWAddr == o.HWAddr }) {
				a.RemoveRadio(o.HWAddr)
			}
		}
		said = now
	}
	sync()
	fmt.Fprintf(stdout, "vmedium agent %s: serving %d radios, host %v\n", f.name, len(said), f.connect)
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	tick := time.NewTicker(500 * time.Millisecond) // addresses change without a medium change event
	defer tick.Stop()
	for {
		select {
		case <-changed:
			sync()
		case <-tick.C:
			sync()
		case err := <-loop:
			cancel()
			<-done
			if err != nil {
				return err
			}
			return nil
		case err := <-done:
			cancel()
			<-loop
			if ctx.Err() != nil && !errors.Is(err, session.ErrRefused) {
				return nil
			}
			return err
		}
	}
}

// minAgentProcs is the fewest Ps (GOMAXPROCS) the agent runs with. The
// hwsim receive loop blocks in a raw recvmmsg on its locked thread without
// telling the scheduler (medium/hwsim: no P hand-off per frame), so it
// keeps its P while it waits for the guest kernel's next frame. With one P
// (a 1-vCPU guest) nothing else runs meanwhile: the host's TX statuses and
// RX frames, read from the virtio port through the network poller, waited
// for the runtime's monitor to preempt the loop (it checks every 10 ms
// when idle) or for the loop's 50 ms receive timeout. In the guests-air VM
// scenario that added 17 ms per frame; with a second P, which runs the
// port reader at once, 0.6 ms. The thread blocked in recvmmsg costs no
// CPU, so this holds on one vCPU too.
const minAgentProcs = 2

// ensureAgentProcs raises GOMAXPROCS to minAgentProcs unless the user set
// GOMAXPROCS; it returns the value in effect and whether it raised it.
func ensureAgentProcs() (int, bool) {
	n := runtime.GOMAXPROCS(0)
	if n >= minAgentProcs || os.Getenv("GOMAXPROCS") != "" {
		return n, false
	}
	runtime.GOMAXPROCS(minAgentProcs)
	return minAgentProcs, true
}

// guestRadios describes the served radios for the host: hwsim address
// (from hwOf for the agent's own radios, else the kernel's default) and
// id, the interface name (none for an unnamed hwsimN), and every address
// the radio answers to, its own first.
func guestRadios(b *hwsim.Backend, m *medium.Medium, hwOf map[int]frames.MAC) []wire.Radio {
	info := map[string]medium.RadioInfo{}
	for _, ri := range m.Radios() {
		info[ri.Name] = ri
	}
	var out []wire.Radio
	for id, name := range b.Served() {
		ri, ok := info[name]
		if !ok {
			continue
		}
		hw, own := hwOf[id]
		if !own {
			hw = hwsim.HwAddr(id)
		}
		r := wire.Radio{HWAddr: wire.HWAddr(hw), ID: uint32(id), Channels: 1}
		if name != fmt.Sprintf("hwsim%d", id) && len(name) <= wire.MaxIfname && !strings.Contains(name, "-hwsim") {
			r.Ifname = name
		}
		for _, s := range append([]string{ri.Addr}, ri.Extra...) {
			if hw, err := net.ParseMAC(s); err == nil && len(hw) == 6 && len(r.Addrs) < wire.MaxAddrs {
				r.Addrs = append(r.Addrs, wire.HWAddr(hw))
			}
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y wire.Radio) int { return int(x.ID) - int(y.ID) })
	return out
}

func sameWireRadio(x, y *wire.Radio) bool {
	return x.ID == y.ID && x.Ifname == y.Ifname && x.Freq == y.Freq && x.Channels == y.Channels && slices.Equal(x.Addrs, y.Addrs)
}
