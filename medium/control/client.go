// SPDX-License-Identifier: MIT

package control

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/vmedium/vmedium/denylist"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/capture"
)

// ErrNotRunning is wrapped by client errors when nothing answers on the
// socket (no vmedium, or a stale socket).
var ErrNotRunning = errors.New("vmedium is not running")

// ErrPermission is wrapped by client errors when the socket exists but this
// user may not connect to it (a root daemon's socket is mode 0600).
var ErrPermission = errors.New("permission denied")

// ErrNotLive is wrapped by WaitLive when the wait ends with the daemon
// still starting.
var ErrNotLive = errors.New("vmedium is not live")

// PermissionError is a refused connection to the control socket.
type PermissionError struct {
	Socket string
	Err    error // the dial error
}

func (e *PermissionError) Error() string {
	owner := ""
	if fi, err := os.Stat(e.Socket); err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			owner = fmt.Sprintf(" (owned by uid %d, mode %04o)", st.Uid, fi.Mode().Perm())
		}
	}
	return fmt.Sprintf("permission denied on the control socket %s%s: run vmctl as the daemon's user (sudo vmctl …), or point --socket at a socket you may use", e.Socket, owner)
}

// Unwrap lets errors.Is find ErrPermission and the dial error.
func (e *PermissionError) Unwrap() []error { return []error{ErrPermission, e.Err} }

// dialError classifies a failure to connect to socket: refused for lack of
// permission, or nobody there.
func dialError(socket string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return &PermissionError{Socket: socket, Err: err}
	}
	return fmt.Errorf("%w: no server answers on %s (%v)", ErrNotRunning, socket, err)
}

// APIError is an error answer from the server.
type APIError struct {
	StatusCode int
	Message    string
}

func (e *APIError) Error() string { return e.Message }

// IsBadInput reports whether err is the server refusing the caller's input
// (HTTP 400): nothing was changed. vmctl exits 2 for these.
func IsBadInput(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusBadRequest
}

// Client talks to the API over its UNIX socket.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(socket string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		DisableCompression: true,
	}
	return &Client{socket: socket, hc: &http.Client{Transport: tr}}
}

// Socket returns the socket path.
func (c *Client) Socket() string { return c.socket }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	resp, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// request sends a request and returns a 200 response, or an error
// (ErrNotRunning, *APIError).
func (c *Client) request(ctx context.Context, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://vmedium"+path, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, dialError(c.socket, op.Err)
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var er ErrorResponse
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxRequestBytes))
		if json.Unmarshal(b, &er) != nil || er.Error == "" {
			er.Error = fmt.Sprintf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
		}
		return nil, &APIError{StatusCode: resp.StatusCode, Message: er.Error}
	}
	return resp, nil
}

// Status returns the server's status.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var st Status
	return st, c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
}

// StatusWait returns the server's status once it is live or after d,
// whichever comes first (a long poll: the server answers when its state
// changes).
func (c *Client) StatusWait(ctx context.Context, d time.Duration) (Status, error) {
	var st Status
	return st, c.do(ctx, http.MethodGet, "/v1/status?wait="+url.QueryEscape(d.String()), nil, &st)
}

// WaitLive waits at most d for the daemon to be live. A daemon not
// answering yet (just started) is retried until the wait ends. It returns
// the last status with nil, or an error wrapping ErrNotLive (still
// starting), ErrNotRunning (nobody answers when the wait ends) or
// ErrPermission (at once).
func (c *Client) WaitLive(ctx context.Context, d time.Duration) (Status, error) {
	deadline := time.Now().Add(d)
	const redial = 100 * time.Millisecond
	var last *Status
	for {
		left := max(time.Until(deadline), 0)
		// The server answers by itself when the wait is over; the grace
		// only bounds a server that stopped answering.
		rctx, cancel := context.WithTimeout(ctx, left+2*time.Second)
		st, err := c.StatusWait(rctx, left)
		cancel()
		switch {
		case err == nil && st.State == PhaseLive:
			return st, nil
		case err == nil:
			last = &st
		case errors.Is(err, ErrPermission):
			return Status{}, err
		case ctx.Err() != nil:
			return Status{}, ctx.Err()
		default:
			// Not listening yet, or gone (its answer cut short).
			last = nil
		}
		if time.Until(deadline) <= 0 {
			if last == nil {
				if errors.Is(err, ErrNotRunning) {
					return Status{}, err
				}
				return Status{}, fmt.Errorf("%w: no server answers on %s (%v)", ErrNotRunning, c.socket, err)
			}
			return *last, fmt.Errorf("%w after %v: still %s", ErrNotLive, d, last.State)
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(min(redial, time.Until(deadline))):
			}
		}
	}
}

// Radios describes every radio.
func (c *Client) Radios(ctx context.Context) ([]medium.RadioInfo, error) {
	var rs []medium.RadioInfo
	return rs, c.do(ctx, http.MethodGet, "/v1/radios", nil, &rs)
}

// Links returns the effective link matrix.
func (c *Client) Links(ctx context.Context) ([]medium.LinkInfo, error) {
	var ls []medium.LinkInfo
	return ls, c.do(ctx, http.MethodGet, "/v1/links", nil, &ls)
}

// State returns the medium's runtime state.
func (c *Client) State(ctx context.Context) (medium.State, error) {
	var st medium.State
	return st, c.do(ctx, http.MethodGet, "/v1/state", nil, &st)
}

