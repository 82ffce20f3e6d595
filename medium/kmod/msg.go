// SPDX-License-Identifier: MIT

package kmod

import (
	"fmt"

	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
)

// RadioInfo describes one module radio (a GET_RADIO dump entry or change
// notification).
type RadioInfo struct {
	Index     uint32
	Ifname    string
	Addr      frames.MAC
	Iftype    uint32 // IftypeStation or IftypeAP
	Up        bool
	Carrier   bool
	TxDropped uint64 // frames the module dropped while no medium was registered
	// MAC state the module remembers across medium restarts:
	// a started AP (SSID, FreqMHz, BeaconInt, DTIM) or a station's
	// connection (SSID, BSSID).
	SSID      []byte
	BSSID     frames.MAC
	FreqMHz   uint32
	BeaconInt uint32
	DTIM      uint32
}

// Event is one message from the module. Which fields are set depends on Cmd:
//
//	CmdTx:           Frame (an Ethernet frame the stack sent)
//	CmdScan:         SSID (directed scan; empty = wildcard)
//	CmdConnect:      SSID, BSSID (zero = any), FreqMHz (0 = any)
//	CmdDisconnect:   Reason
//	CmdStartAP:      SSID, FreqMHz, BeaconInt, DTIM, IEs (beacon tail), Hidden
//	CmdChangeBeacon: FreqMHz, BeaconInt, DTIM, IEs
//	CmdStopAP:       -
//	CmdGetRadio:     Radio (the radio changed mode or went up/down)
//	CmdAddKey:       Key (index, cipher, key, sequence counter, pairwise peer)
//	CmdDelKey:       Key (index, pairwise peer)
//	CmdSetDefaultKey: Key (index, DefaultUnicast, DefaultMulticast, Mgmt)
//	CmdAuthorize:    StaAddr, Authorized
//	CmdKickStation:  StaAddr (broadcast: every station), Reason
//
// CmdConnect and CmdStartAP also carry Privacy; CmdConnect the IEs the
// supplicant asks for in its association request (AssocIEs).
//
// Byte slices are owned by the receiver of the event.
type Event struct {
	Cmd       uint8
	Index     uint32
	Frame     []byte
	SSID      []byte
	BSSID     frames.MAC
	FreqMHz   uint32
	BeaconInt uint32
	DTIM      uint32
	IEs       []byte
	Hidden    bool
	Reason    uint16
	Radio     RadioInfo

	Privacy    bool
	AssocIEs   []byte
	StaAddr    frames.MAC
	Authorized bool
	Key        KeyInfo
}

// KeyInfo is a key operation cfg80211 asked the "firmware" for (hostapd's
// or wpa_supplicant's NEW_KEY, DEL_KEY, SET_KEY).
type KeyInfo struct {
	Index    uint8
	Cipher   uint32     // suite selector, e.g. 0x000fac04 (CCMP-128)
	Key      []byte     // temporal key (add)
	Seq      []byte     // receive sequence counter, little endian (add, group keys)
	Pairwise bool       // pairwise key of Peer
	Peer     frames.MAC // zero: none given
	// SET_DEFAULT_KEY: which default the key becomes.
	DefaultUnicast, DefaultMulticast, Mgmt bool
}

// BSS is what the medium reports for one network: a scan result or the
// network a connect succeeded to.
type BSS struct {
	BSSID      frames.MAC
	SSID       []byte // used to build the SSID element when IEs is empty
	FreqMHz    uint32
	SignalDBm  int32
	Capability uint16 // 0: ESS
	BeaconInt  uint16 // TU; 0: 100
	IEs        []byte // information elements; may be empty
}

// StationInfo is a station's entry in the module's cache (get_station /
// station dump). On a managed interface Addr is the AP's address.
type StationInfo struct {
	Addr      frames.MAC
	SignalDBm int32
	TxPackets uint64
	TxBytes   uint64
	RxPackets uint64
	RxBytes   uint64
	TxFailed  uint32
}

func putMAC(ae *netlink.AttributeEncoder, typ uint16, m frames.MAC) {
	ae.Bytes(typ, m[:])
}

func getMAC(ad *netlink.AttributeDecoder) frames.MAC {
	var m frames.MAC
	b := ad.Bytes()
	if len(b) != len(m) {
		ad.Do(func([]byte) error { return fmt.Errorf("address attribute %d: %d bytes, want 6", ad.Type(), len(b)) })
		return m
	}
	copy(m[:], b)
	return m
}

func (b *BSS) encode(ae *netlink.AttributeEncoder) {
	putMAC(ae, AttrBSSID, b.BSSID)
	ae.Uint32(AttrFreq, b.FreqMHz)
	ae.Int32(AttrSignal, b.SignalDBm)
	if len(b.SSID) > 0 {
		ae.Bytes(AttrSSID, b.SSID)
	}
	if b.Capability != 0 {
		ae.Uint16(AttrCapability, b.Capability)
	}
	if b.BeaconInt != 0 {
		ae.Uint32(AttrBeaconInt, uint32(b.BeaconInt))
	}
	if len(b.IEs) > 0 {
		ae.Bytes(AttrIEs, b.IEs)
	}
}

