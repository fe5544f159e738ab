package mime

import (
	"encoding/base64"
	"io"
	stdmime "mime"
	"mime/quotedprintable"
	"strings"
)

// TEMPORARY: replaced by the full media-type and transfer-encoding code.

func parseContentType(v string) (string, map[string]string, bool) {
	t, p, err := stdmime.ParseMediaType(v)
	if err != nil {
		return "", nil, false
	}
	return t, p, true
}

func parseDisposition(v string) (string, map[string]string) {
	t, p, _ := stdmime.ParseMediaType(v)
	return t, p
}

func newTransferDecoder(p *Part, cte string, r io.Reader) io.Reader {
	switch strings.ToLower(cte) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}
