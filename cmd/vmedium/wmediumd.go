// SPDX-License-Identifier: MIT

package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/wmediumd/dropin"
)

// The wmediumd drop-in: `vmedium wmediumd [flags]`, or the binary invoked
// as `wmediumd` (make install links it), with wmediumd's command line, its
// messages and exit codes, so hostap's hwsim tests, mininet-wifi and test
// rigs that start `wmediumd -c FILE` run on vmedium unchanged.

// wmediumdVersion is the version callers compare: hostap's test suite
// takes the second word of `wmediumd -V`, drops its first character and
// requires every dot-separated number to be at least that of 0.3.1 (so
// "v0.5" or "v1.0.0" would fail it).
const wmediumdVersion = "0.3.1"

// Log levels (RFC 5424 severities), as wmediumd's -l uses them.
const (
	logErr     = 3 // errors
	logWarning = 4 // configuration warnings
	logNotice  = 5 // startup lines, REGISTER SENT!
	logInfo    = 6 // default
	logDebug   = 7
)

// wmdFlags is wmediumd's command line.
type wmdFlags struct {
	config   string // -c
	perFile  string // -x
	level    int    // -l
	version  bool   // -V
	help     bool   // -h
	wserver  bool   // -s
	dynamic  bool   // -d
	pcapng   string // -p
	socket   string // --socket: vmedium's control API
	metrics  string // --metrics-addr
	wsock    string // --wserver-socket
	seed     uint64 // --seed
	noConfig bool   // no -c given (an error unless -d)
}

// wmdExit is a command-line outcome that ends the program: what to print
// on stdout (wmediumd prints its usage there) and on stderr, and the exit
// code.
type wmdExit struct {
	stdout, stderr string
	code           int
}

func (e *wmdExit) Error() string { return strings.TrimSpace(e.stderr + e.stdout) }

func wmdUsage(argv0 string) string {
	return `Usage: ` + argv0 + ` [-h] [-V] [-s] [-d] [-l LOG_LVL] [-x FILE] [-p FILE] -c FILE

-h              print this help and exit
-V              print version and exit

-l LOG_LVL      set the logging level
                LOG_LVL: RFC 5424 severity, values 0 - 7
                >= 3: errors are logged
                >= 5: startup msgs are logged
                >= 6: dropped packets are logged (default)
                == 7: all packets will be logged
-c FILE         set input config file
-x FILE         set input PER file (FILE, else FILE + "ax")
-p FILE         log frames to FILE as pcapng with radiotap
-s              start the runtime socket server (` + dropin.DefaultSocket + `)
-d              dynamic mode: no config file; stations and links over -s
-t, -u, -a, -n  not supported yet by vmedium

vmedium's own options (long form only):
--socket PATH          control API socket for vmctl (default ` + control.DefaultSocket + `)
--metrics-addr ADDR    Prometheus metrics address (default 127.0.0.1:9380; "off" disables)
--wserver-socket PATH  the -s socket (default ` + dropin.DefaultSocket + `)
--seed N               loss RNG seed
`
}

// wmdVersionLine is what -V prints.
func wmdVersionLine() string {
	return "wmediumd v" + wmediumdVersion + " - a wireless medium simulator for mac80211_hwsim (vmedium " + version + ")\n"
}

