// SPDX-License-Identifier: MIT

package main

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

func TestWmediumdCommandLine(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 1, "This program needs arguments....\n\nUsage: wmediumd ", ""},
		{[]string{"-h"}, 0, "Usage: wmediumd [-h] [-V]", ""},
		{[]string{"-V"}, 0, "wmediumd v0.3.1 - a wireless medium simulator for mac80211_hwsim (vmedium ", ""},
		{[]string{"-s"}, 1, "wmediumd: config file must be supplied\nUsage:", ""},
		{[]string{"-c", "a.cfg", "extra"}, 1, "Usage:", `unexpected argument "extra"`},
		{[]string{"-l", "8", "-c", "a"}, 1, "Usage:", "-l 8: the log level is a number from 0 to 7"},
		{[]string{"-c"}, 1, "Usage:", "option requires an argument -- 'c'"},
		{[]string{"-q"}, 1, "Usage:", "invalid option -- 'q'"},
		{[]string{"-t", "s", "-c", "a"}, 2, "", "-t (time-travel controller socket) is not supported yet"},
		{[]string{"-c", "a", "-u", "s"}, 2, "", "-u (vhost-user server socket) is not supported yet"},
		{[]string{"-a", "s"}, 2, "", "-a (API socket) is not supported yet"},
		{[]string{"-n"}, 2, "", "-n (force netlink next to a vhost-user socket) is not supported yet"},
		{[]string{"-d", "-c", "a"}, 1, "Usage:", "-d (dynamic mode) takes no config file"},
		{[]string{"--bogus=1", "-c", "a"}, 1, "Usage:", "unrecognized option '--bogus'"},
	} {
		var out, errb bytes.Buffer
		code := wmediumdCmd("wmediumd", c.args, &out, &errb)
		if code != c.code || !strings.Contains(out.String(), c.stdout) || !strings.Contains(errb.String(), c.stderr) {
			t.Errorf("wmediumd %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				c.args, code, out.String(), errb.String(), c.code, c.stdout, c.stderr)
		}
	}
}

// hostap's get_wmediumd_version: second word, first character dropped,
// split at '.', each part an int, padded to three; require_wmediumd_version
// fails if any part is below 0.3.1's.
func TestWmediumdVersionPassesHostapsCheck(t *testing.T) {
	word := strings.Split(wmdVersionLine(), " ")[1][1:]
	var revs []int
	for _, p := range strings.Split(word, ".") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			t.Fatalf("version part %q of %q is not an int", p, word)
		}
		revs = append(revs, n)
	}
	for len(revs) < 3 {
		revs = append(revs, 0)
	}
	if revs[0] < 0 || revs[1] < 3 || revs[2] < 1 {
		t.Errorf("version %v fails hostap's check against 0.3.1", revs)
	}
}

func TestWmediumdFlagsParsed(t *testing.T) {
	f, err := parseWmediumdFlags("wmediumd", []string{"-l0", "-sc", "my.cfg", "-x", "tbl", "-p", "out.pcapng", "--socket", "/tmp/s", "--seed=7"})
	if err != nil {
		t.Fatal(err)
	}
	if f.level != 0 || !f.wserver || f.config != "my.cfg" || f.perFile != "tbl" || f.pcapng != "out.pcapng" || f.socket != "/tmp/s" || f.seed != 7 {
		t.Errorf("parsed %+v", f)
	}
	f, err = parseWmediumdFlags("wmediumd", []string{"-l", "0", "-s", "-d"})
	if err != nil || !f.dynamic || f.config != "" {
		t.Errorf("-d without -c: %+v, %v", f, err)
	}
	var ex *wmdExit
	if _, err := parseWmediumdFlags("wmediumd", []string{"-c", "x", "--", "y"}); !errors.As(err, &ex) || ex.code != 1 {
		t.Errorf("operand after --: %v", err)
	}
}

func TestWmediumdConfigErrorsExitBeforeRegister(t *testing.T) {
	var out, errb bytes.Buffer
	code := wmediumdCmd("wmediumd", []string{"-c", "testdata/does-not-exist.cfg"}, &out, &errb)
	if code != 1 || strings.Contains(out.String(), "REGISTER") || !strings.Contains(out.String(), "Input configuration file: testdata/does-not-exist.cfg") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code = wmediumdCmd("wmediumd", []string{"-l", "4", "-c", "testdata/does-not-exist.cfg"}, &out, &errb)
	if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "does-not-exist.cfg") {
		t.Errorf("-l 4: exit %d, stdout %q (startup lines are level 5), stderr %q", code, out.String(), errb.String())
	}
}

func TestWmediumdConfigNeedsAttach(t *testing.T) {
	var errb bytes.Buffer
	if _, err := parseRunFlags([]string{"--wmediumd-config", "x.cfg"}, &errb); err == nil || !strings.Contains(err.Error(), "use it with --attach") {
		t.Errorf("--wmediumd-config without --attach: %v", err)
	}
	f, err := parseRunFlags([]string{"--attach", "--wmediumd-config", "x.cfg"}, &errb)
	if err != nil || f.wmediumdCfg != "x.cfg" {
		t.Errorf("--attach --wmediumd-config: %+v %v", f, err)
	}
}

func TestPacketLogLines(t *testing.T) {
	var buf bytes.Buffer
	m := medium.New(medium.Options{})
	m.AddObserver(&pktLog{w: &buf})
	a, _ := m.AddRadio(medium.RadioConfig{Name: "wlan0", Addr: frames.MAC{2, 0, 0, 0, 0, 0}}, medium.PortFunc(func([]byte, medium.RxInfo) error { return nil }))
	m.AddRadio(medium.RadioConfig{Name: "wlan1", Addr: frames.MAC{2, 0, 0, 0, 1, 0}}, medium.PortFunc(func([]byte, medium.RxInfo) error { return nil }))
	f := make([]byte, 24)
	f[0] = frames.TypeData << 2
	copy(f[4:], frames.Broadcast[:])
	copy(f[10:], []byte{2, 0, 0, 0, 0, 0})
	a.Transmit(f, medium.TxOptions{NoAck: true, FreqMHz: 2412})
	want := "tx wlan0: 24 bytes on 2412 MHz\nrx wlan0 -> wlan1: 24 bytes, signal -50 dBm\n"
	if buf.String() != want {
		t.Errorf("log %q, want %q", buf.String(), want)
	}
}
