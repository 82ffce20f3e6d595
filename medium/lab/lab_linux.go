// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/netnsutil"
	"github.com/vmedium/vmedium/medium/nl80211"
)

// Spellings of the kinds' names for Options.Backend (the kinds themselves
// are the table Kinds).
const (
	BackendTap   = string(medium.KindTap)
	BackendHwsim = string(medium.KindHwsim)
	BackendKmod  = string(medium.KindKmod)
)

// AssociationTimeout bounds how long Up waits for every station to
// associate before it reports the laggards and returns anyway.
const AssociationTimeout = 10 * time.Second

// Options say how to build a lab.
type Options struct {
	Medium   *medium.Medium // the medium the radios join (required)
	Backend  string         // "auto" ("" too) or a kind's name (Kinds)
	StateDir string         // where lab.json lives (required)
	// KeepRules says the medium holds the rules already (links, deny
	// pairs, positions: vmedium run restores the config's merged with the
	// saved runtime state before the control API answers), so Up applies
	// none. Otherwise Up puts the config's (ConfigState) on the medium
	// before the first radio joins it. Either way no kind sets them again
	// when its radios join, so no frame they forbid is ever delivered and
	// a saved `vmctl allow` is not undone.
	KeepRules  bool
	ReuseNetns bool         // use namespaces that already exist instead of failing
	Log        *slog.Logger // nil = discard
	Progress   io.Writer    // progress lines while bringing up; nil = none
}

// Node is one radio of a running lab.
type Node struct {
	Config RadioConfig
	Index  int           // position in Config.Radios
	Radio  *medium.Radio // nil for backends whose radios are not on this medium yet
	// Status describes the MAC (role, state, BSSID, …) for Summary; may be nil.
	Status func() medium.MACStatus
	// Wait, if set, blocks until the node is ready (a station associated).
	Wait func(ctx context.Context) error
	// Host is backend-specific (for the tap backend, *tap.Device).
	Host any
}

// Lab is a running lab. Close removes what Up created.
type Lab struct {
	cfg      *Config
	backend  string
	m        *medium.Medium
	log      *slog.Logger
	progress io.Writer
	stateDir string

	ctx    context.Context // lives until Close: MACs run under it
	cancel context.CancelFunc

	mu        sync.Mutex
	state     StateFile
	createdNS []string
	nodes     []*Node
	onClose   []func() error
	backends  []Backend // one per kind the lab runs
	closeOnce sync.Once
	closeErr  error
	net       labNet // uplinks, DHCP servers and clients (net_linux.go)
}

// AddBackend records the Backend of one of the lab's kinds (a kind's Up
// calls it once).
func (l *Lab) AddBackend(b Backend) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.backends = append(l.backends, b)
}

// ensureBackend gives a kind whose Up registered no Backend of its own
// (nothing of its own to report: tap) the plain one.
func (l *Lab) ensureBackend(kind medium.Kind) {
	for _, b := range l.Backends() {
		if b.Kind() == kind {
			return
		}
	}
	l.AddBackend(newLabBackend(l, kind))
}

// Backends returns the running kinds of the lab, in the order they came up
// (a mixed lab has several).
func (l *Lab) Backends() []Backend {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Backend(nil), l.backends...)
}

