// Package mime implements the mechanics of MIME: header syntax, media types
// and parameters, encoded words, charsets, transfer encodings and multipart
// bodies, and a streaming entity reader that ties them together.
//
// It implements RFC 2045 (message bodies), RFC 2046 (media types, multipart),
// RFC 2047 (encoded words), RFC 2049 (conformance), RFC 2231 (parameter
// continuations and charsets) and RFC 6532 (UTF-8 in headers).
//
// Everything streams: bodies are io.Readers that are read once, and every
// reader is bounded by Limits. Broken input is the normal case; readers
// recover what a person would see and record what was wrong as Defects,
// returning an error only when nothing sensible can be recovered.
package mime
