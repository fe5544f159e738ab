// Package messagebench compares postkit's MIME reader with other Go mail
// parsers on the developer corpus (../../testdata/messages). It holds only
// tests and benchmarks; see impls_test.go for what each implementation is
// asked to do.
//
// Mode measured. Every implementation walks all entities of each message,
// descends into message/rfc822 and message/global parts that have an
// identity transfer encoding, and reads every leaf body to its end with the
// Content-Transfer-Encoding undone. No implementation converts charsets,
// except enmime, which cannot be told not to (it also decodes headers,
// sniffs charsets and builds an Envelope; its figures are for much more
// work). net/mail reads the header and copies the raw body: no MIME walk at
// all, a floor rather than a peer.
//
//	go test -bench . -benchtime 3x                     # testing.B figures
//	PEERS_SIDE_BY_SIDE=1 go test -run TestSideBySide -v # the table
package messagebench
