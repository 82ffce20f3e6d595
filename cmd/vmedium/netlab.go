// SPDX-License-Identifier: MIT

package main

import (
	"sync/atomic"

	"github.com/vmedium/vmedium/medium/control"
	"github.com/vmedium/vmedium/medium/lab"
)

// netLab is a running lab with DHCP and address sources (lab.Lab on Linux).
type netLab interface {
	Leases() []lab.Lease
	Addressing() []lab.Addressing
}

// labNetSource answers GET /v1/leases and /v1/addresses from the running
// lab once it is up (empty lists before, and for --attach or --no-lab).
func labNetSource(running *atomic.Pointer[runningLab]) *control.NetSource {
	current := func() netLab {
		l := running.Load()
		if l == nil {
			return nil
		}
		r := *l
		// A lab serving guests too wraps the lab (withGuests).
		for {
			w, ok := r.(interface{ Inner() runningLab })
			if !ok {
				break
			}
			r = w.Inner()
		}
		n, _ := r.(netLab)
		return n
	}
	return &control.NetSource{
		Leases: func() []control.Lease {
			n := current()
			if n == nil {
				return nil
			}
			var out []control.Lease
			for _, l := range n.Leases() {
				out = append(out, control.Lease(l))
			}
			return out
		},
		Addressing: func() []control.Addressing {
			n := current()
			if n == nil {
				return nil
			}
			var out []control.Addressing
			for _, a := range n.Addressing() {
				out = append(out, control.Addressing(a))
			}
			return out
		},
	}
}
