// Package maildirinterop holds interop tests between postkit's maildir
// backend (mailbox/maildir) and Dovecot. It has no code of its own; the
// tests are:
//
//   - dovecot_test.go: starts Dovecot's IMAP server (Debian's
//     dovecot-imapd) with peers/internal/dovecottest on a loopback port,
//     as the current user (as nobody when that is root), with its own
//     configuration and state in a temporary directory and
//     mail_location = maildir:<dir> in the Maildir++ layout with "/" as
//     the namespace separator, so that its mailbox names are ours.
//   - imap_test.go: a small IMAP client speaking the raw protocol
//     (LOGIN, LIST, LSUB, SELECT, UID FETCH, UID STORE, APPEND with
//     LITERAL+, CREATE, SUBSCRIBE, EXPUNGE).
//   - interop_test.go: a maildir written by our backend (nested and
//     non-ASCII folders, flags, keywords, subscriptions, a gap in the
//     UIDs, CRLF, LF-only and mixed line ends) is read by Dovecot with the
//     same folders, UIDVALIDITY, UIDs, flags, internal dates, sizes and
//     bodies; then Dovecot creates folders, appends, changes flags and
//     expunges, and our backend reads all of it back, and the two go on
//     numbering the same folder without a clash.
//
// Dovecot is looked up in PATH and /usr/sbin; the test skips when it is
// missing, unless POSTKIT_REQUIRE_PEERS=1 (CI) makes it fail.
package maildirinterop
