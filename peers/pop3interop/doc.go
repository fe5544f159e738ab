// Package pop3interop holds interop tests between postkit's pop3 package
// and other POP3 implementations. It has no code of its own; the tests
// are:
//
//   - poplib_test.go (with testdata/poplib_client.py): CPython's poplib
//     against our server: USER/PASS, APOP, STAT, LIST, UIDL, TOP, RETR,
//     DELE, RSET, NOOP, QUIT, CAPA and STLS.
//   - curl_test.go: curl's pop3:// against our server: LIST, RETR,
//     UIDL and TOP through -X, DELE, STLS with --ssl-reqd.
//   - dovecot_test.go: our client against Dovecot's POP3 server
//     (dovecot-pop3d), started by the test on a loopback port with its
//     own configuration and Maildir in a temporary directory.
//
// python3, curl and dovecot are looked up in PATH (and /usr/sbin); a
// test whose peer is missing skips, unless POSTKIT_REQUIRE_PEERS=1 (CI)
// makes it fail.
package pop3interop
