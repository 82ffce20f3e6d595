// SPDX-License-Identifier: MIT

package rsn

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmedium/vmedium/frames"
)

// wdsFrame is a non-QoS four-address data frame (RA, TA, DA, SA) carrying
// an IPv4-ethertype payload behind LLC/SNAP.
func wdsFrame(t testing.TB, payload []byte) []byte {
	t.Helper()
	eth := append([]byte{2, 0, 0, 0, 9, 1, 2, 0, 0, 0, 9, 2, 0x08, 0x00}, payload...)
	h := frames.DataHeader{ToDS: true, FromDS: true,
		Addr1: frames.MAC{2, 0, 0, 0, 0, 0}, Addr2: frames.MAC{2, 0, 0, 0, 1, 0},
		Addr3: frames.MAC{2, 0, 0, 0, 9, 1}, Addr4: frames.MAC{2, 0, 0, 0, 9, 2}, Seq: 9}
	b, err := frames.EthernetToData(make([]byte, 0, 2400), h, eth)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A four-address frame's Address 4 is authenticated (it is in CCMP's AAD):
// the frame decrypts as sent, and a changed A4 fails the MIC, as a changed
// A3 does. The header is 30 bytes, so the CCMP header goes after A4.
func TestCCMPFourAddressAAD(t *testing.T) {
	payload := []byte("a frame of a host bridged behind a station")
	tx, _ := NewKey(tk1, 0)
	plain := wdsFrame(t, payload)
	orig := append([]byte(nil), plain...)
	enc, err := tx.Encrypt(plain)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) != len(orig)+CCMPOverhead || enc[1] != orig[1]|frames.FlagProtected ||
		!bytes.Equal(enc[2:frames.DataHeaderLen4], orig[2:frames.DataHeaderLen4]) {
		t.Fatalf("encrypted frame: %d bytes, header changed:\n% x\n% x", len(enc), enc[:30], orig[:30])
	}
	if enc[frames.DataHeaderLen4+3]&0x20 == 0 {
		t.Fatalf("no Ext IV bit in the CCMP header at offset %d: % x", frames.DataHeaderLen4, enc[30:38])
	}
	rx, _ := NewKey(tk1, 0)
	got, err := rx.Decrypt(nil, enc)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	if !bytes.Equal(got, orig) {
		t.Fatalf("decrypted\n% x\nwant\n% x", got, orig)
	}
	for _, off := range []int{16, 24, 29} { // A3, first and last octet of A4
		bad := append([]byte(nil), enc...)
		bad[off] ^= 0x40
		rx, _ := NewKey(tk1, 0)
		if _, err := rx.Decrypt(nil, bad); !errors.Is(err, ErrMIC) {
			t.Errorf("header octet %d changed: %v, want ErrMIC", off, err)
		}
	}
}

// Wireshark, given the temporal key, decrypts our four-address CCMP frame
// and finds the addresses and the IPv4 payload: an independent check of
// the AAD and nonce of the four-address format.
func TestCCMPFourAddressTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: apt-get install tshark to run this check")
	}
	// A minimal IPv4 header (protocol 253, experimental) with a body.
	ip := []byte{0x45, 0, 0, 28, 0, 1, 0, 0, 64, 253, 0, 0, 10, 0, 0, 9, 10, 0, 0, 3}
	ip = append(ip, []byte("wds-ccmp")...)
	tx, _ := NewKey(tk1, 0)
	enc, err := tx.Encrypt(wdsFrame(t, ip))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wds.pcap")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := frames.NewPcapWriter(fh)
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.WriteFrame(time.Unix(1, 0), frames.Radiotap{Rate500K: 12, FreqMHz: 2437, ChanFlags: frames.ChannelFlags(2437, 12)}, enc); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tshark, "-n", "-r", path,
		"-o", "wlan.enable_decryption:TRUE",
		"-o", `uat:80211_keys:"tk","`+hex.EncodeToString(tk1)+`"`,
		"-T", "fields", "-E", "separator=|",
		"-e", "wlan.fc.ds", "-e", "wlan.ra", "-e", "wlan.ta", "-e", "wlan.da", "-e", "wlan.sa", "-e", "ip.src", "-e", "ip.dst")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.Bytes())
	}
	got := strings.TrimSpace(string(out))
	want := "0x03|02:00:00:00:00:00|02:00:00:00:01:00|02:00:00:00:09:01|02:00:00:00:09:02|10.0.0.9|10.0.0.3"
	if got != want {
		t.Fatalf("tshark decoded\n%s\nwant\n%s", got, want)
	}
}
