// SPDX-License-Identifier: MIT

package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
)

func TestDefaultConfig(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Namespaces(), ","); got != "ns0,ns1,ns2" {
		t.Errorf("namespaces %s", got)
	}
	want := []struct {
		name, role, addr string
		mac              frames.MAC
	}{
		{"vw0", RoleAP, "10.0.0.1/24", frames.MAC{2, 0, 0, 0, 0, 0}},
		{"vw1", RoleSTA, "10.0.0.2/24", frames.MAC{2, 0, 0, 0, 1, 0}},
		{"vw2", RoleSTA, "10.0.0.3/24", frames.MAC{2, 0, 0, 0, 2, 0}},
	}
	for i, w := range want {
		r := c.Radios[i]
		hw, err := r.HWAddr(i)
		if err != nil || r.Name != w.name || r.Role != w.role || r.Address != w.addr || hw != w.mac || r.SSID != "vmedium" || r.Channel != 6 || r.FreqMHz() != 2437 {
			t.Errorf("radio %d = %+v mac %s (%v); want %+v ch 6 ssid vmedium", i, r, hw, err, w)
		}
	}
	if c.EffectiveMTU() != 1500 {
		t.Errorf("mtu %d", c.EffectiveMTU())
	}
}

func TestExamplesLoad(t *testing.T) {
	paths, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(paths) < 2 {
		t.Fatalf("examples: %v %v; want at least two", paths, err)
	}
	for _, p := range paths {
		c, err := LoadConfig(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		t.Logf("%s: %d radios, %d links, %d deny", p, len(c.Radios), len(c.Links), len(c.Deny))
	}
}

// TestConfigErrors checks that every kind of bad input is refused with an
// error naming the line, the bad value and what is accepted.
func TestConfigErrors(t *testing.T) {
	const head = "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6, address: 10.0.0.1/24}\n"
	cases := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown top key", head + "colour: blue\n", []string{"t.yaml", "line 3", "colour"}},
		{"unknown radio key", "radios:\n  - name: vw0\n    role: ap\n    netns: ns0\n    ssid: x\n    chanel: 6\n", []string{"line 6", "chanel"}},
		{"wrong type", "radios:\n  - name: vw0\n    role: ap\n    netns: ns0\n    ssid: x\n    channel: six\n", []string{"line 6", "six"}},
		{"empty", "", []string{"empty configuration"}},
		{"no radios", "mtu: 1500\n", []string{"radios", "at least one radio"}},
		{"bad role", "radios:\n  - {name: vw0, role: mesh, netns: ns0, ssid: x, channel: 6}\n", []string{"t.yaml:2:", "radios[0].role", `"mesh"`, "ap or sta"}},
		{"bad channel", "radios:\n  - name: vw0\n    role: ap\n    netns: ns0\n    ssid: x\n    channel: 15\n", []string{"t.yaml:6:", "channel 15", "1 to 14"}},
		{"bad address", head + "  - name: vw1\n    role: sta\n    netns: ns1\n    ssid: x\n    channel: 6\n    address: 10.0.0.300/24\n", []string{"t.yaml:8:", "10.0.0.300/24", "IPv4"}},
		{"network address", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, address: 10.0.0.0/24}\n", []string{"10.0.0.0/24", "host address"}},
		{"dup name", head + "  - {name: vw0, role: sta, netns: ns1, ssid: x, channel: 6}\n", []string{"t.yaml:3:", "used twice"}},
		{"bad mac", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, mac: 01:00:00:00:00:01}\n", []string{"unicast"}},
		{"dup mac", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, mac: 02:00:00:00:00:00}\n", []string{"also vw0"}},
		{"bad netns", "radios:\n  - {name: vw0, role: ap, netns: a/b, ssid: x, channel: 6}\n", []string{"a/b", "without '/'"}},
		{"long ssid", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: " + strings.Repeat("s", 33) + ", channel: 6}\n", []string{"1 to 32 bytes"}},
		{"long name", "radios:\n  - {name: averyveryverylongname, role: ap, netns: ns0, ssid: x, channel: 6}\n", []string{"1 to 15"}},
		{"sta without ap", head + "  - {name: vw1, role: sta, netns: ns1, ssid: y, channel: 6}\n", []string{"t.yaml:3:", `wants SSID "y"`, `vw0 "x" ch 6`}},
		{"sta other channel", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 1}\n", []string{"no AP offers it"}},
		{"mtu", "mtu: 9000\n" + head, []string{"t.yaml:1:", "9000", "68 to 2304"}},
		{"passphrase", "passphrase: short\n" + head, []string{"8 to 63"}},
		{"security", "security: wep\n" + head, []string{"t.yaml:1:", `"wep"`, "wpa2-psk or open"}},
		{"group rekey", "group_rekey: 10ms\n" + head, []string{"t.yaml:1:", "group_rekey 10ms", "at least 1s"}},
		{"security without passphrase", "security: wpa2-psk\n" + head, []string{"needs a passphrase"}},
		{"radio passphrase", "passphrase: longenough\n" + head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, passphrase: short}\n", []string{"radios[1].passphrase", "8 to 63"}},
		{"bad kind", "radios:\n  - {name: vw0, kind: usb, role: ap, netns: ns0, ssid: x, channel: 6}\n", []string{"t.yaml:2:", "radios[0].kind", `"usb"`, "kmod, hwsim, tap"}},
		{"tx power", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6, tx_power: 99}\n", []string{"tx_power 99", "-20 to 40"}},
		{"rts threshold", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6}\n  - name: vw1\n    role: sta\n    netns: ns1\n    ssid: x\n    channel: 6\n    rts_threshold: 3000\n", []string{"t.yaml:8:", "radios[1].rts_threshold", "rts_threshold 3000", "0 to 2347"}},
		{"rts threshold negative", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6, rts_threshold: -1}\n", []string{"rts_threshold -1", "0 to 2347", "no rts_threshold for none"}},
		{"rts threshold type", "radios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6, rts_threshold: off}\n", []string{"line 2", "off"}},
		{"rts threshold hwsim", "radios:\n  - {name: vw0, kind: hwsim, role: ap, netns: ns0, ssid: x, channel: 6, rts_threshold: 500}\n", []string{"radios[0].rts_threshold", "tap, vmnic, kmod", "iw phy"}},
		{"link unknown", head + "links:\n  - {src: vw0, dst: vw9, loss: 0.5}\n", []string{"t.yaml:4:", `unknown radio "vw9"`, "known radios are vw0"}},
		{"link loss", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6}\nlinks:\n  - src: vw0\n    dst: vw1\n    loss: 1.5\n", []string{"t.yaml:7:", "1.5", "0 to 1"}},
		{"link signal", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6}\nlinks:\n  - {src: vw0, dst: vw1, signal: 50}\n", []string{"signal 50", "-150 to 30"}},
		{"link empty", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6}\nlinks:\n  - {src: vw0, dst: vw1}\n", []string{"sets nothing"}},
		{"link self", head + "links:\n  - {src: vw0, dst: vw0, loss: 0.1}\n", []string{"two different radios"}},
		{"deny unknown", head + "deny:\n  - {src: vw7, dst: vw0}\n", []string{`unknown radio "vw7"`}},
		{"two documents", head + "---\n" + head, []string{"more than one YAML document"}},
		{"vmnic without listen", head + "  - {name: vw3, kind: vmnic, role: sta, ssid: x, channel: 6}\n", []string{"t.yaml:3:", "radios[1].listen", "unix:PATH or tcp:HOST:PORT"}},
		{"vmnic bad listen", head + "  - {name: vw3, kind: vmnic, role: sta, ssid: x, channel: 6, listen: vsock:3}\n", []string{"radios[1].listen", `"vsock"`, "unix:PATH or tcp:HOST:PORT"}},
		{"vmnic ap", head + "  - {name: vw3, kind: vmnic, role: ap, ssid: x, channel: 6, listen: unix:/tmp/a}\n", []string{"radios[1].role", "accepted role is sta"}},
		{"vmnic netns", head + "  - {name: vw3, kind: vmnic, role: sta, netns: ns3, ssid: x, channel: 6, listen: unix:/tmp/a}\n", []string{"radios[1].netns", "no netns"}},
		{"vmnic address", head + "  - {name: vw3, kind: vmnic, role: sta, ssid: x, channel: 6, listen: unix:/tmp/a, address: 10.0.0.9/24}\n", []string{"radios[1].address", "inside the VM"}},
		{"vmnic same listen", head + "  - {name: vw3, kind: vmnic, role: sta, ssid: x, channel: 6, listen: unix:/tmp/a}\n  - {name: vw4, kind: vmnic, role: sta, ssid: x, channel: 6, listen: unix:/tmp/a}\n", []string{"radios[2].listen", "also vw3's"}},
		{"listen on tap", head + "  - {name: vw1, role: sta, netns: ns1, ssid: x, channel: 6, listen: unix:/tmp/a}\n", []string{"radios[1].listen", "only with kind: vmnic"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig("t.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("accepted:\n%s", tc.yaml)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}

func TestFormatSummary(t *testing.T) {
	c := DefaultConfig()
	var rows []SummaryRow
	for i, r := range c.Radios {
		hw, _ := r.HWAddr(i)
		rows = append(rows, SummaryRow{Config: r, MAC: hw.String()})
	}
	s := FormatSummary("tap", rows)
	for _, w := range []string{
		"NAME", "vw0", "ap", "ns0", "02:00:00:00:00:00", "10.0.0.1/24", "vmedium",
		"sudo ip netns exec ns1 ping -c 3 10.0.0.3",
		"vmctl deny -s vw1 -d vw2",
		"vmctl capture -o lab.pcap -t 5s",
	} {
		if !strings.Contains(s, w) {
			t.Errorf("summary lacks %q:\n%s", w, s)
		}
	}
}

func TestStateFile(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := ReadStateFile(dir); ok || err != nil {
		t.Fatalf("empty dir: ok=%v err=%v", ok, err)
	}
	start, err := processStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	st := StateFile{PID: os.Getpid(), PIDStart: start, Backend: "tap", Namespaces: []string{"ns0"}, Devices: []Device{{Netns: "ns0", Name: "vw0"}}}
	if err := WriteStateFile(dir, st); err != nil {
		t.Fatal(err)
	}
	got, ok, err := ReadStateFile(dir)
	if !ok || err != nil || got.PID != st.PID || got.Namespaces[0] != "ns0" || got.Devices[0] != st.Devices[0] {
		t.Fatalf("read back %+v ok=%v err=%v", got, ok, err)
	}
	if !got.ProcessAlive() {
		t.Error("own process reported dead")
	}
	got.PIDStart++
	if got.ProcessAlive() {
		t.Error("reused PID (different start time) reported alive")
	}
	if (StateFile{PID: 0}).ProcessAlive() {
		t.Error("pid 0 reported alive")
	}
	if err := RemoveStateFile(dir); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ReadStateFile(dir); ok {
		t.Error("state file still there")
	}
	os.WriteFile(filepath.Join(dir, StateFileName), []byte("{"), 0o644)
	if _, ok, err := ReadStateFile(dir); !ok || err == nil {
		t.Errorf("corrupt file: ok=%v err=%v", ok, err)
	}
}

func TestAPsFirst(t *testing.T) {
	c := &Config{Radios: []RadioConfig{{Name: "a", Role: RoleSTA}, {Name: "b", Role: RoleAP}, {Name: "c", Role: RoleSTA}, {Name: "d", Role: RoleAP}}}
	if got, want := fmt.Sprint(c.APsFirst()), "[1 3 0 2]"; got != want {
		t.Fatalf("APsFirst = %s, want %s", got, want)
	}
	if got := (&Config{}).APsFirst(); len(got) != 0 {
		t.Fatalf("APsFirst of no radios = %v", got)
	}
}

func TestRadioPassphrase(t *testing.T) {
	c := DefaultConfig()
	c.Radios[2].Passphrase = "another-passphrase"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := c.RadioPassphrase(1); got != "vmedium-lab" {
		t.Errorf("radio 1 passphrase %q, want the lab's", got)
	}
	if got := c.RadioPassphrase(2); got != "another-passphrase" {
		t.Errorf("radio 2 passphrase %q, want its override", got)
	}
	c.Security = SecurityOpen
	if got := c.RadioPassphrase(2); got != "" {
		t.Errorf("security open: radio 2 passphrase %q, want none", got)
	}
	c.Security, c.Passphrase = SecurityWPA2PSK, ""
	if err := c.Validate(); err == nil {
		t.Error("security wpa2-psk without a passphrase accepted")
	}
}

func TestGroupRekeyParsed(t *testing.T) {
	c, err := ParseConfig("t.yaml", []byte("passphrase: longenough\ngroup_rekey: 90s\nradios:\n  - {name: vw0, role: ap, netns: ns0, ssid: x, channel: 6}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.GroupRekey != 90*time.Second {
		t.Fatalf("group_rekey %v, want 90s", c.GroupRekey)
	}
}
