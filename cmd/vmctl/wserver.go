// SPDX-License-Identifier: MIT

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/wmediumd/dropin"
)

const wserverUsage = `vmctl wserver [--wserver-socket PATH] REQUEST ARGS: one request to the runtime
socket of a wmediumd (vmedium wmediumd -s, or the mininet-wifi fork):
  snr FROM TO SNR      errprob FROM TO P     pos MAC X Y Z
  txpower MAC DBM      gain MAC DBI          height MAC M
  gaussian MAC DB      medium MAC ID         add MAC
  del MAC              delid INDEX
  specprob FROM TO P…  (dynamic mode, -d) 1 loss for all, 12 (one per rate
                       index 0..11, every size class) or 144 (size class·12 + rate)
(default socket ` + dropin.DefaultSocket + `)`

// wserver sends one wserver request and prints the result; a result other
// than success exits 1.
func (a *app) wserver(_ context.Context, args []string) error {
	sock := dropin.DefaultSocket
	if len(args) >= 2 && args[0] == "--wserver-socket" {
		sock, args = args[1], args[2:]
	}
	if len(args) == 0 {
		return usagef("%s", wserverUsage)
	}
	req, err := wserverRequest(args)
	if err != nil {
		return err
	}
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return fmt.Errorf("wserver socket: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(dropin.AppendRequest(nil, &req)); err != nil {
		return fmt.Errorf("wserver: send: %w", err)
	}
	resp := make([]byte, dropin.ResponseLen(req.Type))
	if _, err := io.ReadFull(c, resp); err != nil {
		return fmt.Errorf("wserver: read the response: %w", err)
	}
	res := dropin.Result(resp[len(resp)-1])
	if req.Type == dropin.MsgAdd {
		idx := int32(uint32(resp[len(resp)-5])<<24 | uint32(resp[len(resp)-4])<<16 | uint32(resp[len(resp)-3])<<8 | uint32(resp[len(resp)-2]))
		fmt.Fprintf(a.stdout, "%s: %s (station %d)\n", req.Type, res, idx)
	} else {
		fmt.Fprintf(a.stdout, "%s: %s\n", req.Type, res)
	}
	if res != dropin.Success {
		return fmt.Errorf("wserver %s: %s", req.Type, res)
	}
	return nil
}

// wserverRequest builds a request from its words.
func wserverRequest(args []string) (dropin.Request, error) {
	var r dropin.Request
	want := map[string]struct {
		t    dropin.MsgType
		argc int
	}{
		"snr": {dropin.MsgSNRUpdate, 3}, "errprob": {dropin.MsgErrProbUpdate, 3}, "pos": {dropin.MsgPosUpdate, 4},
		"txpower": {dropin.MsgTxPowerUpdate, 2}, "gain": {dropin.MsgGainUpdate, 2}, "height": {dropin.MsgHeightUpdate, 2},
		"gaussian": {dropin.MsgGaussianRandom, 2}, "medium": {dropin.MsgMediumUpdate, 2}, "add": {dropin.MsgAdd, 1},
		"del": {dropin.MsgDelByMAC, 1}, "delid": {dropin.MsgDelByID, 1},
	}
	if args[0] == "specprob" {
		return specprobRequest(args[1:])
	}
	w, ok := want[args[0]]
	if !ok {
		return r, usagef("unknown wserver request %q\n%s", args[0], wserverUsage)
	}
	if len(args)-1 != w.argc {
		return r, usagef("wserver %s takes %d arguments, got %d\n%s", args[0], w.argc, len(args)-1, wserverUsage)
	}
	r.Type = w.t
	p := args[1:]
	mac := func(s string) (frames.MAC, error) {
		m, err := frames.ParseMAC(s)
		if err != nil {
			return m, usagef("%q: accepted is a MAC address like 02:00:00:00:01:00", s)
		}
		return m, nil
	}
	num := func(s string) (float64, error) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, usagef("%q: accepted is a number", s)
		}
		return v, nil
	}
	integer := func(s string) (int32, error) {
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return 0, usagef("%q: accepted is an integer", s)
		}
		return int32(v), nil
	}
	var err error
	switch r.Type {
	case dropin.MsgDelByID:
		r.Int, err = integer(p[0])
		return r, err
	}
	if r.From, err = mac(p[0]); err != nil {
		return r, err
	}
	switch r.Type {
	case dropin.MsgSNRUpdate, dropin.MsgErrProbUpdate:
		if r.To, err = mac(p[1]); err != nil {
			return r, err
		}
		if r.Type == dropin.MsgSNRUpdate {
			r.Int, err = integer(p[2])
		} else {
			r.Prob, err = num(p[2])
			if err == nil && !(r.Prob >= 0 && r.Prob <= 1) {
				err = usagef("%s: accepted is a probability from 0 to 1", p[2])
			}
		}
	case dropin.MsgPosUpdate:
		for i, dst := range []*float64{&r.X, &r.Y, &r.Z} {
			if *dst, err = num(p[1+i]); err != nil {
				return r, err
			}
		}
	case dropin.MsgGaussianRandom:
		r.Z, err = num(p[1])
	case dropin.MsgTxPowerUpdate, dropin.MsgGainUpdate, dropin.MsgHeightUpdate, dropin.MsgMediumUpdate:
		r.Int, err = integer(p[1])
	}
	return r, err
}

// specprobRequest builds SPECPROB_UPDATE from FROM TO and 1, 12 or 144
// probabilities.
func specprobRequest(p []string) (dropin.Request, error) {
	r := dropin.Request{Type: dropin.MsgSpecProbUpdate}
	if n := len(p) - 2; n != 1 && n != 12 && n != dropin.SpecProbEntries {
		return r, usagef("wserver specprob takes FROM TO and 1, 12 or %d probabilities, got %d words\n%s", dropin.SpecProbEntries, len(p), wserverUsage)
	}
	var err error
	for i, dst := range []*frames.MAC{&r.From, &r.To} {
		if *dst, err = frames.ParseMAC(p[i]); err != nil {
			return r, usagef("%q: accepted is a MAC address like 02:00:00:00:01:00", p[i])
		}
	}
	vals := make([]float64, len(p)-2)
	for i, w := range p[2:] {
		v, err := strconv.ParseFloat(w, 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return r, usagef("%q: accepted is a probability from 0 to 1", w)
		}
		vals[i] = v
	}
	var t [dropin.SpecProbEntries]float64
	for k := range t {
		switch len(vals) {
		case 1:
			t[k] = vals[0]
		case 12:
			t[k] = vals[k%12]
		default:
			t[k] = vals[k]
		}
	}
	r.Spec = &t
	return r, nil
}
