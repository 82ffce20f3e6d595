// SPDX-License-Identifier: MIT

package nl80211

import (
	"errors"
	"fmt"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// The commands below configure one interface, as `iw dev IF set type`,
// `iw dev IF ap start` and `iw dev IF connect` do. Each runs in the network
// namespace at nsPath ("" = the caller's), where the interface lives: nl80211
// resolves ifindex in the namespace of the socket that sends the command.

// SetInterfaceType changes the type of interface ifindex
// (NL80211_CMD_SET_INTERFACE with NL80211_ATTR_IFTYPE: IftypeStation,
// IftypeAP, …). cfg80211 refuses most changes while the interface is up.
func SetInterfaceType(nsPath string, ifindex int, iftype uint32) error {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrIfindex, uint32(ifindex))
	ae.Uint32(AttrIftype, iftype)
	if err := execIn(nsPath, CmdSetInterface, ae); err != nil {
		return fmt.Errorf("nl80211: set interface %d type %s: %w", ifindex, IftypeRole(iftype), err)
	}
	return nil
}

// APConfig is what NL80211_CMD_START_AP needs to start an AP.
type APConfig struct {
	SSID           string
	FreqMHz        uint32 // the channel (NL80211_ATTR_WIPHY_FREQ), 20 MHz without HT
	BeaconInterval uint32 // TU
	DTIMPeriod     uint32 // beacons
	// BeaconHead is the beacon up to and including the SSID element
	// (frames.AppendBeaconHead); BeaconTail the elements after the TIM.
	BeaconHead, BeaconTail []byte
}

// Validate reports what of c the kernel would refuse, with what it accepts.
func (c APConfig) Validate() error {
	switch {
	case len(c.SSID) == 0 || len(c.SSID) > frames.MaxSSIDLen:
		return fmt.Errorf("SSID %q of %d bytes: accepted are 1 to %d", c.SSID, len(c.SSID), frames.MaxSSIDLen)
	case c.FreqMHz == 0:
		return errors.New("no channel frequency (MHz)")
	case c.BeaconInterval < 1 || c.BeaconInterval > 10000:
		return fmt.Errorf("beacon interval %d TU: accepted are 1 to 10000", c.BeaconInterval)
	case c.DTIMPeriod < 1 || c.DTIMPeriod > 255:
		return fmt.Errorf("DTIM period %d: accepted are 1 to 255", c.DTIMPeriod)
	case len(c.BeaconHead) < 24:
		return fmt.Errorf("beacon head of %d bytes: it starts with a 24-byte management header", len(c.BeaconHead))
	}
	return nil
}

// StartAP starts an AP on interface ifindex (NL80211_CMD_START_AP). The
// interface must be of type AP and up.
func StartAP(nsPath string, ifindex int, c APConfig) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("nl80211: start AP on interface %d: %w", ifindex, err)
	}
	if err := execIn(nsPath, CmdStartAP, encodeStartAP(ifindex, c)); err != nil {
		return fmt.Errorf("nl80211: start AP %q on interface %d at %d MHz: %w", c.SSID, ifindex, c.FreqMHz, err)
	}
	return nil
}

func encodeStartAP(ifindex int, c APConfig) *netlink.AttributeEncoder {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrIfindex, uint32(ifindex))
	ae.Uint32(AttrWiphyFreq, c.FreqMHz)
	ae.Uint32(AttrBeaconInterval, c.BeaconInterval)
	ae.Uint32(AttrDTIMPeriod, c.DTIMPeriod)
	ae.Bytes(AttrSSID, []byte(c.SSID))
	ae.Uint32(AttrHiddenSSID, HiddenSSIDNotInUse)
	ae.Bytes(AttrBeaconHead, c.BeaconHead)
	if len(c.BeaconTail) > 0 {
		ae.Bytes(AttrBeaconTail, c.BeaconTail)
	}
	return ae
}

// Connect asks cfg80211 to connect station interface ifindex to the
// network ssid (NL80211_CMD_CONNECT; cfg80211 picks the authentication); freqMHz, when not 0,
// names the channel to look on. The result arrives later as an event (the
// interface's state shows it); cfg80211 does not retry a failed attempt.
func Connect(nsPath string, ifindex int, ssid string, freqMHz uint32) error {
	if len(ssid) == 0 || len(ssid) > frames.MaxSSIDLen {
		return fmt.Errorf("nl80211: connect interface %d: SSID %q of %d bytes: accepted are 1 to %d", ifindex, ssid, len(ssid), frames.MaxSSIDLen)
	}
	if err := execIn(nsPath, CmdConnect, encodeConnect(ifindex, ssid, freqMHz)); err != nil {
		return fmt.Errorf("nl80211: connect interface %d to %q: %w", ifindex, ssid, err)
	}
	return nil
}

func encodeConnect(ifindex int, ssid string, freqMHz uint32) *netlink.AttributeEncoder {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrIfindex, uint32(ifindex))
	ae.Bytes(AttrSSID, []byte(ssid))
	if freqMHz != 0 {
		ae.Uint32(AttrWiphyFreq, freqMHz)
	}
	return ae
}

// execIn sends one acknowledged nl80211 command from a socket opened in
// the namespace at nsPath.
func execIn(nsPath string, cmd uint8, ae *netlink.AttributeEncoder) error {
	data, err := ae.Encode()
	if err != nil {
		return err
	}
	return netnsutil.DoPath(nsPath, func() error {
		c, fam, err := dial()
		if err != nil {
			return err
		}
		defer c.Close()
		req := genetlink.Message{Header: genetlink.Header{Command: cmd}, Data: data}
		_, err = c.Execute(req, fam, netlink.Request|netlink.Acknowledge)
		return err
	})
}
