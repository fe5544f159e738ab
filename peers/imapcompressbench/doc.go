// Package imapcompressbench compares COMPRESS=DEFLATE (RFC 4978) of
// postkit's IMAP server (imap.Server over mailbox/maildir) with
// Dovecot's (its imap_zlib plugin) on one FETCH of a whole mailbox. It
// holds only tests and benchmarks.
//
// The mailbox: INBOX of a Maildir++ directory written by our maildir
// backend, the messages of the developer corpus (../../testdata/messages)
// of at most 16 KiB, line endings made CRLF, over and over (a repeat is
// further back than DEFLATE's 32 KiB window). Both servers read the same
// files: ours through mailbox/maildir, Dovecot (started with
// peers/internal/dovecottest, mail_location = maildir:<dir>) through its
// own maildir driver and the dovecot-uidlist our backend wrote, so a
// message has the same UID on both.
//
// The client speaks the raw protocol (client_test.go): LOGIN, then
// optionally COMPRESS DEFLATE (compress/flate on the client side, sync
// flushes after each command), SELECT INBOX and
//
//	FETCH 1:n (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[])
//
// It counts the octets read from the socket (wire) and the octets of the
// responses once inflated (plain). The ratio is wire/plain, as in the
// root module's imap BenchmarkFetchCompress; MB/s is of the plain
// responses, from the command sent to its tagged OK read and inflated.
// Each connection fetches once untimed first, so that Dovecot's index
// cache and our structure cache hold the mailbox.
//
// The client's work (inflating, parsing) shares the machine with the
// server's, and a loaded machine moves the wall-clock figures a lot. So
// the CPU time of the process serving the session is measured too, from
// Linux's /proc (cpu_test.go): Dovecot serves a session in an imap
// process of its own, found by the socket it holds, and our server runs
// in a child process, the test binary started again
// (peers/internal/maildirpair).
//
//   - BenchmarkFetchCompress: 10,000 messages; sub-benchmarks
//     plain/postkit, plain/dovecot, deflate/postkit, deflate/dovecot,
//     each reporting wire-bytes/op, plain-bytes/op, ratio, MB/s and
//     server-cpu-ms/op.
//   - TestFetchCompressSideBySide: 2,000 messages
//     (IMAPCOMPRESSBENCH_MESSAGES overrides), a table of both servers
//     in the test log (ratio; MB/s, best of three; the server's CPU time
//     per FETCH and MB per CPU-second, mean of three; our throughput
//     over Dovecot's, by both clocks), and
//     the checks: every FETCH, plain and inflated, of both servers
//     carries for each UID the body that was written, and under
//     COMPRESS each tagged OK arrives without the client sending
//     anything more, the wire data ending on a sync-flush marker
//     (00 00 FF FF, RFC 1951 3.2.4).
//
// The two servers compress at their default levels: ours at 5
// (imap/conn_compress.go), Dovecot 2.3's imap_zlib at 6
// (imap_zlib_compress_level).
//
//	go test -run TestFetchCompressSideBySide -v -count=1
//	go test -run '^$' -bench . -benchtime 3x
//
// Dovecot is looked up in PATH and /usr/sbin; the tests skip when it is
// missing, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes them fail.
package imapcompressbench
