// SPDX-License-Identifier: MIT

package frames

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type pcapCase struct {
	rt    Radiotap
	frame []byte
}

func pcapCases(t *testing.T) []pcapCase {
	eth := testEthernetFrames(t)["ipv4"]
	data, err := EthernetToData(nil, DataHeader{ToDS: true, Addr1: bssid, Addr2: macA, Addr3: macB, Seq: 9}, eth)
	if err != nil {
		t.Fatal(err)
	}
	return []pcapCase{
		{Radiotap{Rate500K: 2, FreqMHz: 2412, ChanFlags: ChannelFlags(2412, 2), SignalDBm: -40, HasSignal: true},
			AppendBeacon(nil, testHdr, 1000, 100, CapESS, testIEs())},
		{Radiotap{Rate500K: 108, FreqMHz: 2437, ChanFlags: ChannelFlags(2437, 108), SignalDBm: -67, HasSignal: true, NoiseDBm: -95, HasNoise: true},
			data},
		{Radiotap{Rate500K: 12, FreqMHz: 5180, ChanFlags: ChannelFlags(5180, 12), SignalDBm: -81, HasSignal: true},
			AppendAuth(nil, testHdr, 0, 1, 0)},
		{Radiotap{}, []byte{0xd4, 0, 0, 0, 2, 0, 0, 0, 0, 0x0b}}, // ACK without any radio info
	}
}

func TestPcapRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	cases := pcapCases(t)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	for i, c := range cases {
		if err := w.WriteFrame(t0.Add(time.Duration(i)*time.Millisecond), c.rt, c.frame); err != nil {
			t.Fatal(err)
		}
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeIEEE80211Radio || r.Snaplen() != PcapSnaplen {
		t.Fatalf("link type %v snaplen %d", r.LinkType(), r.Snaplen())
	}
	for i, c := range cases {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if !ci.Timestamp.Equal(t0.Add(time.Duration(i) * time.Millisecond)) {
			t.Errorf("record %d: timestamp %v", i, ci.Timestamp)
		}
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		rl, ok := p.Layer(layers.LayerTypeRadioTap).(*layers.RadioTap)
		if !ok {
			t.Fatalf("record %d: no radiotap: %v", i, p)
		}
		v := rl.RadioTapValues[0]
		if uint8(v.Rate) != c.rt.Rate500K || uint16(v.ChannelFrequency) != c.rt.FreqMHz ||
			uint16(v.ChannelFlags) != c.rt.ChanFlags || v.DBMAntennaSignal != c.rt.SignalDBm ||
			rl.Present[0].DBMAntennaSignal() != c.rt.HasSignal || v.DBMAntennaNoise != c.rt.NoiseDBm {
			t.Errorf("record %d: radiotap rate %d freq %d flags %#x signal %d noise %d, want %+v",
				i, v.Rate, v.ChannelFrequency, uint16(v.ChannelFlags), v.DBMAntennaSignal, v.DBMAntennaNoise, c.rt)
		}
		d, ok := p.Layer(layers.LayerTypeDot11).(*layers.Dot11)
		if !ok {
			t.Fatalf("record %d: no Dot11 layer", i)
		}
		f, _ := Parse(c.frame)
		if MAC(d.Address1) != f.Addr1() || !bytes.Equal(append(d.Contents, d.Payload...), c.frame) {
			t.Errorf("record %d: Dot11 does not match the frame written", i)
		}
		rt, frame, err := ParseRadiotap(data)
		if err != nil || rt != c.rt || !bytes.Equal(frame, c.frame) {
			t.Errorf("record %d: ParseRadiotap = %+v %v", i, rt, err)
		}
	}
	if _, _, err := r.ReadPacketData(); err != io.EOF {
		t.Errorf("extra data after records: %v", err)
	}
}

func TestPcapConcurrentWriters(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewPcapWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	cases := pcapCases(t)
	const perG = 200
	var wg sync.WaitGroup
	for g := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perG; i++ {
				if err := w.WriteFrame(time.Unix(1, 0), cases[g].rt, cases[g].frame); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]int, len(cases))
	for {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rt, frame, err := ParseRadiotap(data)
		found := false
		for i, c := range cases {
			if err == nil && rt == c.rt && bytes.Equal(frame, c.frame) {
				seen[i]++
				found = true
			}
		}
		if !found {
			t.Fatalf("interleaved or corrupt record % x", data)
		}
	}
	for i, n := range seen {
		if n != perG {
			t.Errorf("case %d: %d records, want %d", i, n, perG)
		}
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

func TestPcapWriteErrors(t *testing.T) {
	if _, err := NewPcapWriter(&failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("NewPcapWriter on failing writer: %v", err)
	}
	w, err := NewPcapWriter(&failWriter{after: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFrame(time.Now(), Radiotap{}, []byte{0xd4, 0, 0, 0, 1, 2, 3, 4, 5, 6}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteFrame on failing writer: %v", err)
	}
}

// TestPcapTshark checks that Wireshark's dissector agrees with the layout,
// when tshark is installed.
func TestPcapTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed: apt-get install tshark to run this check")
	}
	path := filepath.Join(t.TempDir(), "frames.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewPcapWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	cases := pcapCases(t)
	for _, c := range cases {
		if err := w.WriteFrame(time.Now(), c.rt, c.frame); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tshark, "-n", "-r", path, "-T", "fields", "-E", "separator=|",
		"-e", "radiotap.length", "-e", "radiotap.channel.freq", "-e", "radiotap.datarate",
		"-e", "radiotap.dbm_antsignal", "-e", "wlan.fc.type_subtype", "-e", "wlan.ra", "-e", "_ws.malformed", "-e", "_ws.expert")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.Bytes())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		"15|2412|1|-40|0x0008|02:00:00:00:00:0a||",
		"16|2437|54|-67|0x0020|02:00:00:00:01:00||",
		"15|5180|6|-81|0x000b|02:00:00:00:00:0a||",
		"9||||0x001d|02:00:00:00:00:0b||",
	}
	if len(lines) != len(want) {
		t.Fatalf("tshark printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("tshark record %d = %q, want %q", i, lines[i], want[i])
		}
	}
}
