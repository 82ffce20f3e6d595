// SPDX-License-Identifier: MIT

// Package air is the OS-independent core of vmedium's air model: what a
// frame's rate, length and signal mean for whether it arrives, how long it
// holds the channel, and who it collides with. It knows nothing of
// netlink, TAP or the dispatch path; the medium compiles a model when the
// configuration changes and asks it per frame, so wiring it in is a thin
// layer (see "Integration" below).
//
// # The pieces
//
//   - PHY (phy.go, duration.go): Mode is the rate a transmitter used —
//     DSSS/CCK 1–11 Mbit/s with long or short preamble, OFDM 6–54, HT MCS
//     0–31 at 20/40 MHz with long or short GI and mixed or greenfield
//     preamble, VHT MCS 0–9 with 1–4 streams at 20–160 MHz. Duration is the
//     PPDU's TXTIME per IEEE 802.11-2020 (15.3/16.3, 17.4.3 with the 2.4 GHz
//     signal extension, 19.4.3, 21.4.3). Timing, AC and BasicRates give
//     SIFS, slot, DIFS/AIFS, ACK timeout, EDCA parameters and the control
//     response rate; ExchangeFor and Airtime add up exchanges.
//   - hwsim rates (txinfo.go): DecodeTxInfo turns TX_INFO + TX_INFO_FLAGS
//     into a retry Chain (legacy index per band, HT MCS, VHT (NSS−1)<<4|MCS,
//     widths, short GI, short preamble, RTS/CTS, CTS-to-self); RxRateIndex
//     maps any mode to a legacy RX_RATE index the band accepts (HT/VHT via
//     their non-HT reference rate: the kernel's injection path is
//     legacy-only, so `iw` shows legacy RX bitrates); RewriteTxInfo writes
//     the truthful attempts per stage back.
//   - Propagation and noise (propagation.go, noise.go): log-distance
//     (the default, exactly medium/link.go's numbers), free-space,
//     log-normal shadowing (fixed per pair), two-ray ground, ITU-R P.1238
//     indoor; noise = kTB at the channel width + 7 dB; optional log-normal
//     or Rayleigh fading per frame from the transmitter's seeded generator.
//     Bad parameters return a ParamError naming value and accepted range.
//   - PER (code.go, ber.go, per.go): no tabulated curves are embedded.
//     For OFDM/HT/VHT the distance spectrum of the 802.11 convolutional
//     code (K=7, 133/171, punctured to 2/3, 3/4, 5/6) is enumerated over
//     the trellis, and the soft-decision union bound (Viterbi 1971) is taken
//     with a Gaussian bit-score model of Gray-labelled M-QAM under BICM
//     (Martinez, Guillén i Fàbregas, Caire 2006). DSSS uses the DBPSK and
//     DQPSK closed forms (Proakis) and a union bound over the CCK codeword
//     set built from the standard's chip equations. The 10 % PER crossings
//     at 1458 B land within 0.2 dB of the published AWGN reference points
//     (the test checks 0.5 dB). Table stores ln P(byte ok) on a 0.25 dB SNR
//     grid per curve, so PER_L = 1 − (1 − PER_ref)^(L/L_ref) holds for every
//     length, and clear/dead grid points are exactly 0/−∞: those links
//     never draw a random number.
//   - Retry walk (model.go, retry.go): Model.Walk runs a unicast frame over
//     its multi-rate-retry chain, each stage at its own rate; an attempt
//     succeeds when the data gets through and its ACK comes back on the
//     reverse link at the control rate (RTS and CTS first when the stage
//     asks). Outcome gives attempts per stage, whether it was acked and
//     which stage delivered. Receive judges one group-frame reception.
//     Generators are per transmitter (math/rand/v2 PCG): reproducible runs.
//   - Link compilation (link.go): CompileLink classifies each ordered pair
//     per curve and width as clear, grey or dead at configuration time;
//     FastestRate is the fastest mode below a PER bound (vmctl links).
//   - Account mode (account.go): Accountant sums airtime per channel and
//     radio without delaying anything.
//   - Contention (package contention): DCF/EDCA per contention domain on a
//     clock, with SINR-based reception, hidden terminals and RTS/CTS; a
//     live Runner per domain that reports its lateness.
//   - Rate control (package ratectl): a minstrel-like controller for the Go
//     MACs, so `per` means the same for tap and kmod radios as for hwsim.
//
// # What it deliberately does not model
//
//   - Multipath, frequency-selective fading, Doppler: the channel is AWGN
//     plus an optional flat fade per frame.
//   - MIMO gain or loss: each stream sees the link's SNR (as many receive
//     antennas as streams); LDPC, STBC, beamforming, HE/EHT: not modelled.
//   - A-MPDU/BlockAck aggregation in the contention engine (BlockAck airtime
//     is available as a duration only).
//   - Adjacent-channel leakage: different frequencies never interact.
//   - In the contention engine: an overlapping transmission counts at full
//     power over the whole PPDU it touches (no per-chunk SINR), stations
//     decode a frame's duration field whenever it is above the CCA
//     threshold, EIFS and the RTS NAV reset are not applied, capture is
//     only what the SINR allows.
//   - DSSS/CCK curves are union bounds with no reference points to check
//     against beyond their ordering; treat them as indicative.
//   - Wall-clock fidelity: the live runner is honest rather than exact —
//     it measures and exports how late events run instead of scaling time.
//
// # Integration
//
// hwsim: DecodeTxInfo → Model.Walk(fwd signal, reverse signal, length,
// NO_ACK) → RewriteTxInfo with Outcome.Attempts, STAT_ACK when Acked,
// SIGNAL = reverse signal; deliver once when Delivered with RX_RATE =
// RxRateIndex of the delivering stage. Group frames: Model.Receive per
// receiver. Timed airtime: contention.Partition → one Domain + Runner per
// domain, Runner.Submit a Job per frame (Tag = cookie), the Handler's
// Deliver and Done do the injection and the TX_INFO.
package air
