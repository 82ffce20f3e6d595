// SPDX-License-Identifier: MIT

package labtest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRootE2EWPA2: `vmedium run` with a WPA2-PSK tap lab (the lab's default
// security when it has a passphrase) and one station configured with a
// wrong passphrase. The good stations reach CCMP and ping; the bad one
// never associates and the log says why; a capture of a fresh handshake
// decrypts in tshark with the passphrase and SSID, and nothing but EAPOL
// and null frames travels unprotected.
func TestRootE2EWPA2(t *testing.T) {
	needRoot(t)
	b := buildBinaries(t)
	const pass, ssid = "wpa2-lab-passphrase", "vmedium-wpa"
	cfg := filepath.Join(t.TempDir(), "wpa.yaml")
	y := fmt.Sprintf(`passphrase: %s
radios:
  - {name: vw0, role: ap,  netns: vmw0, ssid: %[2]s, channel: 6, address: 10.0.0.1/24}
  - {name: vw1, role: sta, netns: vmw1, ssid: %[2]s, channel: 6, address: 10.0.0.2/24}
  - {name: vw2, role: sta, netns: vmw2, ssid: %[2]s, channel: 6, address: 10.0.0.3/24}
  - {name: vw3, role: sta, netns: vmw3, ssid: %[2]s, channel: 6, address: 10.0.0.4/24, passphrase: not-the-passphrase}
`, pass, ssid)
	if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	d := startVmedium(t, b, cfg, t.TempDir(), filepath.Join(t.TempDir(), "vmedium.sock"))

	type macStatus struct {
		State  string `json:"state"`
		Cipher string `json:"cipher"`
	}
	status := func() map[string]macStatus {
		out, code := d.vmctl(b, "radios", "--json")
		m := map[string]macStatus{}
		if code != 0 {
			return m
		}
		var list []struct {
			Name string     `json:"name"`
			MAC  *macStatus `json:"mac"`
		}
		if json.Unmarshal([]byte(out), &list) == nil {
			for _, r := range list {
				if r.MAC != nil {
					m[r.Name] = *r.MAC
				}
			}
		}
		return m
	}
	if !waitFor(20*time.Second, func() bool {
		st := status()
		return st["vw1"] == macStatus{"associated", "CCMP"} && st["vw2"] == macStatus{"associated", "CCMP"} && st["vw0"].Cipher == "CCMP"
	}) {
		out, _ := d.vmctl(b, "radios")
		t.Fatalf("stations not associated with CCMP; vmctl radios:\n%s\nvmedium output:\n%s", out, d.out)
	}
	table, _ := d.vmctl(b, "radios")
	t.Logf("vmctl radios:\n%s", table)
	if !strings.Contains(table, "CIPHER") || !strings.Contains(rowOf(table, "vw1"), "CCMP") {
		t.Errorf("vmctl radios does not show CCMP for vw1:\n%s", table)
	}

	wantPing(t, "vmw1", "10.0.0.3", 5, true) // STA → AP → STA, re-encrypted by the AP
	wantPing(t, "vmw1", "10.0.0.1", 5, true)
	wantPing(t, "vmw0", "10.0.0.2", 5, true)

	// The station with the wrong passphrase: never associated, never
	// reaches anyone, and the log names the likely cause.
	if !waitFor(15*time.Second, func() bool {
		return strings.Contains(d.out.String(), "4-way handshake failed: wrong passphrase?") && strings.Contains(d.out.String(), "radio=vw3")
	}) {
		t.Errorf("no wrong-passphrase log line for vw3; vmedium output:\n%s", d.out)
	}
	if st := status()["vw3"]; st.State == "associated" || st.Cipher == "CCMP" {
		t.Errorf("vw3 with a wrong passphrase: %+v", st)
	}
	wantPing(t, "vmw3", "10.0.0.1", 3, false)

	t.Run("capture-decrypt", func(t *testing.T) {
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Skip("needs tshark (Debian package tshark; make test installs it as root)")
		}
		pcap := filepath.Join(t.TempDir(), "wpa.pcap")
		capDone := make(chan string)
		go func() {
			out, code := d.vmctl(b, "capture", "-o", pcap, "-t", "6s")
			capDone <- fmt.Sprintf("exit %d: %s", code, out)
		}()
		time.Sleep(500 * time.Millisecond)
		// A fresh 4-way handshake of vw1 inside the capture: tshark
		// needs it to derive the PTK.
		d.vmctl(b, "deny", "-s", "vw0", "-d", "vw1")
		waitFor(5*time.Second, func() bool { return status()["vw1"].State != "associated" })
		d.vmctl(b, "allow", "-s", "vw0", "-d", "vw1")
		if !waitFor(8*time.Second, func() bool { return status()["vw1"] == macStatus{"associated", "CCMP"} }) {
			t.Fatalf("vw1 did not come back; vmedium output:\n%s", d.out)
		}
		wantPing(t, "vmw1", "10.0.0.3", 5, true)
		t.Logf("vmctl capture: %s", <-capDone)

		// count returns how many frames tshark prints (stdout only: as
		// root it warns on stderr).
		count := func(args ...string) int {
			out, err := exec.Command("tshark", append([]string{"-r", pcap}, args...)...).Output()
			if err != nil {
				t.Fatalf("tshark %v: %v\n%s", args, err, out)
			}
			return len(strings.Fields(string(out)))
		}
		fields := []string{"-T", "fields", "-e", "frame.number"}
		keys := []string{"-o", "wlan.enable_decryption:TRUE", "-o", fmt.Sprintf(`uat:80211_keys:"wpa-pwd","%s:%s"`, pass, ssid)}
		if n := count(append(fields, "-Y", "eapol")...); n < 4 {
			t.Errorf("%d EAPOL frames in the capture, want the 4 of vw1's handshake", n)
		}
		if n := count(append(fields, "-Y", "icmp")...); n != 0 {
			t.Errorf("%d ICMP frames readable without the key: data is not encrypted", n)
		}
		if n := count(append(append(keys, fields...), "-Y", "icmp")...); n < 10 {
			t.Errorf("tshark with the passphrase decrypted %d ICMP frames, want at least 10 (5 pings, relayed)", n)
		} else {
			t.Logf("tshark decrypted %d ICMP frames with the passphrase", n)
		}
		// The replies from vw2 reach vw1 re-encrypted by the AP (one-pass
		// relay): those decrypt too.
		if n := count(append(append(keys, fields...), "-Y", "icmp.type == 0 && wlan.fc.fromds == 1 && wlan.da == 02:00:00:00:01:00")...); n < 5 {
			t.Errorf("tshark decrypted %d relayed echo replies to vw1, want 5", n)
		}
		if n := count(append(fields, "-Y", "wlan.fc.type == 2 && wlan.fc.protected == 0 && !eapol && wlan.fc.type_subtype != 0x0024")...); n != 0 {
			out, _ := exec.Command("tshark", "-r", pcap, "-Y", "wlan.fc.type == 2 && wlan.fc.protected == 0 && !eapol && wlan.fc.type_subtype != 0x0024").Output()
			t.Errorf("%d unprotected data frames (other than EAPOL and null) in the capture:\n%s", n, out)
		}
	})
}

// rowOf returns the line of a vmctl table that starts with name.
func rowOf(table, name string) string {
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return l
		}
	}
	return ""
}
