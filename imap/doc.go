// Package imap implements IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051).
//
// This part of the package is the wire codec, shared by the server and
// the client and usable on its own, for instance to write conformance
// tests that send and check raw IMAP:
//
//   - Decoder (wire_decoder.go) reads the elements of the grammar of
//     RFC 9051 9 — atoms, quoted strings, literals ("{n}", LITERAL+ and
//     LITERAL- "{n+}" of RFC 7888, literal8 "~{n}" of RFC 3516), NIL,
//     numbers, lists, flags, dates, sequence sets. Its OnLiteral hook
//     sees every literal before any of it is read, so that a server can
//     send the continuation request or refuse the literal; Limits bound
//     line length, in-memory literals, a command's total size and list
//     nesting. LiteralReader streams large literals.
//   - Encoder (wire_encoder.go) writes them, choosing between atom,
//     quoted string and literal so that no string can break a line; its
//     OnSyncLiteral hook lets a client wait for "+" before a
//     synchronising literal.
//   - SeqSet (seqset.go): sequence sets with "*" and "$" (RFC 5182), and
//     their conversion to mailbox.UIDSet.
//   - EncodeMUTF7, DecodeMUTF7 and the mailbox-name helpers (mutf7.go):
//     modified UTF-7 (RFC 3501 5.1.3) and UTF-8 names (RFC 6855).
//   - Command and its argument types (command.go): ReadCommand for a
//     server (command_parse.go), WriteCommand for a client
//     (command_format.go). Search programs are SearchKey trees
//     (search.go); fetch attributes and body sections are FetchItem and
//     Section (fetch.go).
//   - Response and its types (response.go): WriteResponse for a server
//     (response_format.go), which streams FETCH body sections from an
//     io.Reader, and ReadResponse for a client (response_parse.go),
//     which can hand body sections to a BodyHandler as they arrive.
//     Envelope and BodyStructure (body.go) are plain data the server
//     fills in.
//
// Errors: a *SyntaxError means the peer broke the grammar and the
// decoder has skipped to the next line; ReadCommand wraps it in a
// *CommandError carrying the tag for the BAD response. IsFatal tells
// the errors after which the stream is out of step (I/O errors, limits)
// and the connection has to be closed. NO, BAD and BYE responses become
// *Error through StatusResponse.Err.
//
// Mailbox names cross the codec as they are on the wire; the session
// converts them with DecodeMailboxName and EncodeMailboxName, since
// whether they are modified UTF-7 or UTF-8 depends on its state.
package imap
