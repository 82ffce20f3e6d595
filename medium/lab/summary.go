// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/vmedium/vmedium/medium"
)

// SummaryRow is one line of the lab table.
type SummaryRow struct {
	Config RadioConfig
	MAC    string
	Status *medium.MACStatus
}

// FormatSummary renders the lab table and three commands to try.
func FormatSummary(backend string, rows []SummaryRow) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vmedium lab (%s backend): %d radios\n\n", backend, len(rows))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tNETNS\tMAC\tIP\tCHANNEL\tSSID\tSTATE")
	for _, r := range rows {
		ip := r.Config.Address
		if ip == "" {
			ip = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Config.Name, r.Config.Role, r.Config.Netns,
			r.MAC, ip, r.Config.Channel, r.Config.SSID, describeState(r.Config.Role, r.Status))
	}
	tw.Flush()

	// Commands to try: ping from the first station to another station
	// (else to its AP), deny that pair, capture. Stations in a VM (vmnic:
	// no namespace here) are left out: the ping could not run from here.
	var stas, aps []RadioConfig
	for _, r := range rows {
		if r.Config.Role == RoleSTA && r.Config.Netns == "" {
			continue
		}
		if r.Config.Role == RoleSTA {
			stas = append(stas, r.Config)
		} else {
			aps = append(aps, r.Config)
		}
	}
	if len(stas) == 0 && len(aps) == 0 {
		return b.String()
	}
	var src, dst RadioConfig
	switch {
	case len(stas) >= 2:
		src, dst = stas[0], stas[1]
	case len(stas) == 1 && len(aps) > 0:
		src, dst = stas[0], aps[0]
	default:
		src, dst = rows[0].Config, rows[len(rows)-1].Config
	}
	b.WriteString("\nTry:\n")
	if p, ok := dst.Prefix(); ok {
		fmt.Fprintf(&b, "  sudo ip netns exec %s ping -c 3 %s\n", src.Netns, p.Addr())
	}
	if src.Name != dst.Name {
		fmt.Fprintf(&b, "  vmctl deny -s %s -d %s\n", src.Name, dst.Name)
	}
	b.WriteString("  vmctl capture -o lab.pcap -t 5s\n")
	return b.String()
}

func describeState(role string, st *medium.MACStatus) string {
	if st == nil {
		return "-"
	}
	switch {
	case role == RoleAP || st.Role == RoleAP:
		s := st.State
		if s == "" {
			s = "up"
		}
		return fmt.Sprintf("%s, %d stations", s, len(st.Stations))
	case st.BSSID != "":
		s := fmt.Sprintf("%s to %s", orDefault(st.State, "associated"), st.BSSID)
		if st.SignalDBm != nil {
			s += fmt.Sprintf(" (%d dBm)", *st.SignalDBm)
		}
		return s
	default:
		return orDefault(st.State, "-")
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
