// SPDX-License-Identifier: MIT

// Package lab builds a complete Wi-Fi lab from a topology: network
// namespaces, one radio per interface, the MACs (userspace sta/ap on TAP
// radios, or the kernel stack on hwsim radios, see the backends), and the
// medium's links and deny rules. `vmedium run` is a thin wrapper around Up.
package lab

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/medium"
)

// Roles a radio can have.
const (
	RoleAP  = "ap"
	RoleSTA = "sta"
)

// MTU bounds: an 802.11 MSDU carries at most 2304 bytes.
const (
	DefaultMTU = 1500
	MinMTU     = 68
	MaxMTU     = 2304
)

// Config is a lab topology, as read from YAML (see examples/).
type Config struct {
	// Passphrase is the WPA2-PSK passphrase of the lab's networks ("" =
	// open networks): hostapd/wpa_supplicant use it on hwsim radios, the
	// Go AP and STA on tap radios.
	Passphrase string        `yaml:"passphrase,omitempty"`
	MTU        int           `yaml:"mtu,omitempty"` // 0 = DefaultMTU
	Radios     []RadioConfig `yaml:"radios"`
	Links      []LinkConfig  `yaml:"links,omitempty"`
	Deny       []DenyConfig  `yaml:"deny,omitempty"`
	// Air is the air model (errors, airtime, propagation, noise, fading).
	Air *AirConfig `yaml:"air,omitempty"`
	// WDSLabConfig: lans, namespaces bridged behind stations (wdsconfig.go).
	WDSLabConfig `yaml:",inline"`

	// Security is "wpa2-psk" or "open"; "" = wpa2-psk when a passphrase
	// is set, open otherwise. `security: open` keeps the passphrase but
	// runs open networks.
	Security string `yaml:"security,omitempty"`
	// GroupRekey is how often the Go APs (tap radios) hand out a new
	// group key, e.g. 10m; 0 = hourly.
	GroupRekey time.Duration `yaml:"group_rekey,omitempty"`
}

// RadioConfig is one radio and its interface.
type RadioConfig struct {
	Name string `yaml:"name"` // interface and radio name, e.g. vw0
	Role string `yaml:"role"` // ap | sta
	// Kind is this radio's kind (tap | hwsim | kmod) when it differs from
	// the lab's backend: one lab, one medium, mixed radios (e.g. a
	// userspace AP on a TAP radio serving a kernel hwsim station). "" =
	// the lab's backend (vmedium run --backend).
	Kind     string           `yaml:"kind,omitempty"`
	Netns    string           `yaml:"netns"`             // network namespace, e.g. ns0
	SSID     string           `yaml:"ssid"`              // offered (ap) or wanted (sta)
	Channel  int              `yaml:"channel"`           // 2.4 GHz channel 1..14
	Address  string           `yaml:"address,omitempty"` // IPv4 CIDR, e.g. 10.0.0.1/24
	MAC      string           `yaml:"mac,omitempty"`     // default 02:00:00:00:0N:00, N = index
	Position *medium.Position `yaml:"position,omitempty"`
	TxPower  *float64         `yaml:"tx_power,omitempty"` // dBm, default medium.DefaultTxPowerDBm
	// WDSRadioConfig: wds (stations), wds_sta (APs), see wdsconfig.go.
	WDSRadioConfig `yaml:",inline"`
	// RTSThreshold: unicast frames longer than this many bytes (MPDU
	// with FCS) are sent behind RTS/CTS; unset: never. Tap, vmnic and
	// kmod radios (the medium's rate control picks their rates); read by
	// the air model only.
	RTSThreshold *int `yaml:"rts_threshold,omitempty"`
	// Path is a list of waypoints the radio travels along, each at its
	// speed (m/s; 0 jumps); Loop starts over at the end.
	Path []medium.Waypoint `yaml:"path,omitempty"`
	Loop bool              `yaml:"loop,omitempty"`
	// Mobility moves the radio by a model (random-waypoint in a box).
	Mobility *MobilityConfig `yaml:"mobility,omitempty"`
	// Passphrase overrides the lab's passphrase for this radio (an
	// AP's network, or what a station tries: a wrong one keeps it out).
	Passphrase string `yaml:"passphrase,omitempty"`
	// Listen is where a vmnic radio waits for its VM's NIC (QEMU
	// `-netdev stream`): unix:PATH or tcp:HOST:PORT. Only for kind vmnic.
	Listen string `yaml:"listen,omitempty"`
	// NetConfig: uplink and dhcp (APs), see uplinkconfig.go.
	NetConfig `yaml:",inline"`
}

