// SPDX-License-Identifier: MIT

package lab

import (
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	tapOnly := []Check{
		{Kind: "kmod", Reasons: []string{"generic netlink family VMEDIUM_RADIO not found"}},
		{Kind: "hwsim", Reasons: []string{"hostapd missing: install the Debian package hostapd"}},
		{Kind: "tap", Usable: true},
	}
	k, why, err := Choose("auto", tapOnly)
	if err != nil || k != "tap" || !strings.Contains(why, "hostapd missing") || !strings.Contains(why, "VMEDIUM_RADIO") {
		t.Fatalf("auto with tap only: %q %q %v", k, why, err)
	}
	all := []Check{{Kind: "kmod", Usable: true}, {Kind: "hwsim", Usable: true}, {Kind: "tap", Usable: true}}
	if k, _, _ := Choose("", all); k != "kmod" {
		t.Fatalf("auto with every kind: %q, want the first of the table (kmod)", k)
	}
	if _, _, err := Choose("hwsim", tapOnly); err == nil || !strings.Contains(err.Error(), "hostapd missing") {
		t.Fatalf("explicit hwsim not usable: %v", err)
	}
	if _, _, err := Choose("wifi7", tapOnly); err == nil || !strings.Contains(err.Error(), "accepted are auto, kmod, hwsim, tap") {
		t.Fatalf("unknown kind: %v", err)
	}
	withGuest := append(append([]Check(nil), none()...), Check{Kind: "guest", Usable: true, NoLab: true})
	if _, _, err := Choose("auto", withGuest); err == nil || !strings.Contains(err.Error(), "no usable radio kind") {
		t.Fatalf("auto must pass the guest kind by: %v", err)
	}
	if _, _, err := Choose("guest", withGuest); err == nil || !strings.Contains(err.Error(), "accepted are auto, kmod, hwsim, tap") {
		t.Fatalf("guest as a backend: %v", err)
	}
	_, _, err = Choose("auto", none())
	if err == nil || !strings.Contains(err.Error(), "no usable radio kind") || !strings.Contains(err.Error(), "tap:   cannot run here:\n         - not root") {
		t.Fatalf("no usable kind: %v", err)
	}
}

func none() []Check {
	return []Check{
		{Kind: "kmod", Reasons: []string{"not root"}},
		{Kind: "hwsim", Reasons: []string{"not root"}},
		{Kind: "tap", Reasons: []string{"not root: radios live in network namespaces"}},
	}
}
