// Package imapbench compares postkit's IMAP server (imap.Server over
// mailbox/memstore) with emersion's go-imap v2 server (v2.0.0-beta.8,
// imapserver over imapmemserver). It holds only tests and benchmarks.
//
// The mailbox: INBOX with 10,000 messages cycling through the developer
// corpus (../../testdata/messages), line endings made CRLF. Each corpus
// message is first probed on a fresh instance of each server (APPEND,
// FETCH, SEARCH; see corpus_test.go); go-imap closes the connection when
// a command panics, and the messages it fails on are left out for both.
// The messages are loaded with APPEND over one connection, which is the
// APPEND measure.
//
// The load generator is a raw IMAP client (client_test.go): it writes a
// command and reads until the tagged response, skipping literals, the
// same for both servers. Both sessions LOGIN and ENABLE UTF8=ACCEPT.
// Measured on INBOX:
//
//   - FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE RFC822.SIZE), the
//     first after loading and repeated (postkit caches the encoded
//     ENVELOPE and BODYSTRUCTURE; the default cache, 64 MiB, holds the
//     whole mailbox, and "postkit-cache" adds a bound in messages that
//     the mailbox fits);
//   - SEARCH BODY <word> and SEARCH HEADER Subject <word> (memstore
//     keeps where each message's text parts are from its first BODY
//     search on, mailbox.TextLayout: the first timed SEARCH BODY reads
//     every message's structure, about as slow as before it kept them,
//     and the others decode only the text parts);
//   - SELECT INBOX;
//   - 2,000 connections in IDLE on an empty mailbox and on INBOX: the
//     growth of the server's in-use heap and stacks after GC per
//     connection, then one APPEND from another connection and, per IDLE
//     connection, the time until "* n EXISTS" arrives.
//
// Under the tables, TestSideBySide checks the targets: FETCH at
// least 7 times go-imap's speed, SEARCH 3 times, at most 10 KiB per IDLE
// connection, all IDLE connections told of the new message within 50 ms
// (99th percentile).
//
// Each server runs in a child process (the test binary started again, see
// child_test.go), so the allocations, CPU time and memory counted for a
// server are its own. The machine's other load shows in wall-clock
// figures far more than in CPU time; compare both.
//
//	go test -run '^$' -bench . -benchtime 5x            # testing.B figures
//	PEERS_SIDE_BY_SIDE=1 go test -run TestSideBySide -v -count=1   # the table
//	IMAPBENCH_CHILD_CPUPROFILE=/tmp/imap-%s.prof ...     # a CPU profile per server
//	IMAPBENCH_CHILD_MEMPROFILE=/tmp/imap-%s.prof ...     # every allocation, per server
//	IMAPBENCH_CHILD_HEAPPROFILE=/tmp/heap-%s.prof ...    # in-use heap with the IDLE connections open
package imapbench