// Security modes of Config.Security.
const (
	SecurityWPA2PSK = "wpa2-psk"
	SecurityOpen    = "open"
)

// RadioPassphrase returns the WPA2 passphrase radio i uses, "" when the
// lab runs open networks.
func (c *Config) RadioPassphrase(i int) string {
	if c.Security == SecurityOpen {
		return ""
	}
	if p := c.Radios[i].Passphrase; p != "" {
		return p
	}
	return c.Passphrase
}

// LinkConfig sets an explicit signal and/or loss for the ordered pair src→dst.
type LinkConfig struct {
	Src    string   `yaml:"src"`
	Dst    string   `yaml:"dst"`
	Signal *float64 `yaml:"signal,omitempty"` // dBm
	Loss   *float64 `yaml:"loss,omitempty"`   // probability 0..1 per attempt
}

// DenyConfig makes dst deaf to src.
type DenyConfig struct {
	Src string `yaml:"src"`
	Dst string `yaml:"dst"`
}

// DefaultConfig is the lab `vmedium run` builds without --config: an AP vw0
// in ns0 and two stations vw1, vw2 in ns1, ns2 on SSID vmedium, channel 6,
// 10.0.0.0/24.
func DefaultConfig() *Config {
	return &Config{
		Passphrase: "vmedium-lab",
		Radios: []RadioConfig{
			{Name: "vw0", Role: RoleAP, Netns: "ns0", SSID: "vmedium", Channel: 6, Address: "10.0.0.1/24"},
			{Name: "vw1", Role: RoleSTA, Netns: "ns1", SSID: "vmedium", Channel: 6, Address: "10.0.0.2/24"},
			{Name: "vw2", Role: RoleSTA, Netns: "ns2", SSID: "vmedium", Channel: 6, Address: "10.0.0.3/24"},
		},
	}
}

// ConfigError is a configuration problem: where (file, line, field path)
// and what, including what would be accepted.
type ConfigError struct {
	File string // "" when the config did not come from a file
	Line int    // 0 when unknown
	Path string // e.g. radios[1].address
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(":")
		if e.Line > 0 {
			b.WriteString(strconv.Itoa(e.Line))
			b.WriteString(":")
		}
		b.WriteString(" ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadConfig reads and validates a YAML topology. Decoding is strict:
// unknown keys and wrong types are errors with their line numbers.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lab config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes and validates a YAML topology; name is used in errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ConfigError{File: name, Msg: "empty configuration: accepted is a YAML mapping with at least `radios:`"}
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return nil, &ConfigError{File: name, Msg: strings.Join(te.Errors, "; ")}
		}
		return nil, &ConfigError{File: name, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	// A second document is almost certainly a mistake (a stray `---`).
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ConfigError{File: name, Line: extra.Line, Msg: "more than one YAML document: accepted is exactly one"}
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root) // decoded fine above; only used for line numbers
	if err := cfg.Validate(); err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.File = name
			ce.Line = lineOf(&root, ce.Path)
		}
		return nil, err
	}
	return &cfg, nil
}

// lineOf finds the line of a field path like radios[1].address in a YAML
// document, falling back to the nearest parent that exists.
func lineOf(root *yaml.Node, path string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			break
		}
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			key = part[:i]
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return line
		}
		n = next
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

