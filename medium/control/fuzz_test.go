// SPDX-License-Identifier: MIT

package control

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

var fuzzEndpoints = []string{"/v1/link", "/v1/move", "/v1/deny", "/v1/allow", "/v1/deny/clear", "/v1/air"}

// FuzzDecodeRequest drives arbitrary bodies through the real handlers of
// every mutating endpoint. Invariants: the answer is 200 or 400 (never a
// panic or 500), it is JSON, a 400 carries an error message, and a refused
// request leaves the medium's state exactly as it was.
func FuzzDecodeRequest(f *testing.F) {
	seeds := []struct {
		ep   uint8
		body string
	}{
		{0, `{"src":"vw0","dst":"vw1","signal_dbm":-60}`},
		{0, `{"src":"vw0","dst":"vw1","loss":0.3}`},
		{0, `{"src":"vw0","dst":"vw1","loss":1.5}`},
		{0, `{"src":"vw0","dst":"vw1","reset":true}`},
		{0, `{"src":"vw0","dst":"vw9","signal_dbm":-60,"loss":0.1}`},
		{1, `{"name":"vw2","x":1,"y":2,"z":3}`},
		{1, `{"name":"vw2","x":1e309,"y":2,"z":3}`},
		{2, `{"src":"vw1","dst":"vw2"}`},
		{2, `{"src":"vw1","dst":"vw1"}`},
		{3, `{"src":"vw1","dst":"vw2"}`},
		{4, `{}`},
		{2, `{"src":"vw1","dst":"vw2","extra":1}`},
		{2, `{"src":"vw1","dst":"vw2"} {}`},
		{0, `[`},
		{1, `{"name":"vw2","x":1,"y":2,"z":3,"speed":2}`},
		{1, `{"name":"vw2","x":1,"y":2,"z":3,"speed":-2}`},
		{5, `{"errors":"per","airtime":"timed"}`},
		{5, `{"errors":"fancy"}`},
		{5, `{"propagation":"itu-indoor","params":{"floors":2,"power_loss_coeff":28}}`},
		{5, `{"propagation":"free-space","params":{"exponent":3}}`},
		{5, `{"noise_floor_dbm":-90,"fading":"log-normal","fading_sigma_db":4}`},
		{5, `{"default_noise":true,"noise_floor_dbm":-90}`},
	}
	for _, s := range seeds {
		f.Add(s.ep, []byte(s.body))
	}
	m, _ := newTestMedium(f)
	h := NewHandler(Options{Medium: m})
	f.Fuzz(func(t *testing.T, ep uint8, body []byte) {
		path := fuzzEndpoints[int(ep)%len(fuzzEndpoints)]
		before := stateJSON(t, m)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
		switch w.Code {
		case http.StatusOK:
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s: 200 with invalid JSON %q", path, w.Body)
			}
		case http.StatusBadRequest:
			var er ErrorResponse
			if err := json.Unmarshal(w.Body.Bytes(), &er); err != nil || er.Error == "" {
				t.Fatalf("%s: 400 without an error message: %q", path, w.Body)
			}
			if after := stateJSON(t, m); after != before {
				t.Fatalf("%s %q refused (%s) but state changed:\n%s\n%s", path, body, er.Error, before, after)
			}
		default:
			t.Fatalf("%s %q: status %d %s", path, body, w.Code, w.Body)
		}
	})
}

func TestDecodeRequestLimits(t *testing.T) {
	var req PairRequest
	big := append([]byte(`{"src":"`), bytes.Repeat([]byte("a"), MaxRequestBytes)...)
	big = append(big, `","dst":"b"}`...)
	for name, body := range map[string][]byte{
		"too large": big, "empty": nil, "unknown field": []byte(`{"src":"a","dst":"b","x":1}`),
		"trailing": []byte(`{"src":"a","dst":"b"}x`), "type": []byte(`{"src":1}`), "syntax": []byte(`{"src":`),
	} {
		err := decodeRequest(bytes.NewReader(body), &req)
		if _, ok := err.(*RequestError); !ok {
			t.Errorf("%s: %v, want a *RequestError", name, err)
		}
	}
	if err := decodeRequest(bytes.NewReader([]byte(` {"src":"a","dst":"b"} `)), &req); err != nil || req.Src != "a" {
		t.Fatalf("valid request: %v %+v", err, req)
	}
}
