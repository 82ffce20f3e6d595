// SPDX-License-Identifier: MIT

package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vmedium/vmedium/internal/atomicfile"

	"github.com/vmedium/vmedium/medium"
)

// StateFileName is the file under the state directory holding the runtime state.
const StateFileName = "state.json"

// stateVersion is the file format version; a newer file is refused rather
// than misread.
const stateVersion = 1

// stateDoc is the on-disk form.
type stateDoc struct {
	Version int       `json:"version"`
	SavedAt time.Time `json:"saved_at"`
	// Config identifies the lab config the state was made under (see
	// SetConfig); "" in files from before it existed, and without a lab.
	Config string       `json:"config,omitempty"`
	Medium medium.State `json:"medium"`
}

// StateFile persists the medium's runtime state (deny pairs, explicit links,
// positions) so that it survives a restart of `vmedium run`.
type StateFile struct {
	path string
	mu   sync.Mutex // serialises saves

	config      string // written with every save (SetConfig)
	savedConfig string // read by Load
}

// SetConfig sets the identity of the lab config the state is made under;
// every later save records it, so that the next run can tell whether it
// was started with the same config (see SavedConfig).
func (s *StateFile) SetConfig(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config = id
}

// SavedConfig is the config identity the state Load read was saved with
// ("" when it was saved without one).
func (s *StateFile) SavedConfig() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.savedConfig
}

// OpenState returns the state file in dir, creating dir (0755) if needed.
func OpenState(dir string) (*StateFile, error) {
	if dir == "" {
		return nil, &medium.InvalidValueError{What: "state directory", Value: `""`, Accepted: "a directory path such as " + DefaultStateDir}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	return &StateFile{path: filepath.Join(dir, StateFileName)}, nil
}

// Path returns the state file's path.
func (s *StateFile) Path() string { return s.path }

// Load reads the saved state. ok is false when there is none.
func (s *StateFile) Load() (st medium.State, ok bool, err error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return medium.State{}, false, nil
	}
	if err != nil {
		return medium.State{}, false, fmt.Errorf("read state: %w", err)
	}
	var doc stateDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return medium.State{}, false, fmt.Errorf("read state %s: %w (remove it or start with --reset)", s.path, err)
	}
	if doc.Version != stateVersion {
		return medium.State{}, false, fmt.Errorf("read state %s: format version %d, this vmedium reads version %d (start with --reset)", s.path, doc.Version, stateVersion)
	}
	s.mu.Lock()
	s.savedConfig = doc.Config
	s.mu.Unlock()
	return doc.Medium, true, nil
}

// Save writes st atomically (atomicfile.Write: a crash leaves the old
// state or the new one).
func (s *StateFile) Save(st medium.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked(st)
}

func (s *StateFile) saveLocked(st medium.State) error {
	b, err := json.MarshalIndent(stateDoc{Version: stateVersion, SavedAt: time.Now().UTC(), Config: s.config, Medium: st}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if err := atomicfile.Write(s.path, append(b, '\n')); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

// Remove deletes the saved state (for --reset).
func (s *StateFile) Remove() error {
	if err := os.Remove(s.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}

// Attach saves m's state after every configuration change. Errors are
// logged (the medium keeps running with its in-memory state).
func (s *StateFile) Attach(m *medium.Medium, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m.OnChange(func() {
		// Read the state under the save lock: concurrent changes then
		// save in order and the last file written is the newest state.
		s.mu.Lock()
		defer s.mu.Unlock()
		if err := s.saveLocked(m.State()); err != nil {
			log.Error("persist runtime state", "err", err)
		}
	})
}
