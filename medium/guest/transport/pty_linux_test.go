// SPDX-License-Identifier: MIT

package transport

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// ptyPair stands a pseudo-terminal in for a virtio-serial port: the test's
// "port directory" holds PORTNAME, a symlink to the pty's slave, and the
// guest end is opened by the real Virtio carrier (the same os.OpenFile of a
// character device as in a guest). The master is the host's end (QEMU's
// chardev in a VM). Both are put in raw mode, so bytes pass unchanged.
func ptyPair(t testing.TB) (Stream, Stream) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here (%v): the virtio carrier is tested over pipes only", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		t.Fatalf("ptsname: %v", err)
	}
	tio, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	// cfmakeraw, applied through the master to the pair's line settings
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN], tio.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, tio); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	master := os.NewFile(uintptr(fd), "ptmx")

	dir := t.TempDir()
	if err := os.Symlink(fmt.Sprintf("/dev/pts/%d", n), filepath.Join(dir, "org.vmedium.air")); err != nil {
		master.Close()
		t.Fatal(err)
	}
	g, err := Virtio{Dir: dir}.Dial(context.Background(), "org.vmedium.air")
	if err != nil {
		master.Close()
		t.Fatal(err)
	}
	return g, master
}
