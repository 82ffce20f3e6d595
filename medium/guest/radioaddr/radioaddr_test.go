// SPDX-License-Identifier: MIT

package radioaddr

import (
	"fmt"
	"testing"

	"github.com/vmedium/vmedium/frames"
)

func TestForGolden(t *testing.T) {
	// SHA-256("vmA") starts 35 06 90 ba; the derivation must never
	// change: a guest's stations, rules and captures are known by these
	// addresses.
	got, err := For("vmA", 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "06:35:06:90:ba:01"; got.String() != want {
		t.Fatalf("For(vmA, 1) = %s, want %s", got, want)
	}
}

func TestForShape(t *testing.T) {
	hwsimDefaults := map[byte]bool{0x02: true, 0x42: true}
	for _, name := range []string{"a", "vmA", "vmB", "guest-1", "x.y_z"} {
		for _, i := range []int{0, 1, 7, MaxRadios - 1} {
			a, err := For(name, i)
			if err != nil {
				t.Fatal(err)
			}
			if a[0]&0x01 != 0 || a[0]&0x02 == 0 {
				t.Errorf("%s: not a locally administered unicast address", a)
			}
			if hwsimDefaults[a[0]] {
				t.Errorf("%s: prefix of mac80211_hwsim's default addresses", a)
			}
			if int(a[5]) != i {
				t.Errorf("%s: last byte is not the index %d", a, i)
			}
			if j, ok := Of(name, a); !ok || j != i {
				t.Errorf("Of(%s, %s) = %d, %v; want %d, true", name, a, j, ok, i)
			}
			b, _ := For(name, i)
			if a != b {
				t.Errorf("For(%s, %d) not stable: %s then %s", name, i, a, b)
			}
		}
	}
}

func TestForUniqueAcrossGuests(t *testing.T) {
	// Guest names a test bed or a user would pick: no two derive the same
	// radio addresses.
	seen := map[frames.MAC]string{}
	for i := 0; i < 2000; i++ {
		for _, f := range []string{"vm%d", "guest%d", "node-%d"} {
			name := fmt.Sprintf(f, i)
			a, err := For(name, 0)
			if err != nil {
				t.Fatal(err)
			}
			if other, dup := seen[a]; dup {
				t.Fatalf("guests %s and %s derive the same address %s", other, name, a)
			}
			seen[a] = name
		}
	}
	a, _ := For("vmA", 0)
	if _, ok := Of("vmB", a); ok {
		t.Fatalf("Of(vmB) claims vmA's radio %s", a)
	}
}

func TestForBadInput(t *testing.T) {
	for _, c := range []struct {
		name  string
		index int
	}{{"", 0}, {"vmA", -1}, {"vmA", MaxRadios}} {
		if _, err := For(c.name, c.index); err == nil {
			t.Errorf("For(%q, %d): no error", c.name, c.index)
		}
	}
}
