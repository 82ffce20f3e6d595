// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// WDSRadioConfig are a radio's four-address (WDS) keys, inline in
// RadioConfig. Both ends are configured: the Go MACs do not negotiate
// four-address mode (real stacks do not either: a station is set to it
// with `iw dev X set 4addr on`, hostapd's wds_sta=1 reacts to its first
// four-address frame).
type WDSRadioConfig struct {
	// WDS puts a station in four-address mode, so hosts bridged behind it
	// (lans:) are on its AP's broadcast domain. Tap stations only.
	WDS bool `yaml:"wds,omitempty"`
	// WDSSta makes an AP accept four-address stations (hostapd
	// wds_sta=1) and forward to the hosts behind them. Tap APs only.
	WDSSta bool `yaml:"wds_sta,omitempty"`
}

// LANConfig is one namespace bridged behind a station ("a host on the
// station's LAN": a veth host standing for a VM or a wired machine). The
// station's namespace gets a bridge holding the station's TAP and a veth
// to each of its LANs; the bridge takes the station's address and MAC,
// the TAP keeps none, and the LAN host's address is in the same subnet,
// so it is on the AP's broadcast domain when four-address mode carries
// its frames.
type LANConfig struct {
	Name    string `yaml:"name"`          // the LAN host's namespace, e.g. lan1
	Station string `yaml:"station"`       // the station radio it is bridged behind, e.g. vw1
	Address string `yaml:"address"`       // IPv4 CIDR in the station's subnet, e.g. 10.0.0.10/24
	MAC     string `yaml:"mac,omitempty"` // the LAN host's MAC; default 02:00:00:01:0N:00, N = index
}

// WDSLabConfig is the lab's list of LAN namespaces, inline in Config.
type WDSLabConfig struct {
	LANs []LANConfig `yaml:"lans,omitempty"`
}

// bridgeName is the bridge behind station name in its namespace.
func bridgeName(station string) string { return "br-" + station }

// lanVethName is the station-side end of LAN lan's veth (the LAN side is
// eth0 in the LAN's namespace).
func lanVethName(lan string) string { return "vl-" + lan }

// validateWDS checks a radio's four-address keys against its role.
func (r *RadioConfig) validateWDS(p, who string) error {
	if r.WDS && r.Role != RoleSTA {
		return &ConfigError{Path: p + ".wds", Msg: fmt.Sprintf("%s is an AP: wds (four-address mode) is a station key; accepted on an AP is wds_sta: true (accept four-address stations, hostapd wds_sta=1)", who)}
	}
	if r.WDSSta && r.Role != RoleAP {
		return &ConfigError{Path: p + ".wds_sta", Msg: fmt.Sprintf("%s is a station: wds_sta (accept four-address stations) is an AP key; accepted on a station is wds: true (four-address mode, iw 4addr on)", who)}
	}
	if (r.WDS || r.WDSSta) && r.Kind != "" && !goMACKind(r.Kind) {
		key := "wds"
		if r.WDSSta {
			key = "wds_sta"
		}
		return &ConfigError{Path: p + "." + key, Msg: fmt.Sprintf("%s of kind %s: %s is accepted on tap and vmnic radios only (the Go AP and station); for hwsim radios use iw 4addr on and hostapd wds_sta=1 yourself", who, r.Kind, key)}
	}
	return nil
}