// Up builds the lab described by cfg: puts the config's links, deny pairs
// and positions on the medium (unless opt.KeepRules), cleans stale
// leftovers a crashed run recorded in opt.StateDir, creates the namespaces,
// lets each kind create its radios and MACs, and waits (at most
// AssociationTimeout) for every station to associate. On error everything
// created so far is removed again.
func Up(ctx context.Context, cfg *Config, opt Options) (*Lab, error) {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lab config: %w", err)
	}
	if opt.Medium == nil {
		return nil, errors.New("lab: Options.Medium is nil")
	}
	if opt.StateDir == "" {
		return nil, errors.New("lab: Options.StateDir is empty")
	}
	kind, err := chooseKind(opt.Backend)
	if err != nil {
		return nil, err
	}
	if err := cfg.checkWDSKinds(string(kind.Name)); err != nil {
		return nil, fmt.Errorf("lab config: %w", err)
	}
	name := string(kind.Name)
	lg := opt.Log
	if lg == nil {
		lg = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	lctx, cancel := context.WithCancel(context.Background())
	l := &Lab{cfg: cfg, backend: name, m: opt.Medium, log: lg, progress: opt.Progress,
		stateDir: opt.StateDir, ctx: lctx, cancel: cancel}

	// Rules first: a radio that joins finds them in force.
	if !opt.KeepRules {
		if err := l.applyRules(ConfigState(cfg)); err != nil {
			cancel()
			return nil, err
		}
	}
	if err := CheckHost(cfg); err != nil {
		cancel()
		return nil, err
	}
	if err := l.cleanStale(); err != nil {
		cancel()
		return nil, err
	}
	var toCreate []string
	for _, ns := range cfg.Namespaces() {
		if netnsutil.Exists(ns) {
			if !opt.ReuseNetns {
				cancel()
				return nil, fmt.Errorf("network namespace %s already exists: delete it (ip netns delete %s) or pass --reuse-netns: %w", ns, ns, netnsutil.ErrExists)
			}
			continue
		}
		toCreate = append(toCreate, ns)
	}
	// Record before creating, so a crash at any point below leaves a
	// state file the next run can clean from.
	l.state = StateFile{PID: os.Getpid(), Started: time.Now().UTC(), Backend: name, Namespaces: toCreate}
	if start, err := processStart(os.Getpid()); err == nil {
		l.state.PIDStart = start
	}
	if err := WriteStateFile(l.stateDir, l.state); err != nil {
		cancel()
		return nil, err
	}
	fail := func(err error) (*Lab, error) {
		if cerr := l.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("cleanup after failed start: %w", cerr))
		}
		return nil, err
	}
	for _, ns := range toCreate {
		l.Progressf("creating namespace %s", ns)
		if err := netnsutil.Create(ns); err != nil {
			return fail(err)
		}
		l.mu.Lock()
		l.createdNS = append(l.createdNS, ns)
		l.mu.Unlock()
	}
	for _, part := range splitByKind(withoutPositions(cfg), name) {
		k, ok := LookupKind(part.kind)
		if !ok || k.NoLab {
			return fail(fmt.Errorf("radios of kind %s (%s): no such kind: accepted are %s", part.kind, strings.Join(part.cfg.RadioNames(), ", "), strings.Join(KindNames(), ", ")))
		}
		if err := k.Up(ctx, l, part.cfg, opt); err != nil {
			return fail(fmt.Errorf("%s backend: %w", part.kind, err))
		}
		l.ensureBackend(k.Name)
	}
	if err := l.upNet(); err != nil {
		return fail(err)
	}
	if err := l.waitReady(ctx); err != nil {
		return fail(err)
	}
	if err := l.upClients(ctx); err != nil {
		return fail(err)
	}
	return l, nil
}

// kindPart is the radios of one kind of a (possibly mixed) lab.
type kindPart struct {
	kind string
	cfg  *Config
}

// splitByKind groups the radios by their kind (RadioConfig.Kind, "" = the
// lab's backend): the lab's backend first, then the other kinds in the
// order they first appear. Stations may belong to an AP of another kind:
// Up waits for associations only after every part is up. A lab without
// per-radio kinds is one part, cfg itself. Each part is a copy of cfg with
// only its radios (default MACs pinned to their index in the whole lab);
// the links and deny pairs are the medium's, in force before any part.
func splitByKind(cfg *Config, backend string) []kindPart {
	kindOf := func(r RadioConfig) string {
		if r.Kind == "" {
			return backend
		}
		return r.Kind
	}
	mixed := false
	for _, r := range cfg.Radios {
		if kindOf(r) != backend {
			mixed = true
		}
	}
	if !mixed {
		return []kindPart{{backend, cfg}}
	}
	var parts []kindPart
	idx := map[string]int{}
	add := func(k string) {
		if _, ok := idx[k]; !ok {
			idx[k] = len(parts)
			sub := *cfg
			sub.Radios, sub.Links, sub.Deny = nil, nil, nil
			parts = append(parts, kindPart{k, &sub})
		}
	}
	add(backend)
	for i, r := range cfg.Radios {
		k := kindOf(r)
		add(k)
		if r.MAC == "" {
			// Keep the default address of the radio's place in the whole
			// lab, not in its part.
			if hw, err := r.HWAddr(i); err == nil {
				r.MAC = hw.String()
			}
		}
		parts[idx[k]].cfg.Radios = append(parts[idx[k]].cfg.Radios, r)
	}
	return parts
}

