// SPDX-License-Identifier: MIT

// Package labtest holds the root integration tests of the userspace lab:
// a real lab built in-process with lab.Up on TAP radios in
// network namespaces, exercised with the system's ping and with sockets
// inside the namespaces. Namespaces are named vmt*/vms*/vme* so they never
// clash with a user's running lab (ns0…).
package labtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vmedium/vmedium/frames"
	"github.com/vmedium/vmedium/internal/testutil"
	"github.com/vmedium/vmedium/medium"
	"github.com/vmedium/vmedium/medium/lab"
	"github.com/vmedium/vmedium/medium/netnsutil"
)

func needRoot(t *testing.T) {
	t.Helper()
	testutil.NeedRoot(t, "the lab creates network namespaces and TAP devices", "/dev/net/tun", "ip", "ping")
}

// labConfig is the default lab with namespaces renamed prefix0..2.
func labConfig(prefix string) *lab.Config {
	c := lab.DefaultConfig()
	for i := range c.Radios {
		c.Radios[i].Netns = fmt.Sprintf("%s%d", prefix, i)
	}
	return c
}

// syncBuffer is a bytes.Buffer safe for the lab's progress writer.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type running struct {
	lab      *lab.Lab
	m        *medium.Medium
	progress *syncBuffer
	stateDir string
}

// up builds a lab with a fresh medium and closes it at the end of the test.
func up(t *testing.T, cfg *lab.Config, reuse bool) *running {
	t.Helper()
	// A fixed state dir per namespace prefix: if an earlier test run was
	// killed, this run's lab.Up removes its leftover namespaces itself (and
	// refuses, naming the PID, while another test run still uses them).
	r := &running{m: medium.New(medium.Options{Seed: 1}), progress: &syncBuffer{},
		stateDir: filepath.Join(os.TempDir(), "vmedium-labtest-"+cfg.Radios[0].Netns)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	l, err := lab.Up(ctx, cfg, lab.Options{Medium: r.m, Backend: "tap", StateDir: r.stateDir, ReuseNetns: reuse, Progress: r.progress})
	t.Logf("lab.Up took %v; progress:\n%s", time.Since(start).Round(time.Millisecond), r.progress)
	if err != nil {
		t.Fatal(err)
	}
	r.lab = l
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close lab: %v", err)
		}
	})
	return r
}

var pingRe = regexp.MustCompile(`(\d+) packets transmitted, (\d+) received`)

// ping runs the system ping inside ns and returns (sent, received).
func ping(t *testing.T, ns string, args ...string) (int, int) {
	t.Helper()
	full := append([]string{"netns", "exec", ns, "ping", "-q", "-n"}, args...)
	out, _ := exec.Command("ip", full...).CombinedOutput() // exit 1 on loss: judged from the output
	m := pingRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("ip %s: unexpected output:\n%s", strings.Join(full, " "), out)
	}
	sent, _ := strconv.Atoi(string(m[1]))
	recv, _ := strconv.Atoi(string(m[2]))
	return sent, recv
}

func wantPing(t *testing.T, ns, addr string, count int, wantReceived bool) {
	t.Helper()
	sent, recv := ping(t, ns, "-c", strconv.Itoa(count), "-i", "0.1", "-W", "1", addr)
	switch {
	case wantReceived && recv != sent:
		t.Errorf("ping %s → %s: %d/%d received, want 0 %% loss", ns, addr, recv, sent)
	case !wantReceived && recv != 0:
		t.Errorf("ping %s → %s: %d/%d received, want 100 %% loss", ns, addr, recv, sent)
	default:
		t.Logf("ping %s → %s: %d/%d received", ns, addr, recv, sent)
	}
}

// waitFor polls cond every 50 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

func staState(t *testing.T, l *lab.Lab, name string) medium.MACStatus {
	t.Helper()
	n, ok := l.Node(name)
	if !ok || n.Status == nil {
		t.Fatalf("no node %s", name)
	}
	return n.Status()
}

// snmpIP returns the IPv4 InReceives counter of the namespace ns: how many
// IPv4 packets its stack received from any interface.
func snmpIP(t *testing.T, ns string) uint64 {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").Output()
	if err != nil {
		t.Fatal(err)
	}
	var names, vals []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Ip: ") {
			if names == nil {
				names = strings.Fields(line)
			} else {
				vals = strings.Fields(line)
			}
		}
	}
	for i, n := range names {
		if n == "InReceives" && i < len(vals) {
			v, err := strconv.ParseUint(vals[i], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no Ip InReceives in /proc/net/snmp of %s:\n%s", ns, out)
	return 0
}

// sniffer counts the frames an interface receives (not those it sends),
// using an AF_PACKET socket inside the interface's namespace.
type sniffer struct {
	fd   int
	mu   sync.Mutex
	seen [][]byte
	done chan struct{}
}

func sniff(t *testing.T, ns, ifname string) *sniffer {
	t.Helper()
	s := &sniffer{done: make(chan struct{})}
	err := netnsutil.Do(ns, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		proto := int(htons(unix.ETH_P_ALL))
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
			unix.Close(fd)
			return err
		}
		tv := unix.Timeval{Usec: 100000}
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
		s.fd = fd
		return nil
	})
	if err != nil {
		t.Fatalf("sniff %s in %s: %v", ifname, ns, err)
	}
	go func() {
		defer close(s.done)
		buf := make([]byte, 4096)
		for {
			n, from, err := unix.Recvfrom(s.fd, buf, 0)
			if err == unix.EAGAIN || err == unix.EINTR {
				continue
			}
			if err != nil {
				return
			}
			if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
				continue
			}
			s.mu.Lock()
			s.seen = append(s.seen, append([]byte(nil), buf[:n]...))
			s.mu.Unlock()
		}
	}()
	t.Cleanup(s.close)
	return s
}

func (s *sniffer) close() {
	unix.Shutdown(s.fd, unix.SHUT_RDWR)
	unix.Close(s.fd)
}

// countUDP returns how many received frames carry IPv4/UDP from src (MAC)
// to dstPort.
func (s *sniffer) countUDP(src frames.MAC, dstPort uint16) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.seen {
		if len(f) < 14+20+8 || !bytes.Equal(f[6:12], src[:]) || binary.BigEndian.Uint16(f[12:]) != 0x0800 || f[14+9] != 17 {
			continue
		}
		ihl := int(f[14]&0xf) * 4
		if len(f) >= 14+ihl+4 && binary.BigEndian.Uint16(f[14+ihl+2:]) == dstPort {
			n++
		}
	}
	return n
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	return c.Process.Pid
}

func nsGone(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if netnsutil.Exists(n) {
			t.Errorf("namespace %s still exists", n)
		}
	}
}

func newMedium() *medium.Medium { return medium.New(medium.Options{Seed: 1}) }

func osGetpid() int { return os.Getpid() }
