// SPDX-License-Identifier: MIT

package wire

import "fmt"

// Version is the protocol version this package speaks.
const Version uint16 = 1

// Magic opens every Hello, so a host can tell a guest agent from anything
// else that connects to its socket.
var Magic = [4]byte{'V', 'M', 'G', 'P'}

// Limits. A message over MaxMessage is ErrTooLarge when decoding and when
// encoding; so are fields over their own limits.
const (
	MaxMessage = 16 << 10 // a whole message, length prefix included
	MaxFrame   = 2304     // IEEE80211_MAX_DATA_LEN, hwsim's FRAME limit
	MaxRadios  = 64       // radios in one Hello
	MaxAddrs   = 16       // interface addresses of one radio
	MaxIfname  = 15       // IFNAMSIZ-1
	MaxReason  = 1024     // Refuse reason
	RateCount  = 4        // entries in a TX rate chain (IEEE80211_TX_MAX_RATES)
	headerLen  = 5        // length u32 + type u8
)

// Type is a message type, the byte after the length.
type Type uint8

// The message types; see the package documentation for their layout.
const (
	TypeHello        Type = 0x01
	TypeHelloAck     Type = 0x02
	TypeRefuse       Type = 0x03
	TypeBye          Type = 0x04
	TypePing         Type = 0x05
	TypePong         Type = 0x06
	TypeRadioAdded   Type = 0x10
	TypeRadioRemoved Type = 0x11
	TypeRadioChanged Type = 0x12
	TypeAddrAdded    Type = 0x13
	TypeAddrRemoved  Type = 0x14
	TypeFrame        Type = 0x20
	TypeTxStatus     Type = 0x21
	TypeRx           Type = 0x22
)

var typeNames = map[Type]string{
	TypeHello: "hello", TypeHelloAck: "hello-ack", TypeRefuse: "refuse", TypeBye: "bye",
	TypePing: "ping", TypePong: "pong", TypeRadioAdded: "radio-added",
	TypeRadioRemoved: "radio-removed", TypeRadioChanged: "radio-changed",
	TypeAddrAdded: "addr-added", TypeAddrRemoved: "addr-removed", TypeFrame: "frame",
	TypeTxStatus: "tx-status", TypeRx: "rx",
}

func (t Type) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type 0x%02x", uint8(t))
}

// Flag bits of Frame.Flags and TxStatus.Flags: mac80211_hwsim's
// HWSIM_TX_CTL_REQ_TX_STATUS, HWSIM_TX_CTL_NO_ACK and HWSIM_TX_STAT_ACK.
const (
	FlagReqTxStatus uint32 = 1 << 0
	FlagNoAck       uint32 = 1 << 1
	FlagAck         uint32 = 1 << 2
)

// Refuse codes: why a host turned a Hello down.
const (
	RefuseOther     uint8 = 0
	RefuseVersion   uint8 = 1 // the guest speaks another protocol version
	RefuseNameInUse uint8 = 2 // a connected guest already has this name
	RefuseBadName   uint8 = 3 // the name is empty, too long or has bad characters
	// RefuseNoSession answers a message other than Hello on a connection
	// the host has no session for (it restarted while the carrier stayed
	// up): say Hello. Not an answer to a Hello.
	RefuseNoSession uint8 = 4
)

// HWAddr is a 6-byte MAC address.
type HWAddr [6]byte

func (a HWAddr) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5])
}

// Rate is one entry of a TX rate chain: hwsim's struct hwsim_tx_rate
// (Idx, Count) with the Flags of the matching hwsim_tx_rate_flag. Idx -1
// ends the chain.
type Rate struct {
	Idx   int8
	Count uint8
	Flags uint16
}

// Radio describes one guest radio.
type Radio struct {
	HWAddr   HWAddr   // hwsim address (addresses[1]): the radio's key
	ID       uint32   // the guest's hwsim radio id
	Ifname   string   // its interface in the guest, e.g. wlan0; may be empty
	Freq     uint32   // current centre frequency in MHz, 0 = none
	Channels uint8    // concurrent channels
	Addrs    []HWAddr // addresses of its interfaces
}

// Hello is the guest's first message.
type Hello struct {
	Version  uint16 // protocol version; 0 encodes as Version
	Name     string // guest name
	Software string // the agent's software version
	Radios   []Radio
}

// HelloAck accepts a Hello.
type HelloAck struct {
	Version   uint16 // the host's protocol version; 0 encodes as Version
	Software  string // the host's software version
	Keepalive uint32 // the host's ping interval in ms, 0 = none
}

// Refuse turns a Hello down; the host closes the connection after it.
type Refuse struct {
	Code    uint8
	Version uint16 // the host's protocol version; 0 encodes as Version
	Reason  string
}

// Bye announces a clean close.
type Bye struct{ Reason string }

// Ping asks the peer for a Pong with the same Seq.
type Ping struct{ Seq uint64 }

// Pong answers a Ping.
type Pong struct{ Seq uint64 }

// RadioAdded announces a new radio.
type RadioAdded struct{ Radio Radio }

// RadioChanged replaces the radio with the same HWAddr.
type RadioChanged struct{ Radio Radio }

// RadioRemoved withdraws a radio.
type RadioRemoved struct{ HWAddr HWAddr }

// AddrAdded is hwsim's ADD_MAC_ADDR: Radio now also answers to Addr.
type AddrAdded struct{ Radio, Addr HWAddr }

// AddrRemoved is hwsim's DEL_MAC_ADDR.
type AddrRemoved struct{ Radio, Addr HWAddr }

// Frame is a frame a guest radio transmitted.
type Frame struct {
	Transmitter HWAddr
	Flags       uint32
	Freq        uint32
	Cookie      uint64
	Rates       [RateCount]Rate
	Data        []byte // the 802.11 frame; a sub-slice of the input when decoded
}

// TxStatus reports the fate of one Frame.
type TxStatus struct {
	Transmitter HWAddr
	Cookie      uint64
	Flags       uint32
	Signal      int32
	Rates       [RateCount]Rate
}

// Rx delivers a frame to one guest radio.
type Rx struct {
	Receiver HWAddr
	Freq     uint32
	Rate     uint32
	Signal   int32
	Data     []byte // the 802.11 frame; a sub-slice of the input when decoded
}

// Msg is any decoded message: Type says which field holds it. A caller
// keeps one Msg and decodes into it again and again.
type Msg struct {
	Type         Type
	Hello        Hello
	HelloAck     HelloAck
	Refuse       Refuse
	Bye          Bye
	Ping         Ping
	Pong         Pong
	RadioAdded   RadioAdded
	RadioChanged RadioChanged
	RadioRemoved RadioRemoved
	AddrAdded    AddrAdded
	AddrRemoved  AddrRemoved
	Frame        Frame
	TxStatus     TxStatus
	Rx           Rx
}

// Message is anything that can be encoded: every message type above (as a
// pointer) and *Msg.
type Message interface {
	// Append appends the whole encoded message, length prefix included, to
	// dst.
	Append(dst []byte) ([]byte, error)
}

// Clone returns a copy of r that shares no memory with it: decoded radios
// live in the Msg they were decoded into and are overwritten by the next
// Decode.
func (r Radio) Clone() Radio {
	r.Addrs = append([]HWAddr(nil), r.Addrs...)
	return r
}
