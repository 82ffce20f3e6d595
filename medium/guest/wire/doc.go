// SPDX-License-Identifier: MIT

// Package wire is the byte format spoken between a guest agent (in a VM,
// relaying its mac80211_hwsim radios) and the host's medium: the guest
// protocol. It only encodes and decodes; carriers live in
// medium/guest/transport, handshakes and state in medium/guest/session.
//
// # Framing
//
// A connection carries a stream of messages in both directions. Every
// message is
//
//	length  u32   the number of bytes that follow: 1 + len(body)
//	type    u8    one of the message types below
//	body    length-1 bytes, laid out per type
//
// A whole message (the four length bytes included) is at most MaxMessage
// (16 KiB) bytes: a length above MaxMessage-4 is ErrTooLarge, a length of
// 0 is ErrMalformed, and after either a reader cannot trust where the next
// message starts, so it drops the connection. A body that does not match
// its type's layout exactly (short, or with bytes left over where the
// layout has no variable tail; an unknown type) is ErrMalformed, a field
// over its own limit ErrTooLarge; the length was valid, so a reader may
// skip that message and go on.
//
// All integers are big-endian (network order); signed ones are two's
// complement. HWADDR is 6 bytes. STR8 is a u8 byte count followed by that
// many bytes, meant as UTF-8 and not checked here (no terminating NUL);
// STR16 the same with a u16 count. Booleans do not occur; flag words are u32 bit sets.
//
// # Versions
//
// The protocol version is Version (currently 1) and is carried only in
// Hello, HelloAck and Refuse (never 0). Two things are frozen in every version, so
// that peers of different versions can always tell each other so: the
// framing above, and the start of Hello (magic, version, name, software)
// and the whole of Refuse. Decoding a Hello of another version fills those
// four fields and returns ErrVersion; the host answers with Refuse
// (RefuseVersion) naming both versions and which side to upgrade.
//
// # Messages
//
// Guest to host unless noted. "radio" is always the radio's hwsim address
// (addresses[1], the one mac80211_hwsim puts in ADDR_TRANSMITTER); radios
// are keyed by it within one connection.
//
//	0x01 Hello         magic [4]"VMGP", version u16, name STR8 (the guest
//	                   name; which names a host accepts is its rule, not
//	                   the format's), software STR8 (the agent's
//	                   version string), nradios u16 (≤ MaxRadios),
//	                   nradios × RADIO
//	0x02 HelloAck      host→guest: version u16, software STR8 (the host's
//	                   vmedium version), keepalive u32 (the host's ping
//	                   interval in milliseconds, 0 = none)
//	0x03 Refuse        host→guest: code u8 (RefuseVersion,
//	                   RefuseNameInUse, RefuseBadName, RefuseOther; or
//	                   RefuseNoSession: not an answer to a Hello but to
//	                   anything else on a connection without a session),
//	                   version u16 (the host's protocol version), reason
//	                   STR16 (≤ MaxReason bytes, printed by the guest as is)
//	0x04 Bye           either way: reason STR8; the sender closes after it
//	0x05 Ping          either way: seq u64
//	0x06 Pong          either way: seq u64 (the Ping's)
//	0x10 RadioAdded    RADIO
//	0x11 RadioRemoved  radio HWADDR
//	0x12 RadioChanged  RADIO (replaces the radio with the same hwaddr)
//	0x13 AddrAdded     radio HWADDR, addr HWADDR (hwsim ADD_MAC_ADDR; not
//	                   a set operation: the same address may be added
//	                   twice and removed once)
//	0x14 AddrRemoved   radio HWADDR, addr HWADDR (hwsim DEL_MAC_ADDR)
//	0x20 Frame         a radio transmitted (hwsim FRAME, kernel→medium):
//	                   transmitter HWADDR, flags u32, freq u32 (MHz),
//	                   cookie u64, rates 4 × RATE (TX_INFO with
//	                   TX_INFO_FLAGS), then the 802.11 frame to the end of
//	                   the message (1..MaxFrame bytes, no FCS)
//	0x21 TxStatus      host→guest, the fate of one Frame (hwsim
//	                   TX_INFO_FRAME): transmitter HWADDR, cookie u64,
//	                   flags u32 (the Frame's flags, plus FlagAck if it was
//	                   acknowledged), signal i32 (ACK signal, dBm), rates
//	                   4 × RATE (the attempts actually made; unused
//	                   entries have idx -1)
//	0x22 Rx            host→guest, deliver to one radio (hwsim FRAME,
//	                   medium→kernel): receiver HWADDR, freq u32 (MHz),
//	                   rate u32 (legacy rate index), signal i32 (dBm),
//	                   then the 802.11 frame to the end of the message
//	                   (1..MaxFrame bytes)
//
//	RADIO  hwaddr HWADDR, id u32 (the guest's hwsim radio id), ifname STR8
//	       (≤ MaxIfname bytes; may be empty), freq u32 (MHz, 0 = none),
//	       channels u8 (concurrent channels), naddrs u8 (≤ MaxAddrs),
//	       naddrs × HWADDR (the addresses of its interfaces)
//	RATE   idx i8, count u8, flags u16 (struct hwsim_tx_rate and the
//	       flags of struct hwsim_tx_rate_flag, for the same entry)
//
// Flag words carry mac80211_hwsim's own bit values (FlagReqTxStatus,
// FlagNoAck, FlagAck), so an agent passes them through unchanged.
//
// # Decoding
//
// Decode fills a caller-owned Msg and never panics on any input. Frame and
// Rx bodies are sub-slices of the input, valid as long as it is; Frame,
// TxStatus, Rx, Ping and Pong decode without allocating. Hello, Radio*
// and the string fields allocate (they are rare); Hello reuses the
// capacity of the Msg's radio slice.
package wire
