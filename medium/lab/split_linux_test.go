// SPDX-License-Identifier: MIT

package lab

import (
	"strings"
	"testing"
)

// TestSplitByKind: a lab without per-radio kinds is one part (the config
// itself); a mixed lab is split by kind, the lab's backend first, each part
// keeping its radios' order and the default MAC of their place in the whole
// lab.
func TestSplitByKind(t *testing.T) {
	cfg, err := ParseConfig("mixed.yaml", []byte(`radios:
  - {name: vw0, kind: tap, role: ap,  netns: ns0, ssid: a, channel: 1}
  - {name: vw1,            role: sta, netns: ns1, ssid: a, channel: 1}
  - {name: vw2,            role: ap,  netns: ns2, ssid: b, channel: 11}
  - {name: vw3, kind: tap, role: sta, netns: ns3, ssid: b, channel: 11, mac: "02:00:00:00:a3:00"}
links:
  - {src: vw0, dst: vw1, loss: 0.1}
`))
	if err != nil {
		t.Fatal(err)
	}
	// With --backend tap every radio is a tap radio: not mixed.
	if parts := splitByKind(cfg, BackendTap); len(parts) != 1 || parts[0].cfg != cfg {
		t.Fatalf("backend tap: parts %+v, want the config itself", parts)
	}
	parts := splitByKind(cfg, BackendHwsim)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2", len(parts))
	}
	got := map[string]string{}
	for _, p := range parts {
		got[p.kind] = strings.Join(p.cfg.RadioNames(), ",")
		if len(p.cfg.Links) != 0 || len(p.cfg.Deny) != 0 {
			t.Errorf("part %s carries links/deny: Up applies them once", p.kind)
		}
	}
	if parts[0].kind != BackendHwsim || got[BackendHwsim] != "vw1,vw2" || got[BackendTap] != "vw0,vw3" {
		t.Fatalf("parts %v (first %s), want hwsim first: hwsim vw1,vw2 and tap vw0,vw3", got, parts[0].kind)
	}
	tapPart := parts[1].cfg
	if tapPart.Radios[0].MAC != "02:00:00:00:00:00" || tapPart.Radios[1].MAC != "02:00:00:00:a3:00" {
		t.Errorf("tap MACs %q %q: want the whole lab's default for vw0 and the configured one for vw3",
			tapPart.Radios[0].MAC, tapPart.Radios[1].MAC)
	}
	if cfg.Radios[0].MAC != "" {
		t.Errorf("splitByKind modified the caller's config")
	}
	one := DefaultConfig()
	if parts := splitByKind(one, BackendHwsim); len(parts) != 1 || parts[0].cfg != one {
		t.Errorf("unmixed lab: %d parts, want the config itself", len(parts))
	}
}
