// SPDX-License-Identifier: MIT

package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Virtio is the guest end of a QEMU virtserialport: the character device
// Dir/PORTNAME (DefaultVirtioDir in a guest). It is opened read-write;
// reads and writes go through the runtime poller (the device supports
// poll), so deadlines and Close interrupt them like a socket's. QEMU joins
// the port's host end to a chardev, e.g. a unix socket the host listens on.
type Virtio struct{ Dir string }

// Check validates a port name.
func (Virtio) Check(name string) error { return checkVirtio(name) }

// Dial opens the port device.
func (v Virtio) Dial(_ context.Context, name string) (Stream, error) {
	if err := checkVirtio(name); err != nil {
		return nil, err
	}
	path := filepath.Join(v.Dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w (is a virtserialport named %q attached to this VM? QEMU: -device virtio-serial-pci -device virtserialport,chardev=…,name=%s)", err, name, name)
		}
		return nil, err
	}
	return f, nil
}

// Listen is not possible on a port device: ErrNoListen.
func (Virtio) Listen(name string) (Listener, error) {
	return nil, fmt.Errorf("virtio:%s is a device the guest opens; the host listens on unix: or tcp: (QEMU connects the port's chardev to it): %w", name, ErrNoListen)
}
