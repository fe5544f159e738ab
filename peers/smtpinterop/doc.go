// Package smtpinterop holds interop tests between postkit's smtp package and
// other SMTP implementations: emersion's go-smtp, net/smtp, Python's smtplib
// and curl. It has no code of its own; the tests are:
//
//   - cases_test.go: the cases every foreign client runs against our
//     server (plain, STARTTLS, AUTH PLAIN and LOGIN before and after TLS,
//     1 MiB, 8BITMIME, SMTPUTF8, the null sender, a refused recipient) and
//     the check of what the server received.
//   - gosmtp_client_test.go, netsmtp_test.go, smtplib_test.go (with
//     testdata/smtplib_client.py), curl_test.go: one client each.
//   - ourclient_test.go: our client against a go-smtp server.
//   - lmtp_test.go, oversize_test.go, implicittls_test.go: LMTP, messages
//     over the size limit and implicit TLS, both ways.
//   - authwire_test.go: the exact bytes of an empty SASL challenge
//     ("334 ", which Go's net/textproto needs).
//
// python3 and curl are looked up in PATH; a test whose peer is missing
// skips, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes it fail.
package smtpinterop
