// SPDX-License-Identifier: MIT

package nl80211

import (
	"encoding/binary"
	"fmt"

	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
)

// Station is one entry of a station dump.
type Station struct {
	MAC frames.MAC
	// SignalDBm is the signal of the last frame received from the
	// station, as `iw station dump` prints it; valid when HasSignal.
	SignalDBm int32
	HasSignal bool
	// Associated and Authorized are the station's flags (Authorized: its
	// 802.1X/WPA port is open).
	Associated, Authorized bool
}

func decodeStation(b []byte) (Station, error) {
	var st Station
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return st, err
	}
	for ad.Next() {
		switch ad.Type() {
		case AttrMAC:
			ad.Do(macInto(&st.MAC, "station address"))
		case AttrStaInfo:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				for nad.Next() {
					switch nad.Type() {
					case StaInfoSignal:
						st.SignalDBm, st.HasSignal = int32(int8(nad.Uint8())), true
					case StaInfoStaFlags:
						nad.Do(func(v []byte) error {
							if len(v) != 8 {
								return fmt.Errorf("station flags of %d bytes", len(v))
							}
							mask, set := binary.NativeEndian.Uint32(v[0:4]), binary.NativeEndian.Uint32(v[4:8])
							on := mask & set
							st.Associated = on&(1<<StaFlagAssociated) != 0
							st.Authorized = on&(1<<StaFlagAuthorized) != 0
							return nil
						})
					}
				}
				return nil
			})
		}
	}
	return st, ad.Err()
}

// IftypeRole names an interface type as `vmctl radios` shows roles: "ap",
// "sta", "monitor", …
func IftypeRole(t uint32) string {
	switch t {
	case IftypeStation:
		return "sta"
	case IftypeAP:
		return "ap"
	case IftypeMonitor:
		return "monitor"
	case IftypeAdhoc:
		return "adhoc"
	case IftypeMeshPoint:
		return "mesh"
	case IftypeP2PClient:
		return "p2p-client"
	case IftypeP2PGO:
		return "p2p-go"
	}
	return fmt.Sprintf("iftype %d", t)
}

// macInto returns an AttributeDecoder.Do function that copies a 6-byte
// address attribute into dst, and refuses any other length.
func macInto(dst *frames.MAC, what string) func([]byte) error {
	return func(v []byte) error {
		if len(v) != len(dst) {
			return fmt.Errorf("%s of %d bytes", what, len(v))
		}
		copy(dst[:], v)
		return nil
	}
}

// BSS is one entry of a scan dump.
type BSS struct {
	BSSID      frames.MAC
	SSID       string
	Associated bool // the interface is associated with it (BSS_STATUS)
}

// decodeBSS decodes one scan dump answer; one without a BSS attribute
// decodes as the zero BSS (not associated).
func decodeBSS(b []byte) (BSS, error) {
	var bss BSS
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return bss, err
	}
	for ad.Next() {
		if ad.Type() != AttrBSS {
			continue
		}
		ad.Nested(func(nad *netlink.AttributeDecoder) error {
			for nad.Next() {
				switch nad.Type() {
				case BSSBSSID:
					nad.Do(macInto(&bss.BSSID, "BSSID"))
				case BSSInfoElements:
					nad.Do(func(v []byte) error {
						if ssid, ok := frames.FindIE(v, frames.IESSID); ok {
							bss.SSID = string(ssid)
						}
						return nil
					})
				case BSSStatus:
					bss.Associated = nad.Uint32() == BSSStatusAssociated
				}
			}
			return nil
		})
	}
	return bss, ad.Err()
}
