// Package imapinterop holds interop tests between postkit's imap server
// and other IMAP implementations. It has no code of its own; every test
// runs against our imap.Server over both mailbox/memstore and
// mailbox/maildir:
//
//   - imaplib_test.go (with testdata/imaplib_client.py): CPython's
//     imaplib: LOGIN, CAPABILITY, LIST, CREATE, SELECT, APPEND, FETCH,
//     SEARCH (with a UTF-8 literal), STORE, COPY, UID MOVE, EXPUNGE,
//     STARTTLS, and IDLE over a raw socket.
//   - curl_test.go: curl's imap:// URLs: LIST, fetch by UID, a custom
//     SEARCH, STARTTLS with --ssl-reqd, and upload (APPEND).
//   - goimap_test.go: the github.com/emersion/go-imap/v2 client.
//   - corpus_test.go: every message of ../../testdata/messages is
//     appended, then fetched back with one
//     FETCH 1:* (BODYSTRUCTURE ENVELOPE BODY[]) over a raw connection
//     read with our codec, and again with the go-imap client.
//
// python3 and curl are looked up in PATH; a test whose peer is missing
// skips, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes it fail.
package imapinterop
