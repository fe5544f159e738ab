// Package imapclientinterop tests postkit's IMAP client (imap.Client)
// against other servers — Dovecot (dovecot-imapd, started by the tests
// on a loopback port with its own configuration in a temporary
// directory), the go-imap v2 in-memory server, and postkit's own
// server — running one suite that covers every command, and compares
// it with the go-imap v2 client in a benchmark (fetching ENVELOPE and
// BODYSTRUCTURE of 10,000 messages from the same server: a replay of
// canned bytes, postkit's server, and Dovecot answering from its cache):
//
//	go test -run '^$' -bench FetchEnvelopeBodyStructure -benchtime 10x
//
// Tests that need Dovecot skip when it is not installed, and fail
// instead under POSTKIT_REQUIRE_PEERS=1, as CI sets.
package imapclientinterop
