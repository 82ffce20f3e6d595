// SPDX-License-Identifier: MIT

package dropin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultSocket is where the fork's wserver listens and mininet-wifi
// connects.
const DefaultSocket = "/var/run/wmediumd.sock"

// ServerCounters count what the socket received.
type ServerCounters struct {
	Requests  atomic.Uint64 // decoded requests
	Malformed atomic.Uint64 // connections dropped on an unknown type
}

// Server applies wserver requests to a Model.
type Server struct {
	Model *Model
	// Changed is called after every update that succeeded (the medium's
	// PairModelChanged), outside the Model's lock.
	Changed func()
	Log     *slog.Logger
	C       ServerCounters
}

// Apply performs one request and returns its result and, for ADD, the
// new station index.
func (s *Server) Apply(req *Request) (Result, int32) {
	m := s.Model
	var res Result
	var idx int32
	switch req.Type {
	case MsgSNRUpdate:
		res = m.SetSNR(req.From, req.To, req.Int)
	case MsgErrProbUpdate:
		res = m.SetLossProb(req.From, req.To, req.Prob)
	case MsgSpecProbUpdate:
		res = m.SetSpecProb(req.From, req.To, req.SpecProbs())
	case MsgPosUpdate:
		res = m.SetPosition(req.From, req.X, req.Y, req.Z)
	case MsgTxPowerUpdate:
		res = m.SetTxPower(req.From, req.Int)
	case MsgGainUpdate:
		res = m.SetGain(req.From, req.Int)
	case MsgHeightUpdate:
		res = m.SetHeight(req.From, req.Int)
	case MsgGaussianRandom:
		res = m.SetGaussianRandom(req.From, req.Z)
	case MsgMediumUpdate:
		res = m.SetMedium(req.From, req.Int)
	case MsgAdd:
		var i int
		i, res = m.Add(req.From)
		idx = int32(i)
	case MsgDelByMAC:
		res = m.DelByMAC(req.From)
	case MsgDelByID:
		res = m.DelByID(req.Int)
	}
	if res == Success && s.Changed != nil {
		s.Changed()
	}
	return res, idx
}

// Listen opens the UNIX socket at path, replacing a stale socket file (one
// no process accepts on) and refusing a live one.
func Listen(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, 200*time.Millisecond); err == nil {
		c.Close()
		return nil, fmt.Errorf("wserver socket %s: another wmediumd is listening on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("wserver socket %s: remove the stale socket: %w", path, err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("wserver socket: %w", err)
	}
	return ln, nil
}

// Serve accepts connections on ln until ctx ends, then closes ln and every
// connection and returns.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	var err error
	for {
		c, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("wserver: accept: %w", aerr)
			}
			break
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			break
		}
		conns[c] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if cerr := s.ServeConn(c); cerr != nil {
				log.Warn("wserver connection closed", "err", cerr)
			}
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
			c.Close()
		}()
	}
	ln.Close()
	wg.Wait()
	return err
}

// ServeConn reads requests from rw and answers each until EOF, SHUTDOWN or
// a malformed request (an unknown type: the stream has no way to find the
// next message).
func (s *Server) ServeConn(rw io.ReadWriter) error {
	buf := make([]byte, 0, 4096)
	out := make([]byte, 0, 64)
	rd := make([]byte, 4096)
	for {
		for {
			req, n, err := DecodeRequest(buf)
			if err != nil {
				s.C.Malformed.Add(1)
				return err
			}
			if n == 0 {
				break
			}
			s.C.Requests.Add(1)
			if req.Type == MsgShutdown {
				return nil
			}
			res, idx := s.Apply(&req)
			out = AppendResponse(out[:0], &req, res, idx)
			buf = buf[:copy(buf, buf[n:])]
			if _, err := rw.Write(out); err != nil {
				return fmt.Errorf("wserver: write response: %w", err)
			}
		}
		k, err := rw.Read(rd)
		buf = append(buf, rd[:k]...)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("wserver: read: %w", err)
		}
	}
}
