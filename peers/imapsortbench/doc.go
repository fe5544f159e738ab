// Package imapsortbench compares SORT and THREAD (RFC 5256) and a
// QRESYNC resynchronisation (RFC 7162 3.2.5) of postkit's IMAP server
// (imap.Server over mailbox/maildir) with Dovecot's on one Maildir. It
// holds only tests and benchmarks.
//
// The mailbox: threads of five messages each, linked by References and
// In-Reply-To, with reply subjects ("Re: ", "Re: Re: ", some with a
// "[list] " blob), varied senders, recipients and dates. The messages
// are written straight into the Maildir layout
// (maildirpair.WriteFolder), then both servers are started over it with
// peers/internal/maildirpair: ours in a child process, Dovecot through
// its own maildir driver and the dovecot-uidlist written with the
// messages, so a message has the same UID (and sequence number) on both.
//
// By default the mailbox has 5,000 messages and the tests check that
// both servers give the same answers; PEERS_SORT_BENCH=1 makes it
// 100,000 and prints the table:
//
//	PEERS_SORT_BENCH=1 go test -run 'TestSortThreadTable|TestQResyncResync' -v -count=1
//	go test -run '^$' -bench . -benchtime 3x
//
// TestSortThreadTable times each command from the first octet sent to
// the tagged OK read by a raw client on loopback, on each server, the
// first time and then again: Dovecot builds its index and cache of the
// sort keys on the first command that needs them, our server keeps no
// sort index. The ratio is ours over Dovecot's: below 1 we are faster.
// The answers must be the same: SORT as lists of numbers, ESEARCH as
// its items, THREAD as trees (a tree has one spelling once parsed, so
// only the order of threads and of siblings counts).
//
// TestSortThreadEdgeCases compares both servers on a few dozen corner
// cases of RFC 5256 (ties under REVERSE, base subjects, sent dates,
// display names, threads with missing parents, loops, subject merging).
// They agree on all but one, a Date at the epoch, where Dovecot departs
// from RFC 5256 2.2 (edge_test.go, epochDated).
//
// TestQResyncResync works on two more copies of the mailbox, one per
// server: a client notes UIDVALIDITY, HIGHESTMODSEQ and UIDNEXT, another
// makes 100 changes (50 flag changes, 50 expunges, the same UIDs on
// both), and a third resynchronises with SELECT (QRESYNC ...), against a
// plain SELECT and FETCH 1:* (UID FLAGS); it reports octets and time on
// both servers and checks that both tell the same expunges and flags.
//
// Dovecot is looked up in PATH and /usr/sbin; the tests skip when it is
// missing, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes them fail.
package imapsortbench
