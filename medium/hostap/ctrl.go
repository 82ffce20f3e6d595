// SPDX-License-Identifier: MIT

package hostap

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds one control request when Client.Timeout is 0.
const DefaultTimeout = time.Second

// maxReply is the largest reply read (hostapd and wpa_supplicant answer in
// one datagram of at most 4 KiB; STATUS of a busy AP is the largest).
const maxReply = 8192

// ErrFailed is wrapped when the daemon answers "FAIL" or "UNKNOWN COMMAND".
var ErrFailed = errors.New("control request refused")

// Client sends requests to one daemon's control socket (ctrl_interface
// directory + interface name). Each request uses a socket of its own bound
// to a fresh name in LocalDir, so a daemon restarted meanwhile is reached
// again and no reply can be taken for another's.
type Client struct {
	Path     string        // the daemon's socket, e.g. /var/lib/vmedium/hwsim/hostapd/vw0
	LocalDir string        // where the client's own socket is bound; "" = os.TempDir()
	Timeout  time.Duration // per request; 0 = DefaultTimeout
}

var clientSeq atomic.Uint64

// ClientSocketPrefix is how the names of process pid's client sockets
// start (a crash can leave one behind in LocalDir).
func ClientSocketPrefix(pid int) string { return fmt.Sprintf("vmedium-ctrl-%d-", pid) }

// Request sends cmd and returns the daemon's reply. Unsolicited event
// messages ("<N>…", sent to attached monitors) are skipped. A reply of
// "FAIL" or "UNKNOWN COMMAND" is an error wrapping ErrFailed.
func (c Client) Request(cmd string) (string, error) {
	dir := c.LocalDir
	if dir == "" {
		dir = os.TempDir()
	}
	local := filepath.Join(dir, fmt.Sprintf("%s%d", ClientSocketPrefix(os.Getpid()), clientSeq.Add(1)))
	conn, err := net.DialUnix("unixgram", &net.UnixAddr{Name: local, Net: "unixgram"},
		&net.UnixAddr{Name: c.Path, Net: "unixgram"})
	if err != nil {
		return "", fmt.Errorf("control socket %s: %w", c.Path, err)
	}
	defer os.Remove(local)
	defer conn.Close()
	tmo := c.Timeout
	if tmo == 0 {
		tmo = DefaultTimeout
	}
	if err := conn.SetDeadline(time.Now().Add(tmo)); err != nil {
		return "", err
	}
	if _, err := conn.Write([]byte(cmd)); err != nil {
		return "", fmt.Errorf("control socket %s: send %s: %w", c.Path, cmd, err)
	}
	buf := make([]byte, maxReply)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return "", fmt.Errorf("control socket %s: %s: %w", c.Path, cmd, err)
		}
		if isEvent(buf[:n]) {
			continue
		}
		reply := string(buf[:n])
		switch strings.TrimSpace(reply) {
		case "FAIL", "UNKNOWN COMMAND":
			return reply, fmt.Errorf("control socket %s: %s: %q: %w", c.Path, cmd, strings.TrimSpace(reply), ErrFailed)
		}
		return reply, nil
	}
}

// isEvent reports whether b is an unsolicited event message: "<" then a
// priority digit and ">".
func isEvent(b []byte) bool {
	return len(b) >= 3 && b[0] == '<' && b[1] >= '0' && b[1] <= '9' && b[2] == '>'
}

// KV is a reply of key=value lines (STATUS, SIGNAL_POLL, a station's
// entry).
type KV map[string]string

// ParseKV splits reply into its key=value lines; other lines are ignored.
func ParseKV(reply string) KV {
	kv := KV{}
	for _, line := range strings.Split(reply, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k != "" {
			kv[k] = v
		}
	}
	return kv
}

// Int returns the value of key as an integer; ok is false when it is
// missing or not a number.
func (kv KV) Int(key string) (int64, bool) {
	v, err := strconv.ParseInt(kv[key], 10, 64)
	return v, err == nil
}

// Status is the STATUS reply of either daemon.
func (c Client) Status() (KV, error) {
	r, err := c.Request("STATUS")
	if err != nil {
		return nil, err
	}
	return ParseKV(r), nil
}

// SignalPoll is wpa_supplicant's SIGNAL_POLL reply (RSSI, LINKSPEED,
// FREQUENCY, …) of an associated station.
func (c Client) SignalPoll() (KV, error) {
	r, err := c.Request("SIGNAL_POLL")
	if err != nil {
		return nil, err
	}
	return ParseKV(r), nil
}

// Station is one entry of hostapd's station list.
type Station struct {
	Addr  net.HardwareAddr
	Flags string // e.g. "[AUTH][ASSOC][AUTHORIZED]"
	Info  KV
}

// Associated reports whether the station's flags say it is associated.
func (s Station) Associated() bool { return strings.Contains(s.Flags, "[ASSOC]") }

// Authorized reports whether its 802.1X/WPA port is open.
func (s Station) Authorized() bool { return strings.Contains(s.Flags, "[AUTHORIZED]") }

// ParseStation parses one STA-FIRST/STA-NEXT reply: the station's address
// on the first line, then key=value lines. ok is false for an empty reply
// or one that does not start with an address (the end of the list).
func ParseStation(reply string) (Station, bool) {
	first, rest, _ := strings.Cut(reply, "\n")
	addr, err := net.ParseMAC(strings.TrimSpace(first))
	if err != nil || len(addr) != 6 {
		return Station{}, false
	}
	kv := ParseKV(rest)
	return Station{Addr: addr, Flags: kv["flags"], Info: kv}, true
}

// maxStations bounds the STA-FIRST/STA-NEXT walk (hostapd's own limit on
// associated stations is 2007).
const maxStations = 2048

// Stations lists hostapd's stations (the STA-FIRST / STA-NEXT walk that
// `hostapd_cli all_sta` does).
func (c Client) Stations() ([]Station, error) {
	var out []Station
	r, err := c.Request("STA-FIRST")
	for len(out) < maxStations {
		if errors.Is(err, ErrFailed) {
			return out, nil // an empty list is answered with FAIL
		}
		if err != nil {
			return out, err
		}
		st, ok := ParseStation(r)
		if !ok {
			return out, nil
		}
		out = append(out, st)
		r, err = c.Request("STA-NEXT " + st.Addr.String())
	}
	return out, nil
}
