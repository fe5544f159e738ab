package imap

import (
	"context"
	"errors"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/postkit/postkit/mailbox"
)

// errStepFailed is the failure failStore's mailboxes report after
// doing their work.
var errStepFailed = errors.New("test: a step after the expunge failed")

// failStore's mailboxes expunge and move, then report errStepFailed, as
// a store does when a step after the files' removal fails: Expunge
// returns the UIDs it removed with the error (mailbox.Mailbox.Expunge),
// Move returns no result and its next Poll reports the expunges
// (mailbox.Mover.Move).
func failStore(st mailbox.Store) mailbox.Store {
	return wrapStore{st, func(m mailbox.Mailbox) mailbox.Mailbox { return &failMailbox{Mailbox: m} }}
}

type failMailbox struct {
	mailbox.Mailbox
	pending []mailbox.Update // expunges of a failed Move, for Poll
}

func (m *failMailbox) Expunge(ctx context.Context, uids *mailbox.UIDSet) ([]mailbox.UID, error) {
	gone, err := m.Mailbox.Expunge(ctx, uids)
	if err != nil {
		return gone, err
	}
	return gone, errStepFailed
}

func (m *failMailbox) Move(ctx context.Context, uids mailbox.UIDSet, dest string) (*mailbox.CopyResult, error) {
	res, err := mailbox.Move(ctx, m.Mailbox, uids, dest)
	if err != nil {
		return nil, err
	}
	for _, u := range res.Source {
		m.pending = append(m.pending, mailbox.Update{Kind: mailbox.UpdateExpunged, UID: u})
	}
	return nil, errStepFailed
}

func (m *failMailbox) Poll(ctx context.Context) ([]mailbox.Update, error) {
	ups, err := m.Mailbox.Poll(ctx)
	ups = append(m.pending, ups...)
	m.pending = nil
	return ups, err
}

var modSeqItem = regexp.MustCompile(` MODSEQ \(\d+\)`)

// TestExpungeFailureReported: when an EXPUNGE, UID EXPUNGE or MOVE
// fails after messages were expunged, the client is told of each
// (EXPUNGE, or VANISHED under QRESYNC) before the NO, so that its
// message sequence numbers stay those of the server (RFC 9051 7.5.1);
// the messages that are left keep their numbers.
func TestExpungeFailureReported(t *testing.T) {
	tests := []struct {
		name    string
		qresync bool
		cmd     string
		want    []string
	}{
		{"EXPUNGE", false, "x EXPUNGE", []string{"* 1 EXPUNGE", "* 2 EXPUNGE", "x NO [SERVERBUG] Internal error"}},
		{"UID EXPUNGE", false, "x UID EXPUNGE 3:4", []string{"* 3 EXPUNGE", "x NO [SERVERBUG] Internal error"}},
		{"EXPUNGE QRESYNC", true, "x EXPUNGE", []string{"* VANISHED 1,3", "x NO [SERVERBUG] Internal error"}},
		{"MOVE", false, "x MOVE 2:3 Archive", []string{"* 2 EXPUNGE", "* 2 EXPUNGE", "x NO [SERVERBUG] Internal error"}},
		{"MOVE QRESYNC", true, "x UID MOVE 2:3 Archive", []string{"* VANISHED 2:3", "x NO [SERVERBUG] Internal error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(s *Server) { s.Store = failStore(s.Store) })
			// UIDs 1 and 3 are \Deleted.
			ts.deliver(t, "INBOX", testMsg, `\Deleted`)
			ts.deliver(t, "INBOX", testMsg)
			ts.deliver(t, "INBOX", testMsg, `\Deleted`)
			ts.deliver(t, "INBOX", testMsg)
			c := ts.login(t)
			c.ok("a CREATE Archive")
			if tc.qresync {
				c.ok("b ENABLE QRESYNC")
			}
			c.ok("c SELECT INBOX")
			assert.Equal(t, tc.want, c.cmd(tc.cmd))
			// The client's numbers are the server's: nothing more
			// to report, and each number names the UID it should.
			assert.Empty(t, c.ok("d NOOP"))
			var left []string
			switch tc.name {
			case "EXPUNGE", "EXPUNGE QRESYNC":
				left = []string{"* 1 FETCH (UID 2)", "* 2 FETCH (UID 4)"}
			case "UID EXPUNGE":
				left = []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 2)", "* 3 FETCH (UID 4)"}
			default:
				left = []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 4)"}
			}
			got := c.ok("e FETCH 1:* UID")
			for i := range got {
				got[i] = modSeqItem.ReplaceAllString(got[i], "") // QRESYNC's
			}
			assert.Equal(t, left, got)
		})
	}
}

// TestReplaceFallbackExpungeFailure: a REPLACE on a store without
// mailbox.Replacer whose expunge of the old message fails after
// removing it keeps the new message (taking it back would leave
// neither), tells the client of both and answers OK.
func TestReplaceFallbackExpungeFailure(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Store = failStore(s.Store) })
	ts.deliver(t, "INBOX", testMsg)
	ts.deliver(t, "INBOX", testMsg)
	c := ts.login(t)
	c.ok("s SELECT INBOX")
	r := c.cmd("r REPLACE 1 INBOX {5+}\r\nhello")
	assert.Equal(t, []string{"* 3 EXISTS", "* 1 RECENT", "* 1 EXPUNGE", "r OK REPLACE completed"}, r[1:], "%q", r)
	assert.Regexp(t, `^\* OK \[APPENDUID \d+ 3\] `, r[0])
	assert.Empty(t, c.ok("n NOOP"))
	assert.Equal(t, []string{"* 1 FETCH (UID 2)", "* 2 FETCH (UID 3)"}, c.ok("f FETCH 1:* UID"))
}

// expungeFailStore's mailboxes have no Mover, and their Expunge fails
// after expunging, so that MOVE goes through mailbox.Move's fallback.
func expungeFailStore(st mailbox.Store) mailbox.Store {
	return wrapStore{st, func(m mailbox.Mailbox) mailbox.Mailbox { return expungeFailMailbox{m} }}
}

type expungeFailMailbox struct{ mailbox.Mailbox }

func (m expungeFailMailbox) Expunge(ctx context.Context, uids *mailbox.UIDSet) ([]mailbox.UID, error) {
	gone, err := m.Mailbox.Expunge(ctx, uids)
	if err != nil {
		return gone, err
	}
	return gone, errStepFailed
}

// TestMoveFallbackExpungeFailure: MOVE by copy and expunge (no Mover)
// whose expunge fails after expunging tells the client of the messages
// that left before the NO.
func TestMoveFallbackExpungeFailure(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.Store = expungeFailStore(s.Store) })
	for range 3 {
		ts.deliver(t, "INBOX", testMsg)
	}
	c := ts.login(t)
	c.ok("a CREATE Archive")
	c.ok("s SELECT INBOX")
	assert.Equal(t, []string{"* 2 EXPUNGE", "x NO [SERVERBUG] Internal error"}, c.cmd("x MOVE 2 Archive"))
	assert.Empty(t, c.ok("n NOOP"))
	assert.Equal(t, []string{"* 1 FETCH (UID 1)", "* 2 FETCH (UID 3)"}, c.ok("f FETCH 1:* UID"))
}
