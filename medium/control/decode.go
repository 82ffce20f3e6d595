// SPDX-License-Identifier: MIT

package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vmedium/vmedium/medium"
)

// RequestError is a malformed request: bad JSON, unknown field, missing or
// invalid argument, body too large. The server answers it with 400.
type RequestError struct {
	Msg string
}

func (e *RequestError) Error() string { return e.Msg }

func badRequest(format string, a ...any) error {
	return &RequestError{Msg: fmt.Sprintf(format, a...)}
}

// decodeRequest decodes exactly one JSON object from r into v: at most
// MaxRequestBytes, no unknown fields, nothing after the object.
func decodeRequest(r io.Reader, v any) error {
	body, err := io.ReadAll(io.LimitReader(r, MaxRequestBytes+1))
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	if len(body) > MaxRequestBytes {
		return badRequest("request body larger than %d bytes", MaxRequestBytes)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("empty request body: a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return badRequest("malformed JSON at byte %d: %v", se.Offset, err)
		case errors.As(err, &te):
			return badRequest("field %q: %v", te.Field, err)
		}
		return badRequest("bad request body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("unexpected data after the JSON object")
	}
	return nil
}

// validate checks the parts of a request the medium does not check itself,
// so that a bad request is refused before anything changes.
func (r *LinkRequest) validate() error {
	if r.Src == "" || r.Dst == "" {
		return badRequest("link: src and dst are required (radio names)")
	}
	if r.Reset && (r.SignalDBm != nil || r.Loss != nil) {
		return badRequest("link: reset cannot be combined with signal_dbm or loss")
	}
	if !r.Reset && r.SignalDBm == nil && r.Loss == nil {
		return badRequest("link: nothing to set: give signal_dbm, loss or reset")
	}
	return nil
}

func (r *MoveRequest) validate() error {
	if r.Name == "" {
		return badRequest("move: name is required (a radio name)")
	}
	if r.X == nil || r.Y == nil || r.Z == nil {
		return badRequest("move: x, y and z are all required (metres)")
	}
	if r.Speed != nil {
		return medium.ValidateSpeed(*r.Speed)
	}
	return nil
}

func (r *PairRequest) validate(verb string) error {
	if r.Src == "" || r.Dst == "" {
		return badRequest("%s: src and dst are required (radio names)", verb)
	}
	return nil
}
