// SPDX-License-Identifier: MIT

package lab

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/medium"
)

// TestKindsTable: every kind has a name, a probe and an Up (but the guest
// kind, whose radios no lab builds); the names are unique and are medium's
// kinds; validation and doctor read the table.
func TestKindsTable(t *testing.T) {
	seen := map[medium.Kind]bool{}
	for _, k := range Kinds {
		if k.Name == "" || k.Radio == "" || k.Probe == nil || (k.Up == nil) != k.NoLab {
			t.Errorf("incomplete kind %+v", k)
		}
		if seen[k.Name] {
			t.Errorf("kind %s twice", k.Name)
		}
		seen[k.Name] = true
	}
	if !slices.Equal(BackendNames(), []string{"kmod", "hwsim", "tap"}) {
		t.Errorf("BackendNames %v, want the auto order kmod, hwsim, tap", BackendNames())
	}
	if !slices.Equal(KindNames(), []string{"kmod", "hwsim", "tap", "vmnic"}) {
		t.Errorf("KindNames %v, want the backends and vmnic (a radio's kind only)", KindNames())
	}
	if names, radios := AttachKindNames(); !slices.Equal(names, []string{"kmod", "hwsim"}) || !slices.Equal(radios, []string{"vmedium.ko", "mac80211_hwsim"}) {
		t.Errorf("AttachKindNames %v %v", names, radios)
	}
	for _, ok := range []string{"auto", "kmod", "hwsim", "tap"} {
		if err := ValidateBackend(ok); err != nil {
			t.Errorf("ValidateBackend(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"guest", "vmnic"} {
		if err := ValidateBackend(bad); err == nil || !strings.Contains(err.Error(), "accepted are auto, kmod, hwsim, tap") {
			t.Errorf("ValidateBackend(%s): %v", bad, err)
		}
	}
	if _, err := Attach(t.Context(), "tap", medium.New(medium.Options{}), nil); err == nil || !strings.Contains(err.Error(), "accepted are kmod, hwsim") {
		t.Errorf("Attach(tap): %v", err)
	}
	if os.Geteuid() != 0 {
		for _, c := range CheckKinds() {
			if c.Kind == medium.KindGuest || c.Kind == medium.KindVMNIC {
				if !c.Usable || !c.NoLab {
					t.Errorf("%s as non-root: %+v, want usable (nothing needed on the host) and not a backend", c.Kind, c)
				}
				continue
			}
			if c.Usable || !strings.Contains(c.Reasons[0], "not root") {
				t.Errorf("%s as non-root: %+v", c.Kind, c)
			}
		}
	}
}
