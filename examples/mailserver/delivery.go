package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"io"
	"os"
	"strings"

	"github.com/postkit/postkit/mailbox"
	"github.com/postkit/postkit/mailbox/maildir"
)

// localDelivery puts messages into the INBOX of local accounts.
//
// It appends through a view of the mailbox, which is how every open IMAP view
// of the same store (an IDLEing session among them) learns of the message at
// once: the store's change feed is in process. The view is a delivery agent's
// (NoRecent): it claims no \Recent, so the next IMAP session sees the message
// as recent (RFC 3501 2.3.2).
type localDelivery struct {
	store *maildir.Store
}

// deliver appends the message read from r to the INBOX of account user.
func (d *localDelivery) deliver(ctx context.Context, user string, r io.Reader) error {
	acct, err := d.store.Account(ctx, user)
	if err != nil {
		return err
	}
	defer acct.Close()
	mb, err := acct.Open(ctx, mailbox.Inbox, &mailbox.OpenOptions{NoRecent: true})
	if err != nil {
		return err
	}
	defer mb.Close()
	_, err = mb.Append(ctx, r, nil)
	return err
}

// newID returns a random identifier for a connection or a message: 10
// characters of base32.
func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// spoolFile holds one incoming message on disk while it is delivered to
// several recipients and queued; memory stays bounded whatever its size.
type spoolFile struct {
	f *os.File
}

// localError is a failure of this server's own disk, as opposed to one
// reading the message from the peer.
type localError struct{ err error }

func (e *localError) Error() string { return "local: " + e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// recordingReader remembers the error of the reader it wraps.
type recordingReader struct {
	r   io.Reader
	err error
}

func (r *recordingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// spoolMessage copies the trace field and then r into a temporary file in dir.
// An error reading r is returned as it is, for the SMTP server to answer;
// a failure of the file is a *localError.
func spoolMessage(dir, trace string, r io.Reader) (*spoolFile, error) {
	f, err := os.CreateTemp(dir, "incoming-*")
	if err != nil {
		return nil, &localError{err}
	}
	// Unlinked at once: nothing is left behind by a crash.
	_ = os.Remove(f.Name())
	if _, err := io.WriteString(f, trace); err != nil {
		f.Close()
		return nil, &localError{err}
	}
	rr := &recordingReader{r: r}
	if _, err := io.Copy(f, rr); err != nil {
		f.Close()
		if rr.err != nil {
			return nil, rr.err
		}
		return nil, &localError{err}
	}
	return &spoolFile{f: f}, nil
}

// reader returns a reader over the whole message from its start.
func (s *spoolFile) reader() (io.ReadSeeker, error) {
	size, err := s.f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(s.f, 0, size), nil
}

func (s *spoolFile) Close() error { return s.f.Close() }
