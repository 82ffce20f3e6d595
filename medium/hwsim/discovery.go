// SPDX-License-Identifier: MIT

package hwsim

import (
	"context"
	"time"
)

// Following the kernel's radios: the addresses each radio answers to
// (ADD/DEL_MAC_ADDR) and radios created or destroyed at runtime
// (NEW/DEL_RADIO on the "config" multicast group). In attach mode
// (Options.AutoAttach) a radio the backend does not know yet — announced by
// NEW_RADIO or heard transmitting — starts a discovery (Discover).

// handleMacAddr tracks the addresses a radio answers to, by reference:
// around a scan the kernel adds a station's own address twice and removes
// it once, so a plain set would forget the station.
func (b *Backend) handleMacAddr(data []byte, add bool) {
	b.c.addrEvents.Add(1)
	hw, a, ok := decodeMacAddr(data)
	if !ok {
		b.c.malformed.Add(1)
		return
	}
	if add {
		b.reg.addRef(hw, a)
	} else {
		b.reg.delRef(hw, a)
	}
}

// handleRadioEvent follows radios created and destroyed at runtime.
func (b *Backend) handleRadioEvent(data []byte, created bool) {
	b.c.radioEvents.Add(1)
	id, name, ok := decodeRadioEvent(data)
	if !ok {
		b.c.malformed.Add(1)
		return
	}
	if !created {
		b.log.Info("hwsim: radio destroyed", "id", id, "name", name)
		b.Detach(id)
		return
	}
	ours := b.reg.ours(id, name)
	b.log.Info("hwsim: radio created", "id", id, "name", name, "served", ours)
	if !ours {
		b.wantDiscovery()
	}
}

// wantDiscovery asks the discoverer for a run (attach mode only).
func (b *Backend) wantDiscovery() {
	if !b.opts.AutoAttach {
		return
	}
	select {
	case b.discReq <- struct{}{}:
	default:
	}
}

// discoverer runs attach-mode discovery when asked (unknown transmitter,
// NEW_RADIO), at most every 500 ms.
func (b *Backend) discoverer(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.discReq:
		}
		if n, err := b.Discover(); err != nil {
			b.log.Warn("hwsim: discover radios", "err", err)
		} else if n > 0 {
			b.log.Info("hwsim: attached new radios", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}