// Validate checks the whole configuration and fills nothing in; it returns
// the first problem as a *ConfigError.
func (c *Config) Validate() error {
	bad := func(path, format string, a ...any) error {
		return &ConfigError{Path: path, Msg: fmt.Sprintf(format, a...)}
	}
	if c.MTU != 0 && (c.MTU < MinMTU || c.MTU > MaxMTU) {
		return bad("mtu", "invalid mtu %d: accepted is %d to %d (an 802.11 MSDU carries at most %d bytes)", c.MTU, MinMTU, MaxMTU, MaxMTU)
	}
	if c.Passphrase != "" && (len(c.Passphrase) < 8 || len(c.Passphrase) > 63) {
		return bad("passphrase", "invalid passphrase of %d characters: accepted is 8 to 63 characters (WPA2), or none for an open network", len(c.Passphrase))
	}
	switch c.Security {
	case "", SecurityOpen:
	case SecurityWPA2PSK:
		if c.Passphrase == "" {
			return bad("security", "security %s needs a passphrase: accepted is `passphrase:` of 8 to 63 characters, or security: open", c.Security)
		}
	default:
		return bad("security", "invalid security %q: accepted is wpa2-psk or open", c.Security)
	}
	if c.GroupRekey != 0 && c.GroupRekey < time.Second {
		return bad("group_rekey", "invalid group_rekey %v: accepted is a duration of at least 1s, e.g. 10m (none: hourly)", c.GroupRekey)
	}
	if len(c.Radios) == 0 {
		return bad("radios", "no radios: accepted is a list with at least one radio")
	}
	names := map[string]int{}
	macs := map[frames.MAC]string{}
	listens := map[string]string{}
	for i := range c.Radios {
		r := &c.Radios[i]
		p := fmt.Sprintf("radios[%d]", i)
		if err := validInterfaceName(r.Name); err != nil {
			return bad(p+".name", "%v", err)
		}
		if j, dup := names[r.Name]; dup {
			return bad(p+".name", "radio name %q is used twice (radios[%d] and radios[%d]): accepted is a unique name", r.Name, j, i)
		}
		names[r.Name] = i
		who := "radio " + r.Name
		switch r.Role {
		case RoleAP, RoleSTA:
		default:
			return bad(p+".role", "%s: invalid role %q: accepted is ap or sta", who, r.Role)
		}
		if r.Kind != "" && !slices.Contains(KindNames(), r.Kind) {
			return bad(p+".kind", "%s: invalid kind %q: accepted is %s (or none: the lab's backend)", who, r.Kind, strings.Join(KindNames(), ", "))
		}
		if r.Kind == string(medium.KindVMNIC) {
			if err := r.validVMNIC(p, who, listens); err != nil {
				return err
			}
		} else if r.Listen != "" {
			return bad(p+".listen", "%s: listen is for a VM's NIC: accepted only with kind: vmnic (this radio's kind is %s)", who, kindOrBackend(r.Kind))
		} else if err := validNetnsName(r.Netns); err != nil {
			return bad(p+".netns", "%s: %v", who, err)
		}
		if err := r.validateWDS(p, who); err != nil {
			return err
		}
		if r.SSID == "" || len(r.SSID) > 32 {
			return bad(p+".ssid", "%s: invalid ssid %q: accepted is 1 to 32 bytes", who, r.SSID)
		}
		if _, err := ChannelFreq(r.Channel); err != nil {
			return bad(p+".channel", "%s: %v", who, err)
		}
		if r.Address != "" && r.Address != AddressDHCP {
			if _, err := parseAddress(r.Address); err != nil {
				return bad(p+".address", "%s: %v", who, err)
			}
		}
		mac, err := r.HWAddr(i)
		if err != nil {
			return bad(p+".mac", "%s: %v", who, err)
		}
		if other, dup := macs[mac]; dup {
			return bad(p+".mac", "%s: mac %s is also %s's: accepted is a unique address", who, mac, other)
		}
		macs[mac] = r.Name
		if r.Position != nil {
			for _, v := range []float64{r.Position.X, r.Position.Y, r.Position.Z} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return bad(p+".position", "%s: invalid position: accepted is finite x, y, z in metres", who)
				}
			}
		}
		if r.TxPower != nil && (math.IsNaN(*r.TxPower) || *r.TxPower < -20 || *r.TxPower > 40) {
			return bad(p+".tx_power", "%s: invalid tx_power %g: accepted is -20 to 40 dBm", who, *r.TxPower)
		}
		if t := r.RTSThreshold; t != nil && (*t < 0 || *t > medium.MaxRTSThreshold) {
			return bad(p+".rts_threshold", "%s: invalid rts_threshold %d: accepted is 0 to %d bytes (frames longer than it go behind RTS/CTS), or no rts_threshold for none", who, *t, medium.MaxRTSThreshold)
		}
		if r.RTSThreshold != nil && r.Kind == string(medium.KindHwsim) {
			return bad(p+".rts_threshold", "%s: rts_threshold is for radios with a Go or vmedium.ko MAC (tap, vmnic, kmod): a hwsim radio's kernel decides (iw phy PHY set rts N in its namespace)", who)
		}
		if _, err := r.mobility(p); err != nil {
			return err
		}
		if r.Passphrase != "" && (len(r.Passphrase) < 8 || len(r.Passphrase) > 63) {
			return bad(p+".passphrase", "%s: invalid passphrase of %d characters: accepted is 8 to 63 characters (WPA2)", who, len(r.Passphrase))
		}
	}
	// Every station must have an AP offering its SSID on its channel, or
	// the lab would wait for an association that can never happen.
	for i, r := range c.Radios {
		if r.Role != RoleSTA {
			continue
		}
		var aps []string
		found := false
		for _, a := range c.Radios {
			if a.Role == RoleAP {
				aps = append(aps, fmt.Sprintf("%s %q ch %d", a.Name, a.SSID, a.Channel))
				if a.SSID == r.SSID && a.Channel == r.Channel {
					found = true
				}
			}
		}
		if !found {
			offered := "none"
			if len(aps) > 0 {
				offered = strings.Join(aps, ", ")
			}
			return bad(fmt.Sprintf("radios[%d].ssid", i), "station %s wants SSID %q on channel %d but no AP offers it (APs: %s)", r.Name, r.SSID, r.Channel, offered)
		}
	}
	if err := c.validateNet(); err != nil {
		return err
	}
	known := func(path, name string) error {
		if _, ok := names[name]; !ok {
			return bad(path, "unknown radio %q: known radios are %s", name, strings.Join(c.RadioNames(), ", "))
		}
		return nil
	}
	for i, l := range c.Links {
		p := fmt.Sprintf("links[%d]", i)
		if err := known(p+".src", l.Src); err != nil {
			return err
		}
		if err := known(p+".dst", l.Dst); err != nil {
			return err
		}
		if l.Src == l.Dst {
			return bad(p, "link %s→%s: accepted is two different radios", l.Src, l.Dst)
		}
		if l.Signal == nil && l.Loss == nil {
			return bad(p, "link %s→%s sets nothing: accepted are signal (dBm) and/or loss (0..1)", l.Src, l.Dst)
		}
		if l.Signal != nil {
			if err := medium.ValidateSignal(*l.Signal); err != nil {
				return bad(p+".signal", "%v", err)
			}
		}
		if l.Loss != nil {
			if err := medium.ValidateLoss(*l.Loss); err != nil {
				return bad(p+".loss", "%v", err)
			}
		}
	}
	if c.Air != nil {
		if _, err := c.Air.Medium(); err != nil {
			return err
		}
	}
	if err := c.validateLANs(); err != nil {
		return err
	}
	for i, d := range c.Deny {
		p := fmt.Sprintf("deny[%d]", i)
		if err := known(p+".src", d.Src); err != nil {
			return err
		}
		if err := known(p+".dst", d.Dst); err != nil {
			return err
		}
		if d.Src == d.Dst {
			return bad(p, "deny %s→%s: accepted is two different radios", d.Src, d.Dst)
		}
	}
	return nil
}

