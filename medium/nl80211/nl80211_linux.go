// SPDX-License-Identifier: MIT

package nl80211

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

// Interface is one wireless interface from an nl80211 interface dump.
type Interface struct {
	Name    string
	Index   int
	Wiphy   int
	MAC     frames.MAC
	FreqMHz uint32 // 0 when not on a channel
	Type    uint32 // nl80211_iftype (IftypeStation, IftypeAP, …)
	SSID    string // the BSS's SSID: an AP's while it beacons, a station's while connected
}

// Interfaces dumps the wireless interfaces of the calling thread's network
// namespace (NL80211_CMD_GET_INTERFACE with NLM_F_DUMP).
func Interfaces() ([]Interface, error) {
	return dump(CmdGetInterface, -1, "interfaces", decodeInterface)
}

// dump runs an nl80211 dump request in the calling thread's network
// namespace — of interface ifindex, or of everything when ifindex < 0 —
// and decodes every answer with decode.
func dump[T any](cmd uint8, ifindex int, what string, decode func([]byte) (T, error)) ([]T, error) {
	c, fam, err := dial()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	req := genetlink.Message{Header: genetlink.Header{Command: cmd}}
	if ifindex >= 0 {
		ae := netlink.NewAttributeEncoder()
		ae.Uint32(AttrIfindex, uint32(ifindex))
		if req.Data, err = ae.Encode(); err != nil {
			return nil, err
		}
		what = fmt.Sprintf("%s of interface %d", what, ifindex)
	}
	msgs, err := c.Execute(req, fam, netlink.Request|netlink.Dump)
	if err != nil {
		return nil, fmt.Errorf("nl80211: dump %s: %w", what, err)
	}
	out := make([]T, 0, len(msgs))
	for _, m := range msgs {
		v, err := decode(m.Data)
		if err != nil {
			return nil, fmt.Errorf("nl80211: decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func decodeInterface(b []byte) (Interface, error) {
	var ifc Interface
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return ifc, err
	}
	for ad.Next() {
		switch ad.Type() {
		case AttrIfname:
			ifc.Name = ad.String()
		case AttrIfindex:
			ifc.Index = int(ad.Uint32())
		case AttrWiphy:
			ifc.Wiphy = int(ad.Uint32())
		case AttrMAC:
			copy(ifc.MAC[:], ad.Bytes())
		case AttrWiphyFreq:
			ifc.FreqMHz = ad.Uint32()
		case AttrIftype:
			ifc.Type = ad.Uint32()
		case AttrSSID:
			ifc.SSID = string(ad.Bytes())
		}
	}
	return ifc, ad.Err()
}

// InterfacesIn dumps the wireless interfaces of the network namespace at
// nsPath (e.g. /run/netns/ns1).
func InterfacesIn(nsPath string) ([]Interface, error) {
	var out []Interface
	err := netnsutil.DoPath(nsPath, func() error {
		var err error
		out, err = Interfaces()
		return err
	})
	return out, err
}

// Stations dumps the stations of interface ifindex in the calling thread's
// network namespace (NL80211_CMD_GET_STATION with NLM_F_DUMP): an AP's
// associated stations, or a connected station's AP.
func Stations(ifindex int) ([]Station, error) {
	return dump(CmdGetStation, ifindex, "stations", decodeStation)
}

// StationsIn is Stations in the network namespace at nsPath ("" = the
// caller's).
func StationsIn(nsPath string, ifindex int) ([]Station, error) {
	var out []Station
	err := netnsutil.DoPath(nsPath, func() error {
		var err error
		out, err = Stations(ifindex)
		return err
	})
	return out, err
}

// AssociatedBSSIn returns the BSS that interface ifindex (a station) in the
// network namespace at nsPath ("" = the caller's) is associated with, from
// its scan results (NL80211_CMD_GET_SCAN dump, the entry with BSS_STATUS
// associated): the SSID of a station connected through its own SME
// (wpa_supplicant) is known to cfg80211 only there on older kernels.
func AssociatedBSSIn(nsPath string, ifindex int) (BSS, bool, error) {
	var out BSS
	var found bool
	err := netnsutil.DoPath(nsPath, func() error {
		bsss, err := dump(CmdGetScan, ifindex, "scan results", decodeBSS)
		for _, bss := range bsss {
			if bss.Associated {
				out, found = bss, true
			}
		}
		return err
	})
	return out, found, err
}

// SetWiphyNetns moves wiphy (its index) and all its interfaces into the
// network namespace at nsPath (NL80211_CMD_SET_WIPHY_NETNS with
// NL80211_ATTR_NETNS_FD).
func SetWiphyNetns(wiphy int, nsPath string) error {
	f, err := os.Open(nsPath)
	if err != nil {
		return fmt.Errorf("nl80211: move wiphy %d: open netns: %w", wiphy, err)
	}
	defer f.Close()
	if err := setWiphyNetnsFD(wiphy, f.Fd()); err != nil {
		return fmt.Errorf("nl80211: move wiphy %d to %s: %w", wiphy, nsPath, err)
	}
	return nil
}

func setWiphyNetnsFD(wiphy int, fd uintptr) error {
	c, fam, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(AttrWiphy, uint32(wiphy))
	ae.Uint32(AttrNetnsFD, uint32(fd))
	data, err := ae.Encode()
	if err != nil {
		return err
	}
	req := genetlink.Message{Header: genetlink.Header{Command: CmdSetWiphyNetns}, Data: data}
	_, err = c.Execute(req, fam, netlink.Request|netlink.Acknowledge)
	return err
}

// ReturnWiphys moves every wiphy that has an interface in the network
// namespace at nsPath back into the calling thread's namespace, and returns
// their interface names. Deleting a namespace hands its wiphys back to
// init_net only when the kernel's asynchronous netns cleanup runs (and never
// while some process still holds the namespace); moving them first makes a
// stale lab's radios usable again at once.
func ReturnWiphys(nsPath string) ([]string, error) {
	home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return nil, fmt.Errorf("nl80211: open own netns: %w", err)
	}
	defer home.Close()
	var names []string
	err = netnsutil.DoPath(nsPath, func() error {
		ifs, err := Interfaces()
		if err != nil {
			return err
		}
		moved := map[int]bool{}
		for _, ifc := range ifs {
			if moved[ifc.Wiphy] {
				names = append(names, ifc.Name)
				continue
			}
			if err := setWiphyNetnsFD(ifc.Wiphy, home.Fd()); err != nil {
				return fmt.Errorf("nl80211: move wiphy %d (%s) out of %s: %w", ifc.Wiphy, ifc.Name, nsPath, err)
			}
			moved[ifc.Wiphy] = true
			names = append(names, ifc.Name)
		}
		return nil
	})
	return names, err
}

// WiphyIndex returns the index of the wiphy named name, from sysfs
// (/sys/class/ieee80211/NAME/index; visible in the wiphy's own netns).
func WiphyIndex(name string) (int, error) {
	b, err := os.ReadFile(filepath.Join("/sys/class/ieee80211", name, "index"))
	if err != nil {
		return 0, fmt.Errorf("nl80211: wiphy %s: %w", name, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("nl80211: wiphy %s: index %q: %w", name, b, err)
	}
	return n, nil
}

func dial() (*genetlink.Conn, uint16, error) {
	c, err := genetlink.Dial(nil)
	if err != nil {
		return nil, 0, fmt.Errorf("nl80211: dial generic netlink: %w", err)
	}
	// The kernel's error messages (e.g. "invalid channel") then reach
	// the caller in netlink.OpError; kernels without it just ignore this.
	_ = c.SetOption(netlink.ExtendedAcknowledge, true)
	fam, err := c.GetFamily(FamilyName)
	if err != nil {
		c.Close()
		return nil, 0, fmt.Errorf("nl80211: resolve family (is cfg80211 loaded?): %w", err)
	}
	return c, fam.ID, nil
}
