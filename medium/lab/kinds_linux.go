// SPDX-License-Identifier: MIT

package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/vmedium/vmedium/medium"
)

// Kind is one kind of radio vmedium can run: how to tell whether this
// machine can run it, how to build a lab's radios of that kind and, where
// the kind supports it, how to serve radios that already exist.
type Kind struct {
	Name medium.Kind
	// Radio says what one radio of the kind is, for messages
	// ("attached to 3 mac80211_hwsim radios").
	Radio string
	// Probe returns why the kind cannot run here, each reason naming the
	// command that fixes it; none means usable. `vmedium doctor`,
	// `--backend` and `--backend auto` read it.
	Probe func() []string
	// Up creates the lab's radios of this kind (and their MACs or daemons)
	// in the namespaces Up has made, and registers the kind's Backend with
	// l.AddBackend.
	Up BackendFunc
	// Attach serves the kind's radios that exist already, building
	// nothing (`vmedium run --attach`); nil when the kind cannot.
	Attach func(ctx context.Context, m *medium.Medium, log *slog.Logger) (Backend, error)
	// NoLab marks a kind whose radios no lab builds (Up is nil): guest
	// radios come from VMs (`vmedium run --guests`). It is not a
	// --backend, and `--backend auto` passes it by.
	NoLab bool
	// RadioOnly marks a kind a lab builds only as some radios' `kind:`,
	// never as the lab's backend: vmnic radios are stations of a VM and
	// need an AP of another kind.
	RadioOnly bool
}

// BackendFunc creates a lab's radios and MACs in the namespaces Up has
// already made. It registers each radio with l.AddNode, its Backend with
// l.AddBackend, and everything it creates for cleanup with l.OnClose /
// l.RecordDevice, so that a failure half-way (or Close) removes exactly what
// was made.
type BackendFunc func(ctx context.Context, l *Lab, cfg *Config, opt Options) error

// Kinds is every radio kind, in the order `--backend auto` prefers them:
// the project's module when it is loaded, then mac80211_hwsim, then
// userspace TAP radios, which need nothing from the kernel but TUN/TAP;
// last the radios of VM guests, which join from their agents and are never
// built by a lab. Adding a kind is adding an entry here.
var Kinds = []Kind{
	{Name: medium.KindKmod, Radio: "vmedium.ko", Probe: probeKmod, Up: upKmod, Attach: attachKmod},
	{Name: medium.KindHwsim, Radio: "mac80211_hwsim", Probe: probeHwsim, Up: upHwsim, Attach: attachHwsim},
	{Name: medium.KindTap, Radio: "TAP", Probe: probeTap, Up: upTap},
	{Name: medium.KindVMNIC, Radio: "VM NIC", Probe: probeVMNIC, Up: upVMNIC, RadioOnly: true},
	{Name: medium.KindGuest, Radio: "VM guest", Probe: probeGuest, NoLab: true},
}

// probeVMNIC: a VM NIC radio is a Go station on a listening socket; it
// needs nothing from the kernel.
func probeVMNIC() []string { return nil }

// probeGuest: guest radios need nothing on the host, neither root nor any
// Wi-Fi kernel support (the guests' kernels run the radios).
func probeGuest() []string { return nil }

// LookupKind returns the kind called name.
func LookupKind(name string) (Kind, bool) {
	for _, k := range Kinds {
		if string(k.Name) == name {
			return k, true
		}
	}
	return Kind{}, false
}

// KindNames lists the names of the kinds a lab builds (a radio's kind:),
// in the table's order.
func KindNames() []string {
	var out []string
	for _, k := range Kinds {
		if !k.NoLab {
			out = append(out, string(k.Name))
		}
	}
	return out
}

// BackendNames lists the kinds a lab can be built with (--backend), in the
// table's order.
func BackendNames() []string {
	var out []string
	for _, k := range Kinds {
		if !k.NoLab && !k.RadioOnly {
			out = append(out, string(k.Name))
		}
	}
	return out
}

