// SPDX-License-Identifier: MIT

// Package dropin serves a wmediumd configuration on vmedium's medium: the
// drop-in mode behind `vmedium wmediumd` (and the binary invoked as
// `wmediumd`), and the lab's `--wmediumd-config`.
//
// Model is the configuration as a medium.PairModel: it maps each radio to
// its wmediumd station by address (the radio's own address, else the
// lowest-indexed station among the extra addresses it answers to, so ids
// may name interfaces added after the radio was created) and decides each
// ordered pair from the configuration's SNR matrix, loss matrix (one draw
// per frame covering the retry chain: wmediumd's end-to-end meaning) or
// path-loss geometry. Radios the configuration does not list hear nothing
// and are heard by nobody, as with wmediumd, which drops their frames.
//
// What wmediumd decides per frame rather than per pair (a -x table's PER
// at each attempt's rate, fading, its interference estimate, the dynamic
// mode's SPECPROB tables) the Model decides as the medium's FrameJudge
// (judge.go, interference.go); without those features the medium never
// asks it per frame.
//
// The wserver*.go files are the runtime socket of the mininet-wifi fork
// (`wmediumd -s`, /var/run/wmediumd.sock): its binary messages, decoded and
// encoded without allocation surprises, and a server that applies them to
// a Model.
package dropin
