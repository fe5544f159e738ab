// Package queue is the outgoing mail queue: it holds messages until they
// are delivered, and never loses one it has acknowledged.
//
// The parts:
//
//   - Queue (queue.go): Enqueue, which returns once the message is
//     durable; the operations List, Inspect, Open, Hold, Release,
//     RetryNow and Delete; Start and Shutdown.
//   - The scheduler (schedule.go): due messages go to a Deliverer, one
//     call per destination domain, within a global and a per-domain
//     bound on concurrent calls and an optional per-domain rate; results
//     are per recipient; temporary failures are retried with exponential
//     backoff and jitter (DefaultBackoff: 5 minutes, doubling, then every
//     3 hours, ±20%) until Lifetime (5 days) is over.
//   - Notifications (dsn.go): delivery status notifications (RFC 3464,
//     multipart/report of RFC 6522) for failures, delays (once, at
//     DelayWarning) and successes, as each recipient's NOTIFY asks
//     (RFC 3461), returning the message or its header as RET says (or
//     neither, when the original cannot be read or parsed). They
//     are queued in the same queue from the null sender, so a
//     notification never causes another.
//   - Stores (store.go, spool.go): the Store interface, with its
//     guarantees, and two implementations: MemoryStore and Spool, a
//     directory of files with group commit and crash recovery.
//
// The Deliverer has the shape of the smtp package's MX transport, which
// this package does not import: *smtp.Transport is a Deliverer as it is.
// Results are read through optional methods on the errors (Temporary,
// Status, RemoteMTA, DiagnosticCode).
//
// # Durability and duplicates
//
// A message is acknowledged when Enqueue returns its id; from then on it
// survives a crash of the process or of the machine (with a Spool, or any
// Store that keeps the guarantees documented on Store), together with the
// state of its recipients as last stored. Every change of state — a
// recipient delivered or failed, the next attempt, hold — is written to
// the Store before the queue acts on it further.
//
// Two windows allow a duplicate, and no design can close them:
//
//   - Delivery: between the next hop accepting a message and the Store
//     recording it, a crash makes the queue deliver the message again to
//     the recipients of that attempt (RFC 5321 6.1 accepts duplicates
//     over loss). The window is one Deliver call and one Store update.
//   - Enqueue: when Enqueue did not return (a crash, or an error from
//     the Store after the data reached the disk), the message may be in
//     the queue anyway; a client that got no answer sends it again. With
//     a Spool, only the Enqueue calls in progress at the crash can leave
//     such a message, whole.
//
// A notification is queued before the recipients it reports are marked
// reported, so a crash between the two can repeat it, never lose it.
// Operations (Hold, Release, RetryNow, Delete) are durable once applied;
// on a message being delivered, or being written for another operation,
// they apply when the attempt or the write ends.
//
// When the Store fails to record a round's results, the queue keeps them
// (a recipient delivered is not delivered again, a failure not bounced
// again, by this process) and tries the write again after Backoff(1).
package queue
