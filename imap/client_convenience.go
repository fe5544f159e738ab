package imap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/postkit/postkit/message"
	"github.com/postkit/postkit/mime"
)

// FetchMessage fetches the message with the given UID (BODY.PEEK[],
// so \Seen is not set) and hands it to fn as a message.Message read
// straight from the connection: the message and its body are valid
// only while fn runs.
func (c *Client) FetchMessage(ctx context.Context, uid uint32, fn func(*message.Message) error) error {
	found := false
	err := c.UIDFetchStream(ctx, SeqSetOf(uid), []FetchItem{{Name: FetchUID}, {Name: FetchBody, Peek: true, Section: &Section{}}}, nil, FetchHandler{
		Body: func(seq uint32, item FetchItem, size int64, r io.Reader) error {
			if found {
				return nil
			}
			found = true
			m, err := message.Read(r)
			if err != nil {
				return err
			}
			return fn(m)
		},
	})
	if err == nil && !found {
		err = fmt.Errorf("imap: message UID %d not found", uid)
	}
	return err
}

// Attachment describes an attachment found in a BODYSTRUCTURE.
type Attachment struct {
	Part     []uint32 // part number, "2.1" as {2, 1}
	Filename string   // from Content-Disposition or the name parameter
	Type     string   // "application/pdf", lower case
	Size     uint32   // encoded size as the server reported it
	Body     *BodyStructure
}

// Attachments lists the attachments of a BODYSTRUCTURE: parts with
// disposition attachment, and non-text leaf parts with a file name.
func Attachments(bs *BodyStructure) []Attachment {
	var out []Attachment
	var walk func(b *BodyStructure, path []uint32, depth int)
	walk = func(b *BodyStructure, path []uint32, depth int) {
		if b == nil || depth > DefaultMaxDepth {
			return
		}
		if b.IsMultipart() {
			for i, p := range b.Parts {
				walk(p, append(append([]uint32(nil), path...), uint32(i+1)), depth+1)
			}
			return
		}
		name := paramValue(b.DispositionParams, "FILENAME")
		if name == "" {
			name = paramValue(b.Params, "NAME")
		}
		attach := strings.EqualFold(b.Disposition, "ATTACHMENT") ||
			name != "" && !strings.EqualFold(b.Type, "TEXT") && !b.isMessage()
		if !attach {
			if b.isMessage() && b.Body != nil {
				// The enclosed message's parts are numbered under it.
				if b.Body.IsMultipart() {
					walk(b.Body, path, depth+1)
				}
			}
			return
		}
		if len(path) == 0 {
			path = []uint32{1}
		}
		if dec, err := mime.DecodeHeader(name); err == nil {
			name = dec
		}
		out = append(out, Attachment{
			Part: path, Filename: name, Size: b.Size, Body: b,
			Type: strings.ToLower(b.Type + "/" + b.Subtype),
		})
	}
	walk(bs, nil, 0)
	return out
}

// paramValue returns the parameter name, decoded: servers pass RFC
// 2231 forms ("name*" with a charset prefix, continuations) as they are.
func paramValue(ps []Param, name string) string {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p.Value
		}
	}
	var sb strings.Builder
	sb.WriteString("x/y")
	found := false
	for _, p := range ps {
		if len(p.Name) > len(name) && strings.EqualFold(p.Name[:len(name)], name) && p.Name[len(name)] == '*' {
			found = true
			sb.WriteString("; " + p.Name + "=")
			if strings.HasSuffix(p.Name, "*") {
				sb.WriteString(p.Value)
			} else {
				sb.WriteString(`"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p.Value) + `"`)
			}
		}
	}
	if !found {
		return ""
	}
	_, params, err := mime.ParseMediaType(sb.String())
	if err != nil {
		return ""
	}
	return params[strings.ToLower(name)]
}

// DownloadAttachments fetches the BODYSTRUCTURE of the message with the
// given UID and then each attachment, decoded (by the server with
// BINARY, RFC 3516, or here from its transfer encoding), handing each
// to fn as a stream. It returns the attachments it found.
func (c *Client) DownloadAttachments(ctx context.Context, uid uint32, fn func(a Attachment, r io.Reader) error) ([]Attachment, error) {
	msgs, err := c.UIDFetch(ctx, SeqSetOf(uid), []FetchItem{{Name: FetchUID}, {Name: FetchBodyStructure}}, nil)
	if err != nil {
		return nil, err
	}
	if len(msgs) == 0 || msgs[0].BodyStructure == nil {
		return nil, fmt.Errorf("imap: message UID %d not found", uid)
	}
	atts := Attachments(msgs[0].BodyStructure)
	if len(atts) == 0 {
		return nil, nil
	}
	binary := c.Has(ctx, "BINARY")
	var items []FetchItem
	for _, a := range atts {
		name := FetchBody
		if binary {
			name = FetchBinary
		}
		items = append(items, FetchItem{Name: name, Peek: true, Section: &Section{Part: a.Part}})
	}
	byPart := func(part []uint32) *Attachment {
		for i := range atts {
			if equalParts(atts[i].Part, part) {
				return &atts[i]
			}
		}
		return nil
	}
	err = c.UIDFetchStream(ctx, SeqSetOf(uid), items, nil, FetchHandler{
		Body: func(seq uint32, item FetchItem, size int64, r io.Reader) error {
			if item.Section == nil {
				return nil
			}
			a := byPart(item.Section.Part)
			if a == nil {
				return nil
			}
			if item.Name != FetchBinary {
				r = mime.NewDecoder(a.Body.Encoding, r)
			}
			return fn(*a, r)
		},
	})
	var ie *Error
	if binary && errors.As(err, &ie) && ie.Response.Code == "UNKNOWN-CTE" {
		// RFC 3516 4.3: the server cannot decode; do it here.
		c.mu.Lock()
		delete(c.caps, "BINARY")
		c.mu.Unlock()
		return c.DownloadAttachments(ctx, uid, fn)
	}
	return atts, err
}

func equalParts(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
