// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"
	"strings"

	"github.com/vmedium/vmedium/medium"
)

// BackendAuto asks for the first usable kind of the table (Kinds), in its
// order of preference.
const BackendAuto = "auto"

// Check is the verdict of one kind's probe on this machine (`vmedium
// doctor`): usable, or each reason it is not, with the command that fixes it.
type Check struct {
	Kind    medium.Kind `json:"kind"`
	Usable  bool        `json:"usable"`
	Reasons []string    `json:"reasons,omitempty"`
	// NoLab: the kind is never a backend to choose: guest radios join
	// from VMs, and vmnic radios are VMs' stations in a lab whose AP is
	// of another kind.
	NoLab bool `json:"no_lab,omitempty"`
}

// Explain formats checks for people: one line per kind, reasons indented.
func Explain(checks []Check) string {
	var b strings.Builder
	for _, c := range checks {
		if c.Usable {
			fmt.Fprintf(&b, "%-6s can run here\n", string(c.Kind)+":")
			continue
		}
		fmt.Fprintf(&b, "%-6s cannot run here:\n", string(c.Kind)+":")
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, "         - %s\n", r)
		}
	}
	return b.String()
}

// Choose picks the kind to build a lab with from checks (in the table's
// order of preference): requested itself when it is usable, or for
// BackendAuto ("" too) the first usable kind. It returns the kind and a line
// saying why, or an error carrying the probes' explanation.
func Choose(requested string, checks []Check) (medium.Kind, string, error) {
	if requested != "" && requested != BackendAuto {
		for _, c := range checks {
			if string(c.Kind) != requested || c.NoLab {
				continue
			}
			if !c.Usable {
				return "", "", fmt.Errorf("--backend %s cannot run on this machine:\n%s", requested, Explain([]Check{c}))
			}
			return c.Kind, "backend " + requested + " (requested)", nil
		}
		return "", "", fmt.Errorf("unknown backend %q: accepted are %s", requested, acceptedOf(checks))
	}
	var skipped []string
	for _, c := range checks {
		if c.NoLab {
			continue
		}
		if c.Usable {
			msg := "backend auto: using " + string(c.Kind)
			if len(skipped) > 0 {
				msg += " (" + strings.Join(skipped, "; ") + ")"
			}
			return c.Kind, msg, nil
		}
		if len(c.Reasons) > 0 {
			skipped = append(skipped, string(c.Kind)+": "+c.Reasons[len(c.Reasons)-1])
		}
	}
	return "", "", fmt.Errorf("no usable radio kind on this machine (vmedium doctor says):\n%s", Explain(checks))
}

func acceptedOf(checks []Check) string {
	names := []string{BackendAuto}
	for _, c := range checks {
		if !c.NoLab {
			names = append(names, string(c.Kind))
		}
	}
	return strings.Join(names, ", ")
}