// chooseKind resolves Options.Backend through the table: a kind by name,
// or for "auto" the first kind whose probe passes.
func chooseKind(b string) (Kind, error) {
	if b == "" || b == BackendAuto {
		name, _, err := Choose(BackendAuto, CheckKinds())
		if err != nil {
			return Kind{}, err
		}
		b = string(name)
	}
	k, ok := LookupKind(b)
	if !ok || k.NoLab || k.RadioOnly {
		return Kind{}, fmt.Errorf("unknown backend %q: accepted are %s, %s", b, BackendAuto, strings.Join(BackendNames(), ", "))
	}
	return k, nil
}

// withoutPositions is cfg with the radios' positions dropped: they are
// part of the rules Up puts on the medium first, and a kind that set them
// again when its radio joins would undo a saved `vmctl move`.
func withoutPositions(cfg *Config) *Config {
	c := *cfg
	c.Radios = append([]RadioConfig(nil), cfg.Radios...)
	for i := range c.Radios {
		c.Radios[i].Position = nil
	}
	return &c
}

// applyRules replaces the medium's links, deny pairs and positions with st
// and says what is in force.
func (l *Lab) applyRules(st medium.State) error {
	if err := l.m.Restore(st); err != nil {
		return fmt.Errorf("apply links, deny pairs and positions: %w", err)
	}
	for _, lc := range st.Links {
		l.Progressf("link %s → %s: %s", lc.Src, lc.Dst, describeLink(LinkConfig{Signal: lc.SignalDBm, Loss: lc.Loss}))
	}
	for _, d := range st.Deny {
		l.Progressf("deny: %s does not hear %s", d.Dst, d.Src)
	}
	return nil
}

func describeLink(lc LinkConfig) string {
	var parts []string
	if lc.Signal != nil {
		parts = append(parts, fmt.Sprintf("signal %g dBm", *lc.Signal))
	}
	if lc.Loss != nil {
		parts = append(parts, fmt.Sprintf("loss %g", *lc.Loss))
	}
	return strings.Join(parts, ", ")
}

// waitReady waits for every node with a Wait function, all under one
// AssociationTimeout deadline. Stations still not associated then are
// reported (the lab stays up: a deny rule in the config may keep one away
// on purpose, and `vmctl allow` can still bring it in).
func (l *Lab) waitReady(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, AssociationTimeout)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var late []string
	for _, n := range l.Nodes() {
		if n.Wait == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if err := n.Wait(wctx); err != nil {
				mu.Lock()
				late = append(late, n.Config.Name)
				mu.Unlock()
				return
			}
			bssid := ""
			if n.Status != nil {
				bssid = n.Status().BSSID
			}
			l.Progressf("%s associated with %s (%s) after %v", n.Config.Name, bssid, n.Config.SSID, time.Since(start).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("bring lab up: %w", ctx.Err())
	}
	if len(late) > 0 {
		sort.Strings(late)
		l.Progressf("warning: not associated after %v: %s (check deny rules and links: vmctl deny, vmctl links)", AssociationTimeout, strings.Join(late, ", "))
		l.log.Warn("stations not associated", "radios", late, "timeout", AssociationTimeout)
	}
	return nil
}

// cleanStale removes what a dead earlier run recorded in lab.json: its
// daemons first (alive, they hold its namespaces and control sockets), then
// its devices and namespaces (wiphys moved home first), then any of its
// kernel radios the kernel has not destroyed.
func (l *Lab) cleanStale() error {
	st, ok, err := ReadStateFile(l.stateDir)
	if err != nil && !ok {
		return err
	}
	if !ok {
		return nil
	}
	if err != nil {
		// Unreadable state file: nothing trustworthy to clean.
		l.Progressf("ignoring unreadable stale %s: %v", StateFileName, err)
		return RemoveStateFile(l.stateDir)
	}
	if st.ProcessAlive() {
		return fmt.Errorf("a lab is already running (pid %d, state %s): stop it first, or use another --state-dir",
			st.PID, l.stateDir+"/"+StateFileName)
	}
	l.reapProcesses(st)
	if err := l.reapUplinks(st); err != nil {
		return err
	}
	for _, d := range st.Devices {
		if d.Netns == "" || !netnsutil.Exists(d.Netns) {
			continue
		}
		h, err := netnsutil.Handle(d.Netns)
		if err != nil {
			continue
		}
		if link, err := h.LinkByName(d.Name); err == nil {
			if err := h.LinkDel(link); err == nil {
				l.Progressf("removed stale device %s in namespace %s left by pid %d", d.Name, d.Netns, st.PID)
				l.log.Info("removed stale device", "device", d.Name, "netns", d.Netns, "pid", st.PID)
			}
		}
		h.Close()
	}
	for _, ns := range st.Namespaces {
		if !netnsutil.Exists(ns) {
			continue
		}
		// Wiphys (kmod, hwsim) first: deleting the namespace would hand
		// them back only later, asynchronously.
		if names, err := nl80211.ReturnWiphys(filepath.Join(netnsutil.Dir, ns)); err != nil {
			l.log.Debug("return wiphys from stale namespace", "netns", ns, "err", err)
		} else if len(names) > 0 {
			l.Progressf("moved %s back from stale namespace %s", strings.Join(names, ", "), ns)
		}
		if err := netnsutil.Delete(ns); err != nil {
			return fmt.Errorf("remove stale namespace %s left by pid %d: %w", ns, st.PID, err)
		}
		l.Progressf("removed stale namespace %s left by pid %d", ns, st.PID)
		l.log.Info("removed stale namespace", "netns", ns, "pid", st.PID)
	}
	if err := l.reapRadios(st); err != nil {
		return err
	}
	return RemoveStateFile(l.stateDir)
}

