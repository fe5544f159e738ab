// Package imapsortbench measures SORT and THREAD (RFC 5256) of
// postkit's IMAP server on a mailbox of 100,000 messages in
// mailbox/memstore: 20,000 threads of five messages each, linked by
// References and In-Reply-To, with reply subjects, varied senders,
// recipients and dates. It holds only tests and benchmarks; the table
// runs when asked:
//
//	PEERS_SORT_BENCH=1 go test -run 'TestSortThreadTable|TestQResyncResync' -v -count=1
//	go test -run '^$' -bench . -benchtime 3x
//
// Each command is timed from the first byte sent to the tagged OK read
// by a raw client on loopback, the first time (headers read from the
// store) and then again (the same work: the server keeps no sort
// index). TestQResyncResync then measures a QRESYNC resynchronisation
// of the same mailbox after 100 changes (RFC 7162 3.2.5), in octets and
// time, against a plain SELECT and FETCH 1:* (UID FLAGS).
package imapsortbench