// RadioNames returns the radios' names in configuration order.
func (c *Config) RadioNames() []string {
	out := make([]string, len(c.Radios))
	for i, r := range c.Radios {
		out[i] = r.Name
	}
	return out
}

// Namespaces returns the distinct namespaces in configuration order.
func (c *Config) Namespaces() []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range c.Radios {
		if r.Netns == "" { // a vmnic radio: its VM is its host
			continue
		}
		if !seen[r.Netns] {
			seen[r.Netns] = true
			out = append(out, r.Netns)
		}
	}
	return out
}

// EffectiveMTU returns the configured MTU or DefaultMTU.
func (c *Config) EffectiveMTU() int {
	if c.MTU == 0 {
		return DefaultMTU
	}
	return c.MTU
}

// HWAddr returns the radio's hardware address: the configured mac, or
// 02:00:00:00:0N:00 for the radio at index i (locally administered).
func (r *RadioConfig) HWAddr(i int) (frames.MAC, error) {
	if r.MAC == "" {
		if i < 0 || i > 0xff {
			return frames.MAC{}, fmt.Errorf("no default mac for radio index %d: set mac explicitly", i)
		}
		return frames.MAC{0x02, 0, 0, 0, byte(i), 0}, nil
	}
	m, err := frames.ParseMAC(r.MAC)
	if err != nil {
		return frames.MAC{}, fmt.Errorf("invalid mac %q: accepted is six hex octets like 02:00:00:00:01:00", r.MAC)
	}
	if m.IsGroup() || m.IsZero() {
		return frames.MAC{}, fmt.Errorf("invalid mac %s: accepted is a unicast, non-zero address (first octet even)", m)
	}
	return m, nil
}

