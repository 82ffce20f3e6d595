// SPDX-License-Identifier: MIT

// Package contention simulates who gets the air and when: per contention
// domain (radios on one frequency that hear or disturb each other, see
// Partition), stations run the 802.11 DCF/EDCA channel access of IEEE
// 802.11-2020 10.3 and 10.23.2 — AIFS, a random backoff frozen while the
// medium is busy (a PPDU at or above the CCA threshold, or the NAV from a
// decoded duration field) and resumed after, CW doubling per failed
// attempt and reset per frame — and frame exchanges with optional RTS/CTS
// or CTS-to-self, ACKs at the control rate and ACK/CTS timeouts. Every
// reception is one draw of the air package's PER at the receiver's SINR,
// with all overlapping transmissions summed in mW, so stations that cannot
// hear each other collide at a shared receiver (hidden terminals) and
// RTS/CTS protects by silencing those that hear the CTS. Different
// frequencies are different domains and never share airtime.
//
// Domain is a deterministic discrete-event engine (seeded; driven by
// Step/RunUntil, e.g. in tests on simulated time). Runner runs a domain
// live on a Clock: one goroutine per domain, frames submitted from any
// goroutine, delivery at the end of the data PPDU and TX status at the end
// of the exchange, and an honest lateness measurement instead of scaled
// time. The event queue is a binary heap rather than a timer wheel: a
// domain keeps one countdown event and one NAV event per PPDU, so the heap
// stays small and O(log n) costs a few compares.
package contention