// parseWmediumdFlags reads wmediumd's command line the way getopt does
// ("hVc:l:x:sdp:" plus the options vmedium does not support): options may
// be clustered (-sd) and take their argument attached (-l5) or as the next
// word; "--" ends the options. A *wmdExit says what to print and how to
// exit when the command line does not start the medium.
func parseWmediumdFlags(argv0 string, args []string) (*wmdFlags, error) {
	usage := wmdUsage(argv0)
	if len(args) == 0 {
		return nil, &wmdExit{stdout: "This program needs arguments....\n\n" + usage, code: 1}
	}
	f := &wmdFlags{level: logInfo, socket: control.DefaultSocket, metrics: "127.0.0.1:9380", wsock: dropin.DefaultSocket, noConfig: true}
	bad := func(format string, a ...any) error {
		return &wmdExit{stderr: argv0 + ": " + fmt.Sprintf(format, a...) + "\n", stdout: usage, code: 1}
	}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if strings.HasPrefix(a, "--") {
			name, val, has := strings.Cut(a[2:], "=")
			if !has {
				if i+1 >= len(args) {
					return nil, bad("option '--%s' requires an argument", name)
				}
				i++
				val = args[i]
			}
			switch name {
			case "socket":
				f.socket = val
			case "metrics-addr":
				f.metrics = val
			case "wserver-socket":
				f.wsock = val
			case "seed":
				n, err := strconv.ParseUint(val, 10, 64)
				if err != nil {
					return nil, bad("--seed %q: accepted is an unsigned integer", val)
				}
				f.seed = n
			default:
				return nil, bad("unrecognized option '--%s'", name)
			}
			continue
		}
		if len(a) < 2 || a[0] != '-' {
			break // first operand
		}
		for k := 1; k < len(a); k++ {
			c := a[k]
			arg := func() (string, error) {
				if k+1 < len(a) {
					v := a[k+1:]
					k = len(a)
					return v, nil
				}
				if i+1 < len(args) {
					i++
					return args[i], nil
				}
				return "", bad("option requires an argument -- '%c'", c)
			}
			switch c {
			case 'h':
				f.help = true
			case 'V':
				f.version = true
			case 's':
				f.wserver = true
			case 'd':
				f.dynamic = true
			case 'n':
				return nil, notSupported(argv0, "-n (force netlink next to a vhost-user socket)")
			case 'c', 'x', 'l', 'p', 't', 'u', 'a':
				v, err := arg()
				if err != nil {
					return nil, err
				}
				switch c {
				case 'c':
					f.config, f.noConfig = v, false
				case 'x':
					f.perFile = v
				case 'p':
					f.pcapng = v
				case 'l':
					n, err := strconv.Atoi(v)
					if err != nil || n < 0 || n > 7 {
						return nil, bad("-l %s: the log level is a number from 0 to 7 (RFC 5424 severities)", v)
					}
					f.level = n
				case 't':
					return nil, notSupported(argv0, "-t (time-travel controller socket)")
				case 'u':
					return nil, notSupported(argv0, "-u (vhost-user server socket)")
				case 'a':
					return nil, notSupported(argv0, "-a (API socket)")
				}
			default:
				return nil, bad("invalid option -- '%c'", c)
			}
		}
	}
	if i < len(args) {
		return nil, bad("unexpected argument %q", args[i])
	}
	switch {
	case f.help:
		return nil, &wmdExit{stdout: usage, code: 0}
	case f.version:
		return nil, &wmdExit{stdout: wmdVersionLine(), code: 0}
	case f.noConfig && !f.dynamic:
		return nil, &wmdExit{stdout: argv0 + ": config file must be supplied\n" + usage, code: 1}
	case f.dynamic && !f.noConfig:
		return nil, bad("-d (dynamic mode) takes no config file: drop -c or -d")
	case f.dynamic && f.perFile != "":
		return nil, bad("-x cannot be used with -d: the dynamic mode's links are loss probabilities")
	}
	return f, nil
}

func notSupported(argv0, what string) error {
	return &wmdExit{stderr: argv0 + ": " + what + " is not supported yet by vmedium\n", code: 2}
}

// wmediumdCmd is the drop-in's entry point; argv0 names the program in
// messages as wmediumd does.
func wmediumdCmd(argv0 string, args []string, stdout, stderr io.Writer) int {
	f, err := parseWmediumdFlags(argv0, args)
	var ex *wmdExit
	if errors.As(err, &ex) {
		fmt.Fprint(stdout, ex.stdout)
		fmt.Fprint(stderr, ex.stderr)
		return ex.code
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		return 1
	}
	return serveWmediumd(argv0, f, stdout, stderr)
}