// Prefix returns the radio's IPv4 address with prefix length; ok is false
// when none is configured.
func (r *RadioConfig) Prefix() (p netip.Prefix, ok bool) {
	if r.Address == "" {
		return netip.Prefix{}, false
	}
	p, err := parseAddress(r.Address)
	return p, err == nil
}

// FreqMHz returns the centre frequency of the radio's channel.
func (r *RadioConfig) FreqMHz() uint32 {
	f, _ := ChannelFreq(r.Channel)
	return f
}

func parseAddress(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() {
		return netip.Prefix{}, fmt.Errorf("invalid address %q: accepted is an IPv4 address with prefix length, e.g. 10.0.0.2/24 (or dhcp on a station)", s)
	}
	if p.Bits() == 32 || p.Addr() == p.Masked().Addr() {
		return netip.Prefix{}, fmt.Errorf("invalid address %q: accepted is a host address inside a subnet of /0 to /31, e.g. 10.0.0.2/24", s)
	}
	return p, nil
}

// ChannelFreq maps a 2.4 GHz channel number to its centre frequency.
func ChannelFreq(ch int) (uint32, error) {
	switch {
	case ch >= 1 && ch <= 13:
		return uint32(2407 + 5*ch), nil
	case ch == 14:
		return 2484, nil
	}
	return 0, fmt.Errorf("invalid channel %d: accepted is a 2.4 GHz channel from 1 to 14", ch)
}

func validInterfaceName(s string) error {
	if s == "" || len(s) > 15 {
		return fmt.Errorf("invalid radio name %q: accepted is an interface name of 1 to 15 characters, e.g. vw0", s)
	}
	if s == "." || s == ".." || strings.ContainsAny(s, "/: \t\n\x00") {
		return fmt.Errorf("invalid radio name %q: accepted is an interface name without '/', ':' or spaces, e.g. vw0", s)
	}
	return nil
}

func validNetnsName(s string) error {
	if s == "" || s == "." || s == ".." || len(s) > 64 || strings.ContainsAny(s, "/\x00") {
		return fmt.Errorf("invalid netns %q: accepted is a namespace name of 1 to 64 characters without '/', e.g. ns1", s)
	}
	return nil
}

// APsFirst returns the indexes of the configured radios, APs first and
// otherwise in configuration order: backends bring radios up in this order
// so that stations find their AP's beacons on the first scan.
func (c *Config) APsFirst() []int {
	order := make([]int, 0, len(c.Radios))
	for _, ap := range []bool{true, false} {
		for i, r := range c.Radios {
			if (r.Role == RoleAP) == ap {
				order = append(order, i)
			}
		}
	}
	return order
}
