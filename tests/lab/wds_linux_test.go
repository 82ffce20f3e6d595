// SPDX-License-Identifier: MIT

package labtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/frames/rsn"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/capture"
	"github.com/vmedium/vmedium/medium/lab"
)

// wdsLabConfig is examples/wds-bridge.yaml with the namespaces renamed
// vmd0..2 and vmdlan, and the four-address keys as given.
func wdsLabConfig(t *testing.T, staWDS, apWDSSta bool) *lab.Config {
	t.Helper()
	c, err := lab.LoadConfig("../../examples/wds-bridge.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Radios {
		c.Radios[i].Netns = fmt.Sprintf("vmd%d", i)
	}
	c.Radios[0].WDSSta = apWDSSta
	c.Radios[1].WDS = staWDS
	c.LANs[0].Name = "vmdlan"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// upCaptured builds a lab with a capture of the whole medium running from
// before the first radio joins (so the 4-way handshakes are in it); the
// capture is stopped and the lab closed at the end of the test.
func upCaptured(t *testing.T, cfg *lab.Config, pcap string) (*lab.Lab, func()) {
	t.Helper()
	m := medium.New(medium.Options{Seed: 1})
	f, err := os.Create(pcap)
	if err != nil {
		t.Fatal(err)
	}
	c, err := capture.Start(m, f, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stopCapture := func() {
		if _, err := c.Stop(); err != nil {
			t.Errorf("capture: %v", err)
		}
		f.Close()
	}
	progress := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := lab.Up(ctx, cfg, lab.Options{Medium: m, Backend: "tap", StateDir: filepath.Join(os.TempDir(), "vmedium-labtest-vmd0"), Progress: progress})
	t.Logf("lab.Up progress:\n%s", progress)
	if err != nil {
		stopCapture()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCapture()
		if err := l.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return l, stopCapture
}

// fourAddrFrames reads a pcap of the medium with the project's own
// parsers and returns the four-address data frames in it, and the
// temporal key of sta's last 4-way handshake in it (derived from the
// passphrase, the SSID and the nonces of messages 1 and 2; zero when
// there is none).
func fourAddrFrames(t *testing.T, pcap, pass, ssid string, sta frames.MAC) ([]frames.Frame, [16]byte) {
	t.Helper()
	f, err := os.Open(pcap)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []frames.Frame
	var anonce, snonce rsn.Nonce
	var aa frames.MAC
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read %s: %v", pcap, err)
		}
		_, b, err := frames.ParseRadiotap(data)
		if err != nil {
			t.Fatalf("record of %s: %v", pcap, err)
		}
		fr, err := frames.Parse(append([]byte(nil), b...))
		if err != nil {
			continue
		}
		if fr.IsData() && fr.ToDS() && fr.FromDS() {
			out = append(out, fr)
		}
		if p, ok := rsn.EAPOLPayload(fr); ok {
			k, err := rsn.ParseEAPOLKey(p)
			switch {
			case err != nil:
			case k.Kind() == rsn.Msg1 && fr.Addr1() == sta:
				anonce, aa = k.Nonce, fr.Addr2()
			case k.Kind() == rsn.Msg2 && fr.Addr2() == sta:
				snonce = k.Nonce
			}
		}
	}
	if aa.IsZero() || snonce == (rsn.Nonce{}) {
		return out, [16]byte{}
	}
	pmk, err := rsn.PSK(pass, ssid)
	if err != nil {
		t.Fatal(err)
	}
	return out, rsn.DerivePTK(pmk[:], aa, sta, anonce, snonce).TK
}

func counters(t *testing.T, l *lab.Lab, radio string) map[string]uint64 {
	t.Helper()
	return staState(t, l, radio).Counters
}

// TestRootWDSBridge: examples/wds-bridge.yaml. With four-address mode on
// both ends the LAN host behind vw1 is on the AP's broadcast domain: vw2
// and the AP reach it, it reaches them, and the capture holds four-address
// frames (read by the project's pcap parsers, and by tshark when present:
// `wlan.fc.ds == 3`, decrypted with the passphrase). With the station's
// wds off the station drops the LAN host's frames (no three-address field
// for its MAC); with the AP's wds_sta off the AP drops the four-address
// frames. Both are counted, and the station's own traffic is untouched by
// the first.
func TestRootWDSBridge(t *testing.T) {
	needRoot(t)
	const lanIP, vw1IP, vw2IP, apIP = "10.0.0.10", "10.0.0.2", "10.0.0.3", "10.0.0.1"
	lanMAC := frames.MAC{2, 0, 0, 1, 0, 0}

	t.Run("wds", func(t *testing.T) {
		pcap := filepath.Join(t.TempDir(), "wds.pcap")
		l, stopCapture := upCaptured(t, wdsLabConfig(t, true, true), pcap)
		wantPing(t, "vmd2", lanIP, 5, true) // vw2 → AP → vw1 (four-address) → bridge → LAN host
		wantPing(t, "vmdlan", apIP, 5, true)
		wantPing(t, "vmdlan", vw1IP, 3, true) // across the bridge only
		wantPing(t, "vmd1", vw2IP, 3, true)   // the station's own traffic, four-address too
		c := counters(t, l, "vw0")
		t.Logf("AP: wds_stations %d wds_rx %d wds_tx %d wds_group_copies %d wds_learned %d wds_dropped %d",
			c["wds_stations"], c["wds_rx"], c["wds_tx"], c["wds_group_copies"], c["wds_learned"], c["wds_dropped"])
		if c["wds_stations"] != 1 || c["wds_learned"] < 1 || c["wds_tx"] == 0 || c["wds_dropped"] != 0 {
			t.Errorf("AP counters: %v", c)
		}
		stopCapture()

		vw1 := frames.MAC{2, 0, 0, 0, 1, 0}
		four, tk := fourAddrFrames(t, pcap, "vmedium-lab", "vmedium", vw1)
		if tk == ([16]byte{}) {
			t.Fatal("no 4-way handshake of vw1 in the capture")
		}
		// The project's CCMP opens them with vw1's temporal key (its own
		// rx replay counters are per key: one key per direction here).
		var fromLAN, toLAN, opened int
		rxFrom, _ := rsn.NewKey(tk[:], 0)
		rxTo, _ := rsn.NewKey(tk[:], 0)
		for _, f := range four {
			k := rxTo
			if f.TA() == vw1 {
				k = rxFrom
			}
			if f.Protected() {
				if _, err := k.Decrypt(nil, f.Bytes()); err == nil {
					opened++
				}
			}
			if f.SA() == lanMAC {
				fromLAN++
			}
			if f.DA() == lanMAC {
				toLAN++
			}
		}
		t.Logf("capture: %d four-address data frames, %d from the LAN host, %d to it; %d protected ones decrypt with vw1's TK", len(four), fromLAN, toLAN, opened)
		if fromLAN < 5 || toLAN < 5 {
			t.Errorf("capture: %d four-address frames from the LAN host %s and %d to it, want at least 5 each", fromLAN, lanMAC, toLAN)
		}
		if opened < fromLAN+toLAN {
			t.Errorf("only %d four-address frames decrypt with vw1's TK", opened)
		}
		if _, err := exec.LookPath("tshark"); err != nil {
			t.Log("tshark not installed: the capture was checked with the project's parsers only")
			return
		}
		count := func(args ...string) int {
			out, err := exec.Command("tshark", append([]string{"-n", "-r", pcap, "-T", "fields", "-e", "frame.number"}, args...)...).Output()
			if err != nil {
				t.Fatalf("tshark %v: %v", args, err)
			}
			return len(strings.Fields(string(out)))
		}
		n4 := count("-Y", "wlan.fc.ds == 3")
		// Wireshark 4.0 does not tie four-address frames to a handshake
		// (no BSSID in them), so it gets vw1's TK itself.
		keys := []string{"-o", "wlan.enable_decryption:TRUE", "-o", fmt.Sprintf(`uat:80211_keys:"tk","%x"`, tk)}
		icmp := count(append(keys, "-Y", "wlan.fc.ds == 3 && icmp && (ip.src == "+lanIP+" || ip.dst == "+lanIP+")")...)
		t.Logf("tshark: %d frames with wlan.fc.ds == 3, %d of them decrypt (vw1's TK) to ICMP of the LAN host", n4, icmp)
		if n4 < fromLAN+toLAN {
			t.Errorf("tshark sees %d four-address frames, the project's parser %d of the LAN host alone", n4, fromLAN+toLAN)
		}
		if icmp < 10 {
			t.Errorf("tshark decrypted %d four-address ICMP frames of the LAN host, want at least 10 (5 pings from vw2, 5 to the AP)", icmp)
		}
	})

	t.Run("station-without-wds", func(t *testing.T) {
		l, _ := upCaptured(t, wdsLabConfig(t, false, true), filepath.Join(t.TempDir(), "off.pcap"))
		wantPing(t, "vmd2", lanIP, 3, false)
		wantPing(t, "vmdlan", apIP, 3, false)
		wantPing(t, "vmd2", vw1IP, 3, true) // the station itself still talks, three-address
		c := counters(t, l, "vw1")
		t.Logf("vw1: tx_foreign_source %d tx_4addr %d", c["tx_foreign_source"], c["tx_4addr"])
		if c["tx_foreign_source"] == 0 || c["tx_4addr"] != 0 {
			t.Errorf("vw1 counters: %v; want the LAN host's frames dropped as tx_foreign_source", c)
		}
	})

	t.Run("ap-without-wds_sta", func(t *testing.T) {
		l, _ := upCaptured(t, wdsLabConfig(t, true, false), filepath.Join(t.TempDir(), "nosta.pcap"))
		wantPing(t, "vmd2", lanIP, 3, false)
		wantPing(t, "vmdlan", apIP, 3, false)
		c := counters(t, l, "vw0")
		t.Logf("AP: wds_dropped %d wds_stations %d", c["wds_dropped"], c["wds_stations"])
		if c["wds_dropped"] == 0 || c["wds_stations"] != 0 || c["wds_learned"] != 0 {
			t.Errorf("AP counters: %v; want four-address frames dropped", c)
		}
	})
}
