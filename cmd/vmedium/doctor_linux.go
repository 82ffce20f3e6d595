package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mdlayher/genetlink"
	"golang.org/x/sys/unix"
)

// Generic netlink families the kernel kinds talk to.
const (
	familyHwsim = "MAC80211_HWSIM"
	familyKmod  = "VMEDIUM_RADIO"
)

// checkKinds inspects this machine for each radio kind (tap, hwsim, kmod).
func checkKinds() []kindCheck {
	var common []string
	if os.Geteuid() != 0 {
		common = append(common, "not root: radios live in network namespaces, which need root (run with sudo)")
	} else if err := canCreateNetns(); err != nil {
		common = append(common, fmt.Sprintf("cannot create network namespaces: %v", err))
	}

	tap := kindCheck{Kind: "tap", Reasons: append([]string(nil), common...)}
	if fi, err := os.Stat("/dev/net/tun"); err != nil {
		tap.Reasons = append(tap.Reasons, fmt.Sprintf("no /dev/net/tun (%v): the kernel needs TUN/TAP (CONFIG_TUN); in a container pass the device (--device /dev/net/tun)", err))
	} else if fi.Mode()&os.ModeCharDevice == 0 {
		tap.Reasons = append(tap.Reasons, "/dev/net/tun is not a character device")
	}

	hwsim := kindCheck{Kind: "hwsim", Reasons: append([]string(nil), common...)}
	if err := genlFamily(familyHwsim); err != nil {
		hwsim.Reasons = append(hwsim.Reasons, moduleReason(familyHwsim, "mac80211_hwsim", err,
			"load it: modprobe mac80211_hwsim radios=0"))
	}
	for _, d := range []struct{ bin, pkg string }{{"hostapd", "hostapd"}, {"wpa_supplicant", "wpasupplicant"}} {
		if _, err := exec.LookPath(d.bin); err != nil {
			hwsim.Reasons = append(hwsim.Reasons, fmt.Sprintf("%s missing: install the Debian package %s (apt-get install %s)", d.bin, d.pkg, d.pkg))
		}
	}

	kmod := kindCheck{Kind: "kmod", Reasons: append([]string(nil), common...)}
	if err := genlFamily(familyKmod); err != nil {
		kmod.Reasons = append(kmod.Reasons, moduleReason(familyKmod, "vmedium", err,
			"build and load it: make -C kmod && insmod kmod/vmedium.ko"))
	}

	out := []kindCheck{tap, hwsim, kmod}
	for i := range out {
		out[i].Usable = len(out[i].Reasons) == 0
	}
	return out
}

// genlFamily resolves a generic netlink family.
func genlFamily(name string) error {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return fmt.Errorf("open generic netlink: %w", err)
	}
	defer c.Close()
	if _, err := c.GetFamily(name); err != nil {
		return err
	}
	return nil
}

// moduleReason explains a missing genetlink family from the state of the
// kernel module that provides it: loaded or not, available or not, or no
// module support at all.
func moduleReason(family, module string, err error, fix string) string {
	base := fmt.Sprintf("generic netlink family %s not found (%v)", family, err)
	if isLoaded(module) {
		return base + fmt.Sprintf(": module %s is loaded but does not provide it (version mismatch?)", module)
	}
	rel := kernelRelease()
	modDir := filepath.Join("/lib/modules", rel)
	if _, err := os.Stat("/proc/modules"); err != nil {
		return base + fmt.Sprintf(": module %s is not loaded, and this kernel (%s) has no loadable module support (no /proc/modules)", module, rel)
	}
	if _, err := os.Stat(modDir); err != nil {
		if module == "vmedium" {
			return base + fmt.Sprintf(": module %s is not loaded, and %s does not exist (no modules or headers for kernel %s); %s", module, modDir, rel, fix)
		}
		return base + fmt.Sprintf(": module %s is not loaded, and %s does not exist (no modules for kernel %s)", module, modDir, rel)
	}
	if module != "vmedium" && !moduleAvailable(modDir, module) {
		return base + fmt.Sprintf(": module %s is not loaded and not available under %s (kernel built without it)", module, modDir)
	}
	return base + fmt.Sprintf(": module %s is not loaded; %s", module, fix)
}

func isLoaded(module string) bool {
	if _, err := os.Stat(filepath.Join("/sys/module", module)); err == nil {
		return true
	}
	b, err := os.ReadFile("/proc/modules")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == module {
			return true
		}
	}
	return false
}

// moduleAvailable looks for module in modules.dep (or by walking the tree
// when modules.dep is missing).
func moduleAvailable(modDir, module string) bool {
	want := module + ".ko"
	if b, err := os.ReadFile(filepath.Join(modDir, "modules.dep")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			path, _, _ := strings.Cut(line, ":")
			if base := filepath.Base(path); base == want || strings.HasPrefix(base, want+".") {
				return true
			}
		}
		return false
	}
	found := false
	filepath.WalkDir(modDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (d.Name() == want || strings.HasPrefix(d.Name(), want+".")) {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// canCreateNetns tries to create a network namespace on a throwaway OS
// thread: the thread is never unlocked, so the runtime discards it with the
// namespace when the goroutine ends.
func canCreateNetns() error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Deliberately no UnlockOSThread: see above.
		errc <- unix.Unshare(unix.CLONE_NEWNET)
	}()
	if err := <-errc; err != nil {
		if errors.Is(err, unix.EPERM) {
			return fmt.Errorf("unshare(CLONE_NEWNET): %w (a container without CAP_SYS_ADMIN, or user namespaces restricted)", err)
		}
		return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
	}
	return nil
}
