// Package mailserverinterop drives the examples/mailserver program as a user
// would: it builds the binary, starts it with the flags DESIGN.md makes a
// contract (-data, -domain, -user, -smtp, -submission, -imap, -pop3, -http,
// -relay), and talks to it with other implementations' clients: emersion's
// go-smtp (MX and submission with STARTTLS and AUTH PLAIN), CPython's
// imaplib, poplib and smtplib, curl (IMAP, POP3, webmail) and swaks (MX and
// submission with STARTTLS, AUTH PLAIN and LOGIN). It stops the
// program with SIGTERM and starts it again on the same data to check that
// mail, flags and the queue survive. It has no code of its own.
//
// python3, curl and swaks are looked up in PATH; a test whose peer is missing
// skips, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes it fail.
package mailserverinterop