func (s *StationInfo) encode(ae *netlink.AttributeEncoder) {
	putMAC(ae, AttrStaAddr, s.Addr)
	ae.Int32(AttrSignal, s.SignalDBm)
	ae.Uint64(AttrTxPackets, s.TxPackets)
	ae.Uint64(AttrTxBytes, s.TxBytes)
	ae.Uint64(AttrRxPackets, s.RxPackets)
	ae.Uint64(AttrRxBytes, s.RxBytes)
	ae.Uint32(AttrTxFailed, s.TxFailed)
}

// decodeEvent parses the attributes of a module message with command cmd.
func decodeEvent(cmd uint8, data []byte) (Event, error) {
	e := Event{Cmd: cmd}
	ad, err := netlink.NewAttributeDecoder(data)
	if err != nil {
		return e, fmt.Errorf("decode %s: %w", cmdName(cmd), err)
	}
	haveRadio := false
	for ad.Next() {
		switch ad.Type() {
		case AttrRadio:
			e.Index = ad.Uint32()
			e.Radio.Index = e.Index
			haveRadio = true
		case AttrFrame:
			// ad.Do, not ad.Bytes: the decoder already holds a
			// private copy of every attribute (Next copies it out of
			// the message), so Bytes would copy the frame twice.
			ad.Do(func(v []byte) error { e.Frame = v; return nil })
		case AttrSSID:
			e.SSID = ad.Bytes()
			e.Radio.SSID = e.SSID
		case AttrBSSID:
			e.BSSID = getMAC(ad)
			e.Radio.BSSID = e.BSSID
		case AttrFreq:
			e.FreqMHz = ad.Uint32()
			e.Radio.FreqMHz = e.FreqMHz
		case AttrBeaconInt:
			e.BeaconInt = ad.Uint32()
			e.Radio.BeaconInt = e.BeaconInt
		case AttrDTIM:
			e.DTIM = ad.Uint32()
			e.Radio.DTIM = e.DTIM
		case AttrIEs:
			e.IEs = ad.Bytes()
		case AttrHidden:
			e.Hidden = true
		case AttrReason:
			e.Reason = ad.Uint16()
		case AttrIfname:
			e.Radio.Ifname = ad.String()
		case AttrAddr:
			e.Radio.Addr = getMAC(ad)
		case AttrIftype:
			e.Radio.Iftype = ad.Uint32()
		case AttrUp:
			e.Radio.Up = ad.Uint8() != 0
		case AttrCarrier:
			e.Radio.Carrier = ad.Uint8() != 0
		case AttrTxDropped:
			e.Radio.TxDropped = ad.Uint64()
		case AttrPrivacy:
			e.Privacy = true
		case AttrAssocIEs:
			e.AssocIEs = ad.Bytes()
		case AttrStaAddr:
			e.StaAddr = getMAC(ad)
			e.Key.Peer = e.StaAddr
		case AttrAuthorized:
			e.Authorized = ad.Uint8() != 0
		case AttrKeyIdx:
			e.Key.Index = ad.Uint8()
		case AttrCipher:
			e.Key.Cipher = ad.Uint32()
		case AttrKey:
			e.Key.Key = ad.Bytes()
		case AttrKeySeq:
			e.Key.Seq = ad.Bytes()
		case AttrPairwise:
			e.Key.Pairwise = true
		case AttrDefaultUnicast:
			e.Key.DefaultUnicast = true
		case AttrDefaultMulticast:
			e.Key.DefaultMulticast = true
		case AttrMgmt:
			e.Key.Mgmt = true
		}
	}
	if err := ad.Err(); err != nil {
		return e, fmt.Errorf("decode %s: %w", cmdName(cmd), err)
	}
	if !haveRadio {
		return e, fmt.Errorf("decode %s: no radio index attribute", cmdName(cmd))
	}
	if cmd == CmdTx && len(e.Frame) < 14 {
		return e, fmt.Errorf("decode %s: frame of %d bytes is no Ethernet frame", cmdName(cmd), len(e.Frame))
	}
	return e, nil
}

var cmdNames = [...]string{
	CmdUnspec: "UNSPEC", CmdRegister: "REGISTER", CmdUnregister: "UNREGISTER",
	CmdGetRadio: "GET_RADIO", CmdTx: "TX", CmdRx: "RX", CmdScan: "SCAN",
	CmdScanResult: "SCAN_RESULT", CmdScanDone: "SCAN_DONE", CmdConnect: "CONNECT",
	CmdConnectResult: "CONNECT_RESULT", CmdDisconnect: "DISCONNECT",
	CmdDisconnected: "DISCONNECTED", CmdStartAP: "START_AP",
	CmdChangeBeacon: "CHANGE_BEACON", CmdStopAP: "STOP_AP", CmdStation: "STATION",
	CmdNewStation: "NEW_STATION", CmdDelStation: "DEL_STATION", CmdCarrier: "CARRIER",
	CmdAddKey: "ADD_KEY", CmdDelKey: "DEL_KEY", CmdSetDefaultKey: "SET_DEFAULT_KEY",
	CmdAuthorize: "AUTHORIZE", CmdKickStation: "KICK_STATION",
}

func cmdName(c uint8) string {
	if int(c) < len(cmdNames) && cmdNames[c] != "" {
		return cmdNames[c]
	}
	return fmt.Sprintf("command %d", c)
}
