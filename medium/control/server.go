// SPDX-License-Identifier: MIT

package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/capture"
)

// Options configure the API server.
type Options struct {
	Medium    *medium.Medium
	Version   string
	Seed      uint64
	StateFile string // shown in status
	// Ready is the daemon's phase (starting, live); nil means always live.
	Ready *Readiness
	// Backends, if set, returns the running backends, one per kind (a
	// mixed lab has several); such a kind is live even before its first
	// radio registers. Once live, kinds with registered radios and no
	// backend are listed as live too.
	Backends func() []KindStatus
	// MACStatus, if set, describes the radios whose MAC the medium cannot
	// (neither their port nor a status source says) in GET /v1/radios.
	MACStatus func(radio string) (medium.MACStatus, bool)
	// Net, if set, gives the lab's DHCP leases and address sources
	// (GET /v1/leases, GET /v1/addresses; see net.go).
	Net *NetSource
	Log *slog.Logger
}

type server struct {
	opt     Options
	m       *medium.Medium
	started time.Time
	log     *slog.Logger
}

// NewHandler returns the API as an http.Handler (tests and embedding).
func NewHandler(opt Options) http.Handler {
	s := &server{opt: opt, m: opt.Medium, started: time.Now(), log: opt.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("GET /v1/radios", s.radios)
	mux.HandleFunc("GET /v1/links", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.m.Links()) })
	mux.HandleFunc("GET /v1/state", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.m.State()) })
	mux.HandleFunc("GET /v1/deny", s.denyList)
	mux.HandleFunc("POST /v1/link", s.link)
	mux.HandleFunc("POST /v1/move", s.move)
	mux.HandleFunc("GET /v1/air", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.m.Air()) })
	mux.HandleFunc("POST /v1/air", s.air)
	mux.HandleFunc("POST /v1/deny", s.deny)
	mux.HandleFunc("POST /v1/allow", s.allow)
	mux.HandleFunc("POST /v1/deny/clear", s.clear)
	mux.HandleFunc("GET /v1/capture", s.capture)
	mux.HandleFunc("GET /v1/leases", s.leases)
	mux.HandleFunc("GET /v1/addresses", s.addresses)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, ErrorResponse{Error: fmt.Sprintf("no such endpoint %s %s", r.Method, r.URL.Path)})
	})
	return mux
}

// Serve answers API requests on ln until ctx is done, then shuts down
// (in-flight captures are ended).
func Serve(ctx context.Context, ln net.Listener, opt Options) error {
	srv := &http.Server{
		Handler:           NewHandler(opt),
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("control API: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	<-errc
	return nil
}

// Listen creates the API socket at path: the parent directory is created
// (0755), a stale socket nobody answers on is replaced, and the socket is
// made 0600 so only its owner (root, for `vmedium run`) can drive the medium.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("listen on %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen on %s: another vmedium is already serving it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	// Create the socket with no group/other permissions from the start, so
	// there is no window in which it is world-writable.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("chmod socket: %w", err)
	}
	return ln, nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away: nothing to do
}

// fail answers err: 400 when it is the caller's fault, 500 otherwise.
func (s *server) fail(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var re *RequestError
	if errors.As(err, &re) || medium.IsBadInput(err) {
		code = http.StatusBadRequest
	} else {
		s.log.Error("control API request failed", "err", err)
	}
	writeJSON(w, code, ErrorResponse{Error: err.Error()})
}

// MaxStatusWait bounds GET /v1/status?wait=….
const MaxStatusWait = time.Hour

// status answers GET /v1/status, with ?wait=DURATION once the daemon is
// live or the wait is over: a long poll, so scripts need no polling loop.
func (s *server) status(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "wait" {
			s.fail(w, badRequest("status: unknown parameter %q: accepted is wait", k))
			return
		}
	}
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > MaxStatusWait {
			s.fail(w, &medium.InvalidValueError{What: "wait", Value: strconv.Quote(v),
				Accepted: "a duration from 0 to " + MaxStatusWait.String() + " such as 30s"})
			return
		}
		s.waitLive(r.Context(), d)
	}
	writeJSON(w, http.StatusOK, s.snapshot())
}

