package maildir

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/postkit/postkit/mailbox"
)

// The annotations of IMAP METADATA (RFC 5464) are kept in a file per
// folder, metadataFile, and for the account in serverMetadataFile at
// its root (where INBOX's metadataFile is too). Each entry is
//
//	name SP length LF value LF
//
// so that values may hold any octet. The file is replaced atomically
// under a dot-lock; being inside the folder's directory it follows a
// rename and goes with a delete.
const (
	metadataFile       = "postkit-metadata"
	serverMetadataFile = "postkit-metadata-server"
	// maxMetadataFile bounds what is read of a metadata file.
	maxMetadataFile = 16 << 20
)

var _ mailbox.Metadataer = (*account)(nil)

// metadataPath returns the metadata file of the mailbox named name, or
// of the account for "".
func (a *account) metadataPath(name string) (string, error) {
	if a.closed.Load() {
		return "", mailbox.ErrClosed
	}
	if name == "" {
		return filepath.Join(a.dir, serverMetadataFile), nil
	}
	_, dir, err := a.resolve(name)
	if err != nil {
		return "", err
	}
	if err := a.selectable(dir); err != nil {
		return "", err
	}
	return filepath.Join(dir, metadataFile), nil
}

// Metadata returns the annotations of a mailbox or of the account.
func (a *account) Metadata(ctx context.Context, name string) (map[string]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := a.metadataPath(name)
	if err != nil {
		return nil, err
	}
	return readMetadata(path)
}

// SetMetadata sets annotations of a mailbox or of the account.
func (a *account) SetMetadata(ctx context.Context, name string, entries map[string]*string, maxEntries int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := a.metadataPath(name)
	if err != nil {
		return err
	}
	lk, err := a.s.lockFile(ctx, path)
	if err != nil {
		return err
	}
	m, err := readMetadata(path)
	var changed []string
	if err == nil {
		changed = mailbox.ChangedMetadata(m, entries)
		err = mailbox.ApplyMetadata(m, entries, maxEntries)
	}
	if err != nil {
		lk.unlock()
		return err
	}
	if err := lk.commit(formatMetadata(m)); err != nil {
		return err
	}
	if len(changed) > 0 {
		if name != "" {
			name, _ = normName(name) // metadataPath checked it
		}
		a.s.publish(a.dir, a, mailbox.MailboxEvent{Name: name, Kinds: mailbox.EventMetadata, Entries: changed})
	}
	return nil
}

var errBadMetadata = errors.New("maildir: malformed metadata file")

// readMetadata reads a metadata file; a missing one is empty.
func readMetadata(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) > maxMetadataFile {
		return nil, errBadMetadata
	}
	m := make(map[string]string)
	for len(b) > 0 {
		line, rest, ok := bytes.Cut(b, []byte("\n"))
		if !ok {
			return nil, errBadMetadata
		}
		i := bytes.LastIndexByte(line, ' ')
		if i <= 0 {
			return nil, errBadMetadata
		}
		n, err := strconv.Atoi(string(line[i+1:]))
		if err != nil || n < 0 || n >= len(rest) || rest[n] != '\n' {
			return nil, errBadMetadata
		}
		m[string(line[:i])] = string(rest[:n])
		b = rest[n+1:]
	}
	return m, nil
}

// formatMetadata is the content of a metadata file, sorted by name.
func formatMetadata(m map[string]string) []byte {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	var b []byte
	for _, k := range names {
		b = append(b, k...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(len(m[k])), 10)
		b = append(b, '\n')
		b = append(b, m[k]...)
		b = append(b, '\n')
	}
	return b
}
