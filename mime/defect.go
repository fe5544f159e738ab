package mime

// A DefectKind names one class of damage that a parser found and recovered
// from. Kinds are stable strings, suitable for logs and metrics.
type DefectKind string

// The defect kinds the mime package records.
const (
	// DefectMissingHeaderBodySeparator: a header block line that is neither a
	// field nor a continuation; the body was taken to start there.
	DefectMissingHeaderBodySeparator DefectKind = "missing-header-body-separator"
	// DefectInvalidHeaderLine: a field line without a colon or with an empty
	// or invalid name that was skipped.
	DefectInvalidHeaderLine DefectKind = "invalid-header-line"
	// DefectFirstLineContinuation: the header block started with a
	// whitespace-prefixed continuation line.
	DefectFirstLineContinuation DefectKind = "first-line-continuation"
	// DefectEightBitHeader: raw 8-bit bytes in a header field.
	DefectEightBitHeader DefectKind = "eight-bit-header"
	// DefectNoBoundary: a multipart entity without a boundary parameter; it
	// is treated as a single part.
	DefectNoBoundary DefectKind = "no-boundary"
	// DefectStartBoundaryNotFound: no delimiter line of a multipart entity's
	// boundary was found in its body.
	DefectStartBoundaryNotFound DefectKind = "start-boundary-not-found"
	// DefectCloseBoundaryNotFound: a multipart body ended (at the end of
	// input or at an enclosing boundary) without its close delimiter.
	DefectCloseBoundaryNotFound DefectKind = "close-boundary-not-found"
	// DefectInvalidBase64: a base64 body had characters outside the
	// alphabet, bad padding or a truncated final quantum.
	DefectInvalidBase64 DefectKind = "invalid-base64"
	// DefectInvalidQuotedPrintable: a quoted-printable body had a malformed
	// escape; it was passed through literally.
	DefectInvalidQuotedPrintable DefectKind = "invalid-quoted-printable"
	// DefectUnknownTransferEncoding: a Content-Transfer-Encoding the parser
	// does not know; the body is given as it is.
	DefectUnknownTransferEncoding DefectKind = "unknown-transfer-encoding"
	// DefectInvalidMediaType: a Content-Type that could not be parsed; the
	// default type was used.
	DefectInvalidMediaType DefectKind = "invalid-media-type"
	// DefectBodyTruncated: a body kept in memory (the text standing in for
	// a multipart without delimiters) was longer than could be kept; the
	// detail gives the octets kept.
	DefectBodyTruncated DefectKind = "body-truncated"
	// DefectLineTooLong: a line longer than the 998 octets RFC 5322 allows.
	DefectLineTooLong DefectKind = "line-too-long"
	// DefectMultipartTransferEncoded: a multipart or message entity declared
	// a transfer encoding other than 7bit, 8bit or binary (RFC 2045 6.4).
	DefectMultipartTransferEncoded DefectKind = "multipart-transfer-encoded"
)

// A Defect records something wrong in an entity that the parser recovered
// from instead of failing.
type Defect struct {
	Kind   DefectKind
	Detail string // free text: the offending value, truncated; may be empty
}

// String returns the kind and, when present, the detail.
func (d Defect) String() string {
	if d.Detail == "" {
		return string(d.Kind)
	}
	return string(d.Kind) + ": " + d.Detail
}
