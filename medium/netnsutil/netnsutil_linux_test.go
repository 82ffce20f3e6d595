package netnsutil

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/vishvananda/netns"
)

func TestValidName(t *testing.T) {
	for _, bad := range []string{"", ".", "..", "a/b", "x\x00y", string(make([]byte, 65))} {
		if err := ValidName(bad); err == nil {
			t.Errorf("ValidName(%q) accepted", bad)
		}
	}
	if err := ValidName("ns0"); err != nil {
		t.Error(err)
	}
}

func TestLifecycle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a network namespace")
	}
	name := fmt.Sprintf("vmnsu%d", os.Getpid())
	if err := Create(name); err != nil {
		t.Fatal(err)
	}
	defer Delete(name)
	if !Exists(name) {
		t.Fatal("created namespace does not exist")
	}
	if err := Create(name); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}

	// Do runs inside the namespace and restores the caller's afterwards.
	want, err := netns.GetFromName(name)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Close()
	before, _ := netns.Get()
	defer before.Close()
	var inside bool
	if err := Do(name, func() error {
		cur, err := netns.Get()
		if err != nil {
			return err
		}
		defer cur.Close()
		inside = cur.Equal(want)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !inside {
		t.Error("fn did not run inside the namespace")
	}
	after, _ := netns.Get()
	defer after.Close()
	if !after.Equal(before) {
		t.Error("namespace not restored after Do")
	}
	sentinel := errors.New("from fn")
	if err := Do(name, func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do returned %v, want fn's error", err)
	}

	// Create brought the loopback up.
	h, err := Handle(name)
	if err != nil {
		t.Fatal(err)
	}
	lo, err := h.LinkByName("lo")
	h.Close()
	if err != nil {
		t.Fatalf("loopback in %s: %v", name, err)
	}
	if lo.Attrs().Flags&1 == 0 {
		t.Errorf("loopback in %s has flags %v; want up", name, lo.Attrs().Flags)
	}

	if err := Delete(name); err != nil {
		t.Fatal(err)
	}
	if Exists(name) {
		t.Error("namespace exists after Delete")
	}
	if err := Delete(name); err != nil {
		t.Errorf("Delete of a missing namespace: %v", err)
	}
	if err := Do(name, func() error { return nil }); err == nil {
		t.Error("Do in a missing namespace succeeded")
	}
}