// validateLANs checks lans: known stations with an address, unique
// namespaces that are not a radio's, addresses inside the station's
// subnet and unique in the lab, unique MACs.
func (c *Config) validateLANs() error {
	bad := func(path, format string, a ...any) error {
		return &ConfigError{Path: path, Msg: fmt.Sprintf(format, a...)}
	}
	radioNS := map[string]string{}
	used := map[netip.Addr]string{}
	macs := map[frames.MAC]string{}
	for i, r := range c.Radios {
		radioNS[r.Netns] = r.Name
		if p, ok := r.Prefix(); ok {
			used[p.Addr()] = r.Name
		}
		if m, err := r.HWAddr(i); err == nil {
			macs[m] = r.Name
		}
	}
	seen := map[string]int{}
	for i, lan := range c.LANs {
		p := fmt.Sprintf("lans[%d]", i)
		if err := validNetnsName(lan.Name); err != nil {
			return bad(p+".name", "%v", err)
		}
		if len(lan.Name) > 12 {
			return bad(p+".name", "invalid LAN name %q: accepted is a namespace name of 1 to 12 characters (it also names the veth vl-NAME in the station's namespace)", lan.Name)
		}
		if j, dup := seen[lan.Name]; dup {
			return bad(p+".name", "LAN %q is listed twice (lans[%d] and lans[%d]): accepted is a unique namespace name", lan.Name, j, i)
		}
		seen[lan.Name] = i
		if r, clash := radioNS[lan.Name]; clash {
			return bad(p+".name", "LAN %q is radio %s's namespace: accepted is a namespace of its own", lan.Name, r)
		}
		si := -1
		for j, r := range c.Radios {
			if r.Name == lan.Station {
				si = j
			}
		}
		if si < 0 {
			return bad(p+".station", "LAN %s: unknown radio %q: known radios are %s", lan.Name, lan.Station, strings.Join(c.RadioNames(), ", "))
		}
		st := c.Radios[si]
		if st.Role != RoleSTA {
			return bad(p+".station", "LAN %s: radio %s is an AP: accepted is a station (the LAN is bridged behind it)", lan.Name, st.Name)
		}
		if len(bridgeName(st.Name)) > 15 {
			return bad(p+".station", "LAN %s: station name %q is too long for its bridge %s: accepted is a station of at most 12 characters", lan.Name, st.Name, bridgeName(st.Name))
		}
		sp, ok := st.Prefix()
		if !ok {
			return bad(p+".station", "LAN %s: station %s has no address: accepted is a station with `address:` (its bridge takes it)", lan.Name, st.Name)
		}
		lp, err := parseAddress(lan.Address)
		if err != nil {
			return bad(p+".address", "LAN %s: %v", lan.Name, err)
		}
		if lp.Masked() != sp.Masked() {
			return bad(p+".address", "LAN %s: address %s is outside station %s's subnet %s: accepted is an address in %s (the LAN is on the AP's broadcast domain)", lan.Name, lan.Address, st.Name, sp.Masked(), sp.Masked())
		}
		if who, dup := used[lp.Addr()]; dup {
			return bad(p+".address", "LAN %s: address %s is also %s's: accepted is an unused address of %s", lan.Name, lp.Addr(), who, sp.Masked())
		}
		used[lp.Addr()] = "LAN " + lan.Name
		m, err := lan.HWAddr(i)
		if err != nil {
			return bad(p+".mac", "LAN %s: %v", lan.Name, err)
		}
		if who, dup := macs[m]; dup {
			return bad(p+".mac", "LAN %s: mac %s is also %s's: accepted is a unique address", lan.Name, m, who)
		}
		macs[m] = "LAN " + lan.Name
	}
	return nil
}

// HWAddr returns the LAN host's MAC: the configured one, or
// 02:00:00:01:0N:00 for the LAN at index i.
func (lan *LANConfig) HWAddr(i int) (frames.MAC, error) {
	if lan.MAC == "" {
		if i < 0 || i > 0xff {
			return frames.MAC{}, fmt.Errorf("no default mac for LAN index %d: set mac explicitly", i)
		}
		return frames.MAC{0x02, 0, 0, 1, byte(i), 0}, nil
	}
	m, err := frames.ParseMAC(lan.MAC)
	if err != nil {
		return frames.MAC{}, fmt.Errorf("invalid mac %q: accepted is six hex octets like 02:00:00:01:00:00", lan.MAC)
	}
	if m.IsGroup() || m.IsZero() {
		return frames.MAC{}, fmt.Errorf("invalid mac %s: accepted is a unicast, non-zero address (first octet even)", m)
	}
	return m, nil
}

// goMACKind reports whether radios of kind run the Go AP or station
// (tap, and vmnic: a VM's NIC), which implement wds and wds_sta.
func goMACKind(kind string) bool {
	return kind == string(medium.KindTap) || kind == string(medium.KindVMNIC)
}

// checkWDSKinds refuses four-address keys on radios that will not run a
// Go MAC, and lans: behind radios that will not be tap radios, in a lab
// whose backend is backend (a radio's kind, or the backend): the kernel
// kinds are set up with iw and hostapd instead, and a LAN bridge needs the
// station's TAP. Up calls it before building anything.
func (c *Config) checkWDSKinds(backend string) error {
	for i, r := range c.Radios {
		kind := r.Kind
		if kind == "" {
			kind = backend
		}
		p := fmt.Sprintf("radios[%d]", i)
		switch {
		case r.WDS && !goMACKind(kind):
			p += ".wds"
		case r.WDSSta && !goMACKind(kind):
			p += ".wds_sta"
		case len(c.LANsOf(r.Name)) > 0 && kind != string(medium.KindTap):
			return &ConfigError{Path: p, Msg: fmt.Sprintf("radio %s is a %s radio: lans: are accepted behind tap stations only (the bridge holds the station's TAP); use --backend tap or kind: tap on the radio", r.Name, kind)}
		default:
			continue
		}
		return &ConfigError{Path: p, Msg: fmt.Sprintf("radio %s is a %s radio: wds and wds_sta are accepted on tap and vmnic radios only (the Go AP and station); hwsim radios take iw 4addr on and hostapd wds_sta=1 instead", r.Name, kind)}
	}
	return nil
}

// LANsOf returns the LANs bridged behind station name.
func (c *Config) LANsOf(name string) []LANConfig {
	var out []LANConfig
	for _, lan := range c.LANs {
		if lan.Station == name {
			out = append(out, lan)
		}
	}
	return out
}
