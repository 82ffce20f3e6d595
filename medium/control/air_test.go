// SPDX-License-Identifier: MIT

package control

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/air"
)

func str(s string) *string { return &s }

func TestAirEndpointChangesAndRefuses(t *testing.T) {
	m, _ := newTestMedium(t)
	c := serve(t, m, Options{})
	ctx := context.Background()
	got, err := c.SetAir(ctx, AirRequest{Errors: str("per"), Airtime: str("account"), Propagation: str("free-space"),
		Params: map[string]float64{"system_loss_db": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Errors != "per" || got.Airtime != "account" || got.Propagation.Model != air.ModelFreeSpace || got.Propagation.SystemLossDB != 3 {
		t.Fatalf("air after change: %+v", got)
	}
	for _, bad := range []struct {
		req  AirRequest
		want string
	}{
		{AirRequest{Errors: str("perfect")}, "flat, per"},
		{AirRequest{Airtime: str("later")}, "off, account, timed"},
		{AirRequest{Propagation: str("warp")}, "log-distance"},
		{AirRequest{Params: map[string]float64{"exponent": 3}}, "system_loss_db"}, // not a free-space parameter
		{AirRequest{Params: map[string]float64{"system_loss_db": 500}}, "system_loss_db"},
		{AirRequest{Propagation: str("log-distance"), Params: map[string]float64{"exponent": 99}}, "exponent"},
		{AirRequest{Propagation: str("itu-indoor"), Params: map[string]float64{"colour": 1}}, "power_loss_coeff"},
		{AirRequest{Fading: str("wobble")}, "rayleigh"},
		{AirRequest{NoiseFloorDBm: func() *float64 { v := -500.0; return &v }()}, "noise_floor_dbm"},
	} {
		_, err := c.SetAir(ctx, bad.req)
		if !IsBadInput(err) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want a bad-input error naming %q", bad.req, err, bad.want)
		}
	}
	if now, _ := c.Air(ctx); now.Errors != "per" || now.Propagation.Model != air.ModelFreeSpace {
		t.Fatalf("a refused request changed the model: %+v", now)
	}
	st, err := c.Status(ctx)
	if err != nil || !strings.Contains(st.Air, "errors per, airtime account, propagation free-space") {
		t.Fatalf("status air %q (%v)", st.Air, err)
	}
	// Moving at a speed.
	if _, err := c.MoveAt(ctx, "vw1", medium.Position{X: 1}, 0); err != nil {
		t.Fatal(err)
	}
	res, err := c.MoveAt(ctx, "vw1", medium.Position{X: 20}, 2)
	if err != nil || !res.Moving {
		t.Fatalf("move at speed: %+v %v", res, err)
	}
	if _, err := c.MoveAt(ctx, "vw1", medium.Position{X: 20}, -1); !IsBadInput(err) || !strings.Contains(err.Error(), "speed") {
		t.Fatalf("negative speed: %v", err)
	}
}

func TestStateFileKeepsAirAndReadsOldFiles(t *testing.T) {
	dir := t.TempDir()
	sf, err := OpenState(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newTestMedium(t)
	if err := m.SetAir(medium.AirConfig{Errors: medium.ErrorsPER, Airtime: medium.AirtimeTimed}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := sf.Save(m.State()); err != nil {
		t.Fatal(err)
	}
	st, ok, err := sf.Load()
	if err != nil || !ok || st.Air == nil || st.Air.Airtime != medium.AirtimeTimed {
		t.Fatalf("loaded %+v %v %v", st.Air, ok, err)
	}
	// A file written before the air model existed.
	old := `{"version": 1, "saved_at": "2026-01-01T00:00:00Z", "medium": {"deny": [{"src": "vw1", "dst": "vw2"}]}}`
	if err := os.WriteFile(filepath.Join(dir, StateFileName), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	st, ok, err = sf.Load()
	if err != nil || !ok || st.Air != nil || len(st.Deny) != 1 {
		t.Fatalf("old state: %+v %v %v", st, ok, err)
	}
}
