// Package mailbox is the store seam of postkit: the interfaces the IMAP
// and POP3 servers serve from, and what every backend implements.
//
// A Store gives each user an Account. An Account lists, creates,
// renames, deletes and subscribes mailboxes and opens one as a Mailbox,
// a view of that mailbox for one session. A Mailbox appends, fetches by
// UID, stores flags, expunges, copies, and reports its status; changes
// made through one view are published to every other open view of the
// same mailbox in the process (Updates and Poll), which is how IDLE and
// concurrent sessions see each other.
//
// The interfaces speak UIDs only. IMAP message sequence numbers belong
// to an IMAP session, which keeps its own map from sequence numbers to
// UIDs and reports expunges itself.
//
// Names are UTF-8 with "/" as the hierarchy delimiter (Delimiter);
// "INBOX" is case-insensitive and always exists. Translating names to
// and from IMAP's modified UTF-7 is the IMAP server's business.
//
// Optional interfaces let a backend do more natively: a Mailbox that
// implements Mover moves messages at once, one that implements Searcher
// searches itself. Without them, Move and Search in this package do the
// work generically, so every backend gets MOVE and the whole of IMAP
// SEARCH (RFC 3501 6.4.4, RFC 9051 6.4.4) for free.
//
// Two backends live in sub-packages: memstore (in memory) and maildir
// (Maildir++ on disk). mailboxtest is the conformance suite any backend
// runs to show that it behaves.
package mailbox