// AttachKindNames lists the kinds that can serve existing radios, and
// what their radios are.
func AttachKindNames() (names, radios []string) {
	for _, k := range Kinds {
		if k.Attach != nil {
			names = append(names, string(k.Name))
			radios = append(radios, k.Radio)
		}
	}
	return names, radios
}

// CheckKinds runs every kind's probe, in the table's order.
func CheckKinds() []Check {
	out := make([]Check, len(Kinds))
	for i, k := range Kinds {
		out[i] = Check{Kind: k.Name, Reasons: k.Probe(), NoLab: k.NoLab || k.RadioOnly}
		out[i].Usable = len(out[i].Reasons) == 0
	}
	return out
}

// ValidateBackend checks a requested backend name against the table:
// "auto" or one of the kinds.
func ValidateBackend(name string) error {
	if name == BackendAuto {
		return nil
	}
	if k, ok := LookupKind(name); ok && !k.NoLab && !k.RadioOnly {
		return nil
	}
	return fmt.Errorf("invalid --backend %q: accepted are %s, %s", name, BackendAuto, strings.Join(BackendNames(), ", "))
}

// Attach serves the existing radios of kind on m without building a lab.
// With BackendAuto it serves every kind that can (has Attach) and whose
// probe passes here, all on the one medium (hwsim and module radios side
// by side).
func Attach(ctx context.Context, kind string, m *medium.Medium, log *slog.Logger) (*Attached, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var kinds []Kind
	if kind == BackendAuto || kind == "" {
		var why []string
		for _, k := range Kinds {
			if k.Attach == nil {
				continue
			}
			if reasons := k.Probe(); len(reasons) > 0 {
				why = append(why, string(k.Name)+": "+reasons[len(reasons)-1])
				continue
			}
			kinds = append(kinds, k)
		}
		if len(kinds) == 0 {
			return nil, fmt.Errorf("--attach: no kind of radio to serve here (%s)", strings.Join(why, "; "))
		}
	} else {
		k, ok := LookupKind(kind)
		if !ok || k.Attach == nil {
			names, _ := AttachKindNames()
			return nil, fmt.Errorf("kind %q cannot serve existing radios: accepted are %s", kind, strings.Join(names, ", "))
		}
		kinds = []Kind{k}
	}
	a := &Attached{m: m}
	for _, k := range kinds {
		b, err := k.Attach(ctx, m, log)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.bs = append(a.bs, b)
		a.radios = append(a.radios, k.Radio)
	}
	return a, nil
}

// Attached is a running attachment: backends serving radios vmedium did
// not create, one per kind. No namespaces, interfaces or daemons are made
// or removed.
type Attached struct {
	bs     []Backend
	m      *medium.Medium
	radios []string // what one radio of each backend is (Kind.Radio)
}

// Backends returns the attachment's backends.
func (a *Attached) Backends() []Backend { return a.bs }

// Summary lists the attached radios, kind by kind.
func (a *Attached) Summary() string {
	var out strings.Builder
	for i, b := range a.bs {
		var names []string
		for _, r := range a.m.Radios() {
			if r.Kind == b.Kind() {
				names = append(names, fmt.Sprintf("  %s: %s radio %s\n", r.Name, r.Kind, r.Addr))
			}
		}
		fmt.Fprintf(&out, "attached to %d %s %s (no lab: namespaces, interfaces and daemons are yours)\n%s",
			len(names), a.radios[i], plural(len(names), "radio", "radios"), strings.Join(names, ""))
	}
	return out.String()
}

// Close stops serving; the radios stay.
func (a *Attached) Close() error {
	var errs []error
	for _, b := range a.bs {
		errs = append(errs, b.Close())
	}
	return errors.Join(errs...)
}

// KmodUsable reports whether the kmod kind's probe passes here (the
// module is loaded, and labs can be built).
func KmodUsable() bool {
	k, ok := LookupKind(string(medium.KindKmod))
	return ok && len(k.Probe()) == 0
}