// SetLink sets or resets one ordered link.
func (c *Client) SetLink(ctx context.Context, req LinkRequest) (LinkResult, error) {
	var res LinkResult
	return res, c.do(ctx, http.MethodPost, "/v1/link", req, &res)
}

// Move places a radio.
func (c *Client) Move(ctx context.Context, name string, p medium.Position) (MoveResult, error) {
	var res MoveResult
	return res, c.do(ctx, http.MethodPost, "/v1/move", MoveRequest{Name: name, X: &p.X, Y: &p.Y, Z: &p.Z}, &res)
}

// MoveAt sends a radio to p at speed m/s (0: at once).
func (c *Client) MoveAt(ctx context.Context, name string, p medium.Position, speed float64) (MoveResult, error) {
	var res MoveResult
	return res, c.do(ctx, http.MethodPost, "/v1/move", MoveRequest{Name: name, X: &p.X, Y: &p.Y, Z: &p.Z, Speed: &speed}, &res)
}

// Air returns the air model.
func (c *Client) Air(ctx context.Context) (medium.AirConfig, error) {
	var a medium.AirConfig
	return a, c.do(ctx, http.MethodGet, "/v1/air", nil, &a)
}

// SetAir changes the air model.
func (c *Client) SetAir(ctx context.Context, req AirRequest) (medium.AirConfig, error) {
	var a medium.AirConfig
	return a, c.do(ctx, http.MethodPost, "/v1/air", req, &a)
}

// DenyList returns the deny pairs.
func (c *Client) DenyList(ctx context.Context) ([]denylist.Pair, error) {
	var ps []denylist.Pair
	return ps, c.do(ctx, http.MethodGet, "/v1/deny", nil, &ps)
}

// Deny makes dst deaf to src.
func (c *Client) Deny(ctx context.Context, src, dst string) (PairResult, error) {
	var res PairResult
	return res, c.do(ctx, http.MethodPost, "/v1/deny", PairRequest{Src: src, Dst: dst}, &res)
}

// Allow removes the deny pair (src, dst).
func (c *Client) Allow(ctx context.Context, src, dst string) (PairResult, error) {
	var res PairResult
	return res, c.do(ctx, http.MethodPost, "/v1/allow", PairRequest{Src: src, Dst: dst}, &res)
}

// ClearDeny removes every deny pair.
func (c *Client) ClearDeny(ctx context.Context) (ClearResult, error) {
	var res ClearResult
	return res, c.do(ctx, http.MethodPost, "/v1/deny/clear", struct{}{}, &res)
}

// Capture streams a pcap of the medium's traffic into w: only what radio
// received and transmitted if radio is set, for d (0: until ctx ends). The
// stats come from the server's trailers.
func (c *Client) Capture(ctx context.Context, radio string, d time.Duration, w io.Writer) (capture.Stats, error) {
	q := url.Values{}
	if radio != "" {
		q.Set("radio", radio)
	}
	if d > 0 {
		q.Set("duration", d.String())
	}
	path := "/v1/capture"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	resp, err := c.request(ctx, http.MethodGet, path, nil)
	if err != nil {
		return capture.Stats{}, err
	}
	defer resp.Body.Close()
	var st capture.Stats
	rc := &pcapCounter{w: w}
	if _, err := io.Copy(rc, resp.Body); err != nil {
		if ctx.Err() != nil {
			// Interrupted by the user: what we have is the capture; the
			// server's trailers never came, so count what was written.
			st.Frames, st.Interrupted = rc.records, true
			return st, nil
		}
		return st, fmt.Errorf("capture: %w", err)
	}
	st.Frames, _ = strconv.ParseUint(resp.Trailer.Get(TrailerFrames), 10, 64)
	st.Dropped, _ = strconv.ParseUint(resp.Trailer.Get(TrailerDropped), 10, 64)
	return st, nil
}

// pcapCounter passes a classic pcap stream through and counts its complete
// records (24-byte file header, then a 16-byte header per record whose
// third word is the captured length), so that a capture the user
// interrupts still says how many frames it holds.
type pcapCounter struct {
	w       io.Writer
	hdr     [16]byte
	n       int    // bytes of the current header (file header first, then record headers)
	skip    uint64 // bytes of the current record's data still to pass
	started bool   // the file header has passed
	little  bool   // byte order from the magic
	records uint64
}

func (c *pcapCounter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	for b := p[:n]; len(b) > 0; {
		if !c.started {
			if c.n < 4 {
				c.hdr[c.n] = b[0]
			}
			c.n++
			b = b[1:]
			if c.n == 24 {
				c.started, c.n = true, 0
				c.little = binary.LittleEndian.Uint32(c.hdr[:4]) == 0xa1b2c3d4 || binary.LittleEndian.Uint32(c.hdr[:4]) == 0xa1b23c4d
			}
			continue
		}
		if c.skip > 0 {
			k := min(uint64(len(b)), c.skip)
			c.skip -= k
			b = b[k:]
			if c.skip == 0 {
				c.records++
			}
			continue
		}
		k := copy(c.hdr[c.n:], b)
		c.n += k
		b = b[k:]
		if c.n == 16 {
			c.n = 0
			if c.little {
				c.skip = uint64(binary.LittleEndian.Uint32(c.hdr[8:12]))
			} else {
				c.skip = uint64(binary.BigEndian.Uint32(c.hdr[8:12]))
			}
			if c.skip == 0 {
				c.records++
			}
		}
	}
	return n, err
}