// waitLive returns when the phase is live, d has passed or ctx ends.
func (s *server) waitLive(ctx context.Context, d time.Duration) {
	if s.opt.Ready == nil {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		p, changed := s.opt.Ready.Phase()
		if p == PhaseLive {
			return
		}
		select {
		case <-changed:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

func (s *server) snapshot() Status {
	phase := PhaseLive
	if s.opt.Ready != nil {
		phase, _ = s.opt.Ready.Phase()
	}
	counts := s.m.KindCounts()
	st := Status{
		State:   phase,
		Version: s.opt.Version, GoVersion: runtime.Version(),
		StartedAt: s.started, UptimeSeconds: time.Since(s.started).Seconds(),
		Seed: s.opt.Seed, DenyPairs: len(s.m.DenyList()),
		ExplicitLinks: len(s.m.State().Links), StateFile: s.opt.StateFile,
		Air: s.m.Air().String(),
	}
	listed := map[medium.Kind]bool{}
	if s.opt.Backends != nil {
		for _, k := range s.opt.Backends() {
			listed[k.Kind] = true
			st.Kinds = append(st.Kinds, k)
		}
	}
	var rest []medium.Kind
	for k, n := range counts {
		st.Radios += n
		if !listed[k] && n > 0 {
			rest = append(rest, k)
		}
	}
	sort.Slice(rest, func(i, j int) bool { return rest[i] < rest[j] })
	for _, k := range rest {
		st.Kinds = append(st.Kinds, KindStatus{Kind: k, Live: phase == PhaseLive, Radios: counts[k]})
	}
	return st
}

// radios answers GET /v1/radios: every radio, the MAC described by the
// medium or else by the radio's backend.
func (s *server) radios(w http.ResponseWriter, r *http.Request) {
	rs := s.m.Radios()
	if s.opt.MACStatus != nil {
		for i := range rs {
			if rs[i].MAC == nil {
				if st, ok := s.opt.MACStatus(rs[i].Name); ok {
					rs[i].MAC = &st
				}
			}
		}
	}
	writeJSON(w, http.StatusOK, rs)
}

func (s *server) denyList(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.m.DenyList())
}

func (s *server) link(w http.ResponseWriter, r *http.Request) {
	var req LinkRequest
	if err := decodeRequest(r.Body, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := req.validate(); err != nil {
		s.fail(w, err)
		return
	}
	var err error
	if req.Reset {
		err = s.m.ResetLink(req.Src, req.Dst)
	} else {
		err = s.m.SetLink(req.Src, req.Dst, req.SignalDBm, req.Loss)
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	for _, l := range s.m.Links() {
		if l.Src == req.Src && l.Dst == req.Dst {
			writeJSON(w, http.StatusOK, LinkResult{Link: l})
			return
		}
	}
	s.fail(w, fmt.Errorf("link %s→%s set but not in the link matrix (radio removed meanwhile?)", req.Src, req.Dst))
}

func (s *server) move(w http.ResponseWriter, r *http.Request) {
	var req MoveRequest
	if err := decodeRequest(r.Body, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := req.validate(); err != nil {
		s.fail(w, err)
		return
	}
	p := medium.Position{X: *req.X, Y: *req.Y, Z: *req.Z}
	speed := 0.0
	if req.Speed != nil {
		speed = *req.Speed
	}
	if err := s.m.MoveTo(req.Name, p, speed); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, MoveResult{Name: req.Name, Position: p, Speed: speed, Moving: s.m.Moving(req.Name)})
}

// air answers POST /v1/air: the request applied to the current model,
// validated as a whole; on error nothing changes.
func (s *server) air(w http.ResponseWriter, r *http.Request) {
	var req AirRequest
	if err := decodeRequest(r.Body, &req); err != nil {
		s.fail(w, err)
		return
	}
	cfg, err := req.Apply(s.m.Air())
	if err != nil {
		s.fail(w, err)
		return
	}
	if err := s.m.SetAir(cfg); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.m.Air())
}

func (s *server) deny(w http.ResponseWriter, r *http.Request) {
	s.pairChange(w, r, "deny", s.m.Deny, "now denies", "already denies")
}

func (s *server) allow(w http.ResponseWriter, r *http.Request) {
	s.pairChange(w, r, "allow", s.m.Allow, "now allows", "did not deny")
}

// pairChange serves deny and allow: decode and validate a pair, apply op,
// and say "DST <changed|unchanged> SRC".
func (s *server) pairChange(w http.ResponseWriter, r *http.Request, verb string,
	op func(src, dst string) (bool, error), changed, unchanged string) {
	var req PairRequest
	if err := decodeRequest(r.Body, &req); err != nil {
		s.fail(w, err)
		return
	}
	if err := req.validate(verb); err != nil {
		s.fail(w, err)
		return
	}
	did, err := op(req.Src, req.Dst)
	if err != nil {
		s.fail(w, err)
		return
	}
	res := PairResult{Changed: did, Message: req.Dst + " " + changed + " " + req.Src}
	res.Pair.Src, res.Pair.Dst = req.Src, req.Dst
	if !did {
		res.Message = req.Dst + " " + unchanged + " " + req.Src
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *server) clear(w http.ResponseWriter, r *http.Request) {
	var req struct{}
	if err := decodeRequest(r.Body, &req); err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ClearResult{Cleared: s.m.ClearDeny()})
}

// capture streams a pcap of the medium's traffic until the duration ends or
// the client disconnects. Counts are sent as HTTP trailers.
func (s *server) capture(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "radio" && k != "duration" {
			s.fail(w, badRequest("capture: unknown parameter %q: accepted are radio and duration", k))
			return
		}
	}
	radio := q.Get("radio")
	if radio != "" {
		if _, ok := s.m.Radio(radio); !ok {
			s.fail(w, &medium.UnknownRadioError{Name: radio, Known: s.m.Names()})
			return
		}
	}
	var d time.Duration
	if v := q.Get("duration"); v != "" {
		var err error
		d, err = parseDuration(v)
		if err != nil {
			s.fail(w, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/vnd.tcpdump.pcap")
	w.Header().Set("Trailer", TrailerFrames+", "+TrailerDropped)
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	c, err := capture.Start(s.m, w, capture.Options{Radio: radio, Flush: rc.Flush})
	if err != nil {
		s.log.Warn("capture start failed", "err", err)
		return
	}
	s.log.Info("capture started", "radio", radio, "duration", d)
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
	case <-r.Context().Done():
	case <-c.Failed():
	}
	st, err := c.Stop()
	w.Header().Set(TrailerFrames, strconv.FormatUint(st.Frames, 10))
	w.Header().Set(TrailerDropped, strconv.FormatUint(st.Dropped, 10))
	s.log.Info("capture ended", "frames", st.Frames, "dropped", st.Dropped, "err", err)
}

// parseDuration parses a capture duration: a Go duration ("5s", "1m30s"),
// zero meaning until the client disconnects.
func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, &medium.InvalidValueError{What: "duration", Value: strconv.Quote(v),
			Accepted: `a non-negative duration such as 5s, 1m30s or 0 (until interrupted)`}
	}
	return d, nil
}

// ParseDuration is the capture duration syntax, for clients that validate
// before calling the API.
func ParseDuration(v string) (time.Duration, error) { return parseDuration(v) }
