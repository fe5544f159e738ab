package mailbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// SaveDater is implemented by a Message whose store records when the
// message was saved in its mailbox (IMAP SAVEDATE, RFC 8514 3): when it
// was appended, copied or moved there, whatever InternalDate says. The
// save date does not change while the message stays in the mailbox; a
// copy or a moved message gets its own. A store that records no save
// date does not implement it (IMAP then answers NIL).
type SaveDater interface {
	// SaveDate returns when the message was saved in the mailbox; the
	// zero time when the store has no save date for it.
	SaveDate() time.Time
}

// ObjectIDs are the object identifiers of a message (IMAP OBJECTID,
// RFC 8474 5): EmailID names its content, ThreadID the set of related
// messages it belongs to ("" when the store groups none: IMAP says NIL).
// Both are 1 to 255 letters, digits, "_" and "-", case-sensitive.
type ObjectIDs struct {
	EmailID  string
	ThreadID string
}

// ObjectIDer is implemented by a Message whose store gives it object
// identifiers (RFC 8474 5). The EmailID of a message never changes, is
// the same for a copy or a moved message, and differs between messages
// whose octets differ; messages with the same EmailID have the same
// ThreadID, which never changes either. A store without it can leave
// the IMAP server to compute them (ReadObjectIDs); a store that keeps
// them computes them once.
type ObjectIDer interface {
	ObjectIDs(ctx context.Context) (ObjectIDs, error)
}

// ReadObjectIDs computes a message's object identifiers from its
// octets, as the built-in stores give them: the EmailID is "M" and 24
// hex digits of the SHA-256 of the octets, so that identical messages,
// copies among them, share it (RFC 8474 5.1 allows it); the ThreadID is
// "T" and 24 hex digits of the SHA-256 of the thread's first message id:
// the first of References, else of In-Reply-To, else the message's own
// Message-ID, else its content. Replies that keep their References
// (RFC 5322 3.6.4) thus share their original's ThreadID, whatever
// mailbox they are in.
func ReadObjectIDs(body Body) (ObjectIDs, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(body, 0, body.Size())); err != nil {
		return ObjectIDs{}, err
	}
	sum := h.Sum(nil)
	ids := ObjectIDs{EmailID: "M" + hex.EncodeToString(sum[:12])}
	root := ""
	p, err := mime.NewReader(io.NewSectionReader(body, 0, body.Size())).Next()
	if err == nil {
		for _, f := range []string{"References", "In-Reply-To"} {
			if l := message.ParseMessageIDList(p.Header.Get(f)); len(l) > 0 {
				root = l[0]
				break
			}
		}
		if root == "" {
			root, _ = message.ParseMessageID(p.Header.Get("Message-ID"))
		}
	}
	if root == "" {
		ids.ThreadID = "T" + hex.EncodeToString(sum[12:24])
		return ids, nil
	}
	t := sha256.Sum256([]byte(root))
	ids.ThreadID = "T" + hex.EncodeToString(t[:12])
	return ids, nil
}
