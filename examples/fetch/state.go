package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// state is what fetch remembers between runs, one entry per remote
// mailbox (config.stateKey), in a JSON file:
//
//	{"imap://alice@imap.example.org:993/INBOX": {"uidvalidity": 1712, "last_uid": 4031},
//	 "pop3://bob@pop.example.org:995": {"uidls": ["1712.fbc", "1712.fbd"]}}
type state struct {
	path    string
	Entries map[string]*stateEntry
}

// stateEntry is the state of one remote mailbox.
type stateEntry struct {
	// IMAP (RFC 9051 2.3.1.1): the UIDs of a mailbox stay valid, and
	// grow, while its UIDVALIDITY stays the same.
	UIDValidity uint32 `json:"uidvalidity,omitempty"`
	LastUID     uint32 `json:"last_uid,omitempty"`
	// POP3 (RFC 1939 7.): the unique-ids fetched and still on the
	// server. An id the server no longer lists is forgotten, so the list
	// stays as long as the maildrop.
	UIDLs []string `json:"uidls,omitempty"`
}

// loadState reads the state file at path; a missing file is an empty
// state.
func loadState(path string) (*state, error) {
	st := &state{path: path, Entries: map[string]*stateEntry{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &st.Entries); err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if st.Entries == nil {
		st.Entries = map[string]*stateEntry{}
	}
	return st, nil
}

// entry returns the entry for key, making it if needed.
func (s *state) entry(key string) *stateEntry {
	e := s.Entries[key]
	if e == nil {
		e = &stateEntry{}
		s.Entries[key] = e
	}
	return e
}

// save replaces the state file atomically: the new content goes to a
// temporary file in the same directory, synced, and is renamed over the
// old one, and the directory is synced. A crash leaves the old file or
// the new one, never a mix.
func (s *state) save() error {
	b, err := json.MarshalIndent(s.Entries, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(s.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(s.path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err == nil {
		err = os.Rename(tmp, s.path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving state: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
