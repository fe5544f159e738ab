package mime

// DecodeHeader decodes the RFC 2047 encoded words in an unstructured header
// value and returns the text. Raw 8-bit bytes are read as UTF-8 (RFC 6532),
// invalid sequences replaced by U+FFFD. An encoded word in an unknown charset
// is kept as it is, and the first such problem is returned as the error
// alongside the best-effort text.
//
// (Placeholder: the full decoder replaces this.)
func DecodeHeader(s string) (string, error) {
	return s, nil
}
