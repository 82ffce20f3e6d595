// SPDX-License-Identifier: MIT

// Package air is the OS-independent core of vmedium's air model: PHY rate
// descriptors and PPDU/exchange durations, propagation and noise, packet
// error rates as a function of SNR, rate and length, the multi-rate-retry
// walk, link compilation, airtime and contention on a clock, and a small
// sampling rate control. It has no knowledge of netlink, TAP or the
// dispatch path: the medium compiles a model once per configuration and
// asks it per frame.
package air
