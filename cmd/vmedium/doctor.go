// SPDX-License-Identifier: MIT

package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/vmedium/vmedium/medium/lab"
)

// doctor reports for each radio kind (the table lab.Kinds) whether it can
// run here and exactly why not. Exit 0 if at least one kind can run, 1
// otherwise.
func doctor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "JSON output")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vmedium doctor: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	checks := lab.CheckKinds()
	usable := 0
	for _, c := range checks {
		if c.Usable && !c.NoLab { // guest radios need a medium built by another kind or --no-lab
			usable++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Kinds  []lab.Check `json:"kinds"`
			Usable bool        `json:"usable"`
		}{checks, usable > 0})
	} else {
		fmt.Fprint(stdout, lab.Explain(checks))
		if usable == 0 {
			fmt.Fprintln(stdout, "no radio kind can run on this machine")
		}
	}
	if usable == 0 {
		return 1
	}
	return 0
}
