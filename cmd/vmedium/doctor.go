package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
)

// kindCheck is doctor's verdict on one radio kind.
type kindCheck struct {
	Kind    string   `json:"kind"`
	Usable  bool     `json:"usable"`
	Reasons []string `json:"reasons,omitempty"` // why not, each with what to do
}

// explain formats checks for humans: one line per kind, reasons indented.
func explain(checks []kindCheck) string {
	var b strings.Builder
	for _, c := range checks {
		if c.Usable {
			fmt.Fprintf(&b, "%-6s can run here\n", c.Kind+":")
			continue
		}
		fmt.Fprintf(&b, "%-6s cannot run here:\n", c.Kind+":")
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, "         - %s\n", r)
		}
	}
	return b.String()
}

func findCheck(checks []kindCheck, kind string) (kindCheck, bool) {
	for _, c := range checks {
		if c.Kind == kind {
			return c, true
		}
	}
	return kindCheck{}, false
}

// doctor reports for each radio kind whether it can run here and exactly
// why not. Exit 0 if at least one kind can run, 1 otherwise.
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
	checks := checkKinds()
	usable := 0
	for _, c := range checks {
		if c.Usable {
			usable++
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(struct {
			Kinds  []kindCheck `json:"kinds"`
			Usable bool        `json:"usable"`
		}{checks, usable > 0})
	} else {
		fmt.Fprint(stdout, explain(checks))
		if usable == 0 {
			fmt.Fprintln(stdout, "no radio kind can run on this machine")
		}
	}
	if usable == 0 {
		return 1
	}
	return 0
}
