// SPDX-License-Identifier: MIT

package lab

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

	"github.com/vmedium/vmedium/medium/hwsim"
	"github.com/vmedium/vmedium/medium/kmod"
)

// The kinds' probes: each returns why its kind cannot run on this machine,
// every reason naming what fixes it.

func probeTap() []string {
	reasons := probeLab()
	if fi, err := os.Stat("/dev/net/tun"); err != nil {
		reasons = append(reasons, fmt.Sprintf("no /dev/net/tun (%v): the kernel needs TUN/TAP (CONFIG_TUN); in a container pass the device (--device /dev/net/tun)", err))
	} else if fi.Mode()&os.ModeCharDevice == 0 {
		reasons = append(reasons, "/dev/net/tun is not a character device: remove it and recreate it (mknod /dev/net/tun c 10 200)")
	}
	return reasons
}

func probeHwsim() []string {
	reasons := probeLab()
	if err := genlFamily(hwsim.FamilyName); err != nil {
		reasons = append(reasons, moduleReason(hwsim.FamilyName, kernelModule{
			name: "mac80211_hwsim", inTree: true, fix: "load it: modprobe mac80211_hwsim radios=0"}, err))
	}
	for _, d := range []struct{ bin, pkg string }{{"hostapd", "hostapd"}, {"wpa_supplicant", "wpasupplicant"}} {
		if _, err := exec.LookPath(d.bin); err != nil {
			reasons = append(reasons, fmt.Sprintf("%s missing: install the Debian package %s (apt-get install %s)", d.bin, d.pkg, d.pkg))
		}
	}
	return reasons
}

func probeKmod() []string {
	reasons := probeLab()
	if err := genlFamily(kmod.FamilyName); err != nil {
		reasons = append(reasons, moduleReason(kmod.FamilyName, kernelModule{
			name: "vmedium", fix: "build and load it: make -C kmod && insmod kmod/vmedium.ko"}, err))
	}
	return reasons
}

// probeLab is what every lab needs: root, and network namespaces.
func probeLab() []string {
	if os.Geteuid() != 0 {
		return []string{"not root: radios live in network namespaces, which need root (run with sudo)"}
	}
	if err := canCreateNetns(); err != nil {
		return []string{fmt.Sprintf("cannot create network namespaces: %v", err)}
	}
	return nil
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

// kernelModule is the module that provides a kind's genetlink family.
type kernelModule struct {
	name   string
	inTree bool   // shipped with the kernel (else built from this repository)
	fix    string // the command that loads it
}

// moduleReason explains a missing genetlink family from the state of the
// kernel module that provides it: loaded or not, available or not, or no
// module support at all.
func moduleReason(family string, mod kernelModule, err error) string {
	base := fmt.Sprintf("generic netlink family %s not found (%v)", family, err)
	if isLoaded(mod.name) {
		return base + fmt.Sprintf(": module %s is loaded but does not provide it (version mismatch?): reload it (rmmod %s, then %s)", mod.name, mod.name, mod.fix)
	}
	rel := kernelRelease()
	modDir := filepath.Join("/lib/modules", rel)
	if _, err := os.Stat("/proc/modules"); err != nil {
		return base + fmt.Sprintf(": module %s is not loaded, and this kernel (%s) has no loadable module support (no /proc/modules): boot a kernel built with CONFIG_MODULES, or use --backend tap", mod.name, rel)
	}
	if _, err := os.Stat(modDir); err != nil {
		if !mod.inTree {
			return base + fmt.Sprintf(": module %s is not loaded, and %s does not exist (no modules or headers for kernel %s); %s", mod.name, modDir, rel, mod.fix)
		}
		return base + fmt.Sprintf(": module %s is not loaded, and %s does not exist (no modules for kernel %s): install the kernel's modules (apt-get install linux-image-%s)", mod.name, modDir, rel, rel)
	}
	if mod.inTree && !moduleAvailable(modDir, mod.name) {
		return base + fmt.Sprintf(": module %s is not loaded and not available under %s (kernel built without it): boot a kernel that ships it (Debian's do), or use --backend tap", mod.name, modDir)
	}
	return base + fmt.Sprintf(": module %s is not loaded; %s", mod.name, mod.fix)
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
			return fmt.Errorf("unshare(CLONE_NEWNET): %w (a container without CAP_SYS_ADMIN, or user namespaces restricted: run on a host or a privileged container)", err)
		}
		return fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
	}
	return nil
}
