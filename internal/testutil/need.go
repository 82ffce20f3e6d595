// SPDX-License-Identifier: MIT

package testutil

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// debianPackage names the Debian package that provides a tool the tests
// use, for the skip message.
var debianPackage = map[string]string{
	"ip":                 "iproute2",
	"ping":               "iputils-ping",
	"tshark":             "tshark",
	"iperf3":             "iperf3",
	"ethtool":            "ethtool",
	"hostapd":            "hostapd",
	"wpa_supplicant":     "wpasupplicant",
	"iw":                 "iw",
	"qemu-system-x86_64": "qemu-system-x86",
	"nft":                "nftables",
}

// Missing returns one phrase for each requirement that is not met here:
// an executable not on PATH (with its Debian package when known) or an
// absolute path that does not exist.
func Missing(needs ...string) []string {
	var out []string
	for _, n := range needs {
		if strings.HasPrefix(n, "/") {
			if _, err := os.Stat(n); err != nil {
				out = append(out, fmt.Sprintf("%s (%v)", n, err))
			}
			continue
		}
		if _, err := exec.LookPath(n); err != nil {
			if pkg, ok := debianPackage[n]; ok {
				out = append(out, fmt.Sprintf("%s (Debian package %s)", n, pkg))
			} else {
				out = append(out, n+" (not on PATH)")
			}
		}
	}
	return out
}

// NeedTools skips t, naming everything missing at once, unless every
// requirement is met: executable names ("tshark") or absolute paths
// ("/dev/net/tun").
func NeedTools(t testing.TB, needs ...string) {
	t.Helper()
	if m := Missing(needs...); len(m) > 0 {
		t.Skipf("needs %s", strings.Join(m, ", "))
	}
}

// NeedRoot skips t unless the process is root and every requirement is
// met; why says what the test does that needs root. The skip message names
// all that is missing, so one run shows everything to install. Root tests
// are named TestRoot… (make test-unit skips them, make test-root runs
// them); a root test named otherwise fails, so the rungs stay apart.
func NeedRoot(t testing.TB, why string, needs ...string) {
	t.Helper()
	if name := t.Name(); !strings.HasPrefix(name, "TestRoot") && !strings.HasPrefix(name, "BenchmarkRoot") {
		t.Fatalf("%s needs root but is not named TestRoot…: rename it so make test-unit and make test-root keep their rungs apart", name)
	}
	var m []string
	if os.Geteuid() != 0 {
		m = append(m, "root ("+why+"; run with sudo, or make test-root as root)")
	}
	m = append(m, Missing(needs...)...)
	if len(m) > 0 {
		t.Skipf("needs %s", strings.Join(m, ", "))
	}
}