// Progressf writes one progress line (for backends too).
func (l *Lab) Progressf(format string, a ...any) {
	if l.progress != nil {
		fmt.Fprintf(l.progress, "  "+format+"\n", a...)
	}
}

// Medium returns the medium the lab's radios are on.
func (l *Lab) Medium() *medium.Medium { return l.m }

// Backend returns the backend that built the lab.
func (l *Lab) Backend() string { return l.backend }

// Config returns the lab's configuration.
func (l *Lab) Config() *Config { return l.cfg }

// Context is cancelled when the lab closes; backends run MACs under it.
func (l *Lab) Context() context.Context { return l.ctx }

// Logger returns the lab's logger.
func (l *Lab) Logger() *slog.Logger { return l.log }

// AddNode registers a radio of the lab (for Summary, Nodes and waiting).
// A node's Status also becomes its radio's status source, for radios whose
// port cannot describe the MAC (hwsim: hostapd/wpa_supplicant know it).
func (l *Lab) AddNode(n *Node) {
	if n.Status != nil && n.Radio != nil {
		if _, ok := n.Radio.MACStatus(); !ok {
			n.Radio.SetStatusSource(n.Status)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nodes = append(l.nodes, n)
}

// Nodes returns the lab's radios in configuration order.
func (l *Lab) Nodes() []*Node {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]*Node(nil), l.nodes...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Node returns the radio called name.
func (l *Lab) Node(name string) (*Node, bool) {
	for _, n := range l.Nodes() {
		if n.Config.Name == name {
			return n, true
		}
	}
	return nil, false
}

// OnClose registers f to run at Close, in reverse order of registration.
func (l *Lab) OnClose(f func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.onClose = append(l.onClose, f)
}

// RecordDevice adds a device to lab.json before the backend creates it, so
// a crash leaves it listed for the next run's cleanup.
func (l *Lab) RecordDevice(netns, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.Devices = append(l.state.Devices, Device{Netns: netns, Name: name})
	return WriteStateFile(l.stateDir, l.state)
}

// Close stops the MACs, removes the radios and devices the lab created,
// deletes the namespaces it created, and removes lab.json. Safe to call
// more than once.
func (l *Lab) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		l.mu.Lock()
		fns := l.onClose
		l.onClose = nil
		created := l.createdNS
		l.mu.Unlock()
		var errs []error
		for i := len(fns) - 1; i >= 0; i-- {
			if err := fns[i](); err != nil {
				errs = append(errs, err)
			}
		}
		for _, ns := range created {
			if err := netnsutil.Delete(ns); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) == 0 {
			// Keep the state file when something could not be removed,
			// so the next run retries the cleanup.
			errs = append(errs, RemoveStateFile(l.stateDir))
		}
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Summary is a short table of the lab (name, role, netns, MAC, IP,
// channel, SSID, state/BSSID) followed by three commands to try.
func (l *Lab) Summary() string {
	var rows []SummaryRow
	for _, n := range l.Nodes() {
		hw, _ := n.Config.HWAddr(n.Index)
		row := SummaryRow{Config: n.Config, MAC: hw.String()}
		row.Config.Address = l.summaryAddress(n.Config)
		if n.Radio != nil {
			row.MAC = n.Radio.Addr().String()
		}
		if n.Status != nil {
			st := n.Status()
			row.Status = &st
		}
		rows = append(rows, row)
	}
	return FormatSummary(l.backend, rows) + l.netHints()
}
