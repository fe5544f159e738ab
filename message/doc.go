// Package message implements the semantics of Internet messages (RFC 5322):
// typed access to header fields — addresses with groups, dates, message
// identifiers, decoded subjects — reading a message as a stream of MIME
// entities, and composing new messages.
//
// It implements RFC 5322 (with the obsolete syntax of its section 4 on
// input), RFC 6532 (UTF-8 in header fields), RFC 6854 (groups in From and
// Sender) and the header parts of RFC 2047. MIME mechanics (media types,
// transfer encodings, multipart) come from package mime.
//
// Broken mail is the normal case: accessors return what a person would see
// together with an error describing what was wrong, rather than nothing.
package message
