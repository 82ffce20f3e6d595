// SPDX-License-Identifier: MIT

// Command vmedium is the userspace wireless medium: `vmedium run` brings up
// a lab of virtual radios sharing one simulated air and serves the control
// API (vmctl) and Prometheus metrics; `vmedium doctor` says which radio
// kinds can run on this machine; `vmedium version` prints the version.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: vmedium VERB [FLAGS]

Verbs:
  run       bring up the lab and serve the control API and metrics until SIGINT/SIGTERM
            (vmedium run -h lists its flags)
  agent     in a VM guest: relay its mac80211_hwsim radios to the host's vmedium
            (vmedium agent --connect virtio:PORT|unix:PATH|tcp:HOST:PORT [--name GUEST])
  doctor    report for each radio kind whether it can run here, and why not
  wmediumd  the wmediumd drop-in (also when this binary is invoked as wmediumd;
            vmedium wmediumd -h lists its flags)
  version   print the version
  help      this text
`

func main() {
	if filepath.Base(os.Args[0]) == "wmediumd" {
		os.Exit(wmediumdCmd("wmediumd", os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCmd(args[1:], stdout, stderr)
	case "wmediumd":
		return wmediumdCmd("wmediumd", args[1:], stdout, stderr)
	case "doctor":
		return doctor(args[1:], stdout, stderr)
	case "agent":
		return agentCmd(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "vmedium %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "vmedium: unknown verb %q: accepted are run, agent, doctor, wmediumd, version, help\n", args[0])
	return 2
}
