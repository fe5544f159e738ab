package queue

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Notify is the NOTIFY parameter of a recipient (RFC 3461 4.1): which
// delivery status notifications its sender asked for. The zero value,
// NotifyDefault, means the parameter was absent.
type Notify uint8

// The NOTIFY keywords. NotifyNever excludes the others.
const (
	// NotifyDefault: no NOTIFY parameter. The queue then reports
	// failures and delays, which RFC 3461 4.1 allows
	// ("NOTIFY=FAILURE" or "NOTIFY=FAILURE,DELAY").
	NotifyDefault Notify = 0
	NotifyNever   Notify = 1 << 0
	NotifySuccess Notify = 1 << 1
	NotifyFailure Notify = 1 << 2
	NotifyDelay   Notify = 1 << 3
)

// ParseNotify parses the value of a NOTIFY parameter: "NEVER" or a comma
// separated list of SUCCESS, FAILURE and DELAY, in any case. An empty
// string is NotifyDefault.
func ParseNotify(s string) (Notify, error) {
	if s == "" {
		return NotifyDefault, nil
	}
	var n Notify
	for _, k := range strings.Split(s, ",") {
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "NEVER":
			n |= NotifyNever
		case "SUCCESS":
			n |= NotifySuccess
		case "FAILURE":
			n |= NotifyFailure
		case "DELAY":
			n |= NotifyDelay
		default:
			return 0, fmt.Errorf("queue: invalid NOTIFY keyword %q", k)
		}
	}
	// RFC 3461 4.1: NEVER must appear alone.
	if n&NotifyNever != 0 && n != NotifyNever {
		return 0, errors.New("queue: NOTIFY=NEVER combined with other keywords")
	}
	return n, nil
}

// String returns the parameter value, as ParseNotify reads it; "" for
// NotifyDefault.
func (n Notify) String() string {
	if n&NotifyNever != 0 {
		return "NEVER"
	}
	var parts []string
	if n&NotifySuccess != 0 {
		parts = append(parts, "SUCCESS")
	}
	if n&NotifyFailure != 0 {
		parts = append(parts, "FAILURE")
	}
	if n&NotifyDelay != 0 {
		parts = append(parts, "DELAY")
	}
	return strings.Join(parts, ",")
}

// MarshalText implements encoding.TextMarshaler.
func (n Notify) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *Notify) UnmarshalText(b []byte) error {
	v, err := ParseNotify(string(b))
	*n = v
	return err
}

func (n Notify) wantsFailure() bool { return n == NotifyDefault || n&NotifyFailure != 0 }
func (n Notify) wantsDelay() bool   { return n == NotifyDefault || n&NotifyDelay != 0 }
func (n Notify) wantsSuccess() bool { return n&NotifySuccess != 0 }

// Ret is the RET parameter of MAIL FROM (RFC 3461 4.3): what of the
// message a failure notification returns.
type Ret string

// The RET values. RetDefault (absent) and RetFull return the full
// message in a failure notification; RetHeaders its header only. The
// size limit Queue.DSNFullLimit applies to both RetDefault and an
// explicit RetFull: a larger message is returned as its header only,
// as RFC 3461 6.2 allows ("if the length of the message is greater than
// some implementation-specified length, the MTA MAY return only the
// headers even if the RET parameter specified FULL"). Notifications of
// delay or success return the header only, whatever RET says.
const (
	RetDefault Ret = ""
	RetFull    Ret = "FULL"
	RetHeaders Ret = "HDRS"
)

// State is where a recipient stands.
type State uint8

// The states of a recipient. Delivered and Failed are final.
const (
	// Pending: not delivered yet; the queue will try again.
	Pending State = iota
	// Delivered: the next hop accepted the message for this recipient.
	Delivered
	// Failed: a permanent failure, or the message expired.
	Failed
)

var stateNames = [...]string{"pending", "delivered", "failed"}

// String returns "pending", "delivered" or "failed".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if string(b) == n {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("queue: invalid recipient state %q", b)
}

// A Recipient is one forward-path of a message with its DSN parameters
// and its delivery state.
type Recipient struct {
	// Addr is the address, as given to RCPT TO (without angle brackets).
	Addr string `json:"addr"`
	// Notify is the NOTIFY parameter (RFC 3461 4.1).
	Notify Notify `json:"notify,omitempty"`
	// ORcpt is the ORCPT parameter (RFC 3461 4.2) with its xtext decoded:
	// "addr-type;address", as "rfc822;user@example.org". It becomes the
	// Original-Recipient field of a DSN.
	ORcpt string `json:"orcpt,omitempty"`

	// State is where delivery stands; the caller leaves it zero.
	State State `json:"state"`
	// Attempts counts the delivery attempts for this recipient.
	Attempts int `json:"attempts,omitempty"`
	// LastAttempt is the time of the last attempt.
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	// Status is the enhanced status code (RFC 3463) of the last result.
	Status string `json:"status,omitempty"`
	// RemoteMTA is the host that gave the last result, if known.
	RemoteMTA string `json:"remote_mta,omitempty"`
	// Diagnostic is the remote reply of the last result ("550 5.1.1 No
	// such user") or, for a local failure, the error text.
	Diagnostic string `json:"diagnostic,omitempty"`
	// DiagnosticSMTP reports that Diagnostic is an SMTP reply
	// (RFC 3464 2.3.6, diagnostic-type "smtp").
	DiagnosticSMTP bool `json:"diagnostic_smtp,omitempty"`
	// Reported reports that the final notification this recipient asked
	// for (failure, or success) has been queued.
	Reported bool `json:"reported,omitempty"`
}

// An Envelope is what the queue knows of a message besides its body: the
// SMTP envelope with its DSN parameters, the caller's metadata and the
// delivery state. It is what a Store keeps next to the body.
type Envelope struct {
	// ID names the message in the queue; Enqueue sets it.
	ID string `json:"id"`
	// From is the reverse-path; "" is the null sender (<>), whose mail
	// (bounces among others) never causes a notification.
	From string `json:"from"`
	// Recipients are the forward-paths, in order.
	Recipients []Recipient `json:"recipients"`
	// Ret is the RET parameter (RFC 3461 4.3).
	Ret Ret `json:"ret,omitempty"`
	// EnvID is the ENVID parameter (RFC 3461 4.4), xtext decoded.
	EnvID string `json:"envid,omitempty"`
	// Meta is the caller's, kept with the message and given back as is.
	Meta map[string]string `json:"meta,omitempty"`

	// Created is when the message was enqueued; Enqueue sets it.
	Created time.Time `json:"created"`
	// Attempts counts the delivery rounds (one Deliver call per
	// destination domain each).
	Attempts int `json:"attempts,omitempty"`
	// NextAttempt is when the message is due.
	NextAttempt time.Time `json:"next_attempt"`
	// Held reports that the message is not delivered until released.
	Held bool `json:"held,omitempty"`
	// DelayNotified reports that the delay notification went out.
	DelayNotified bool `json:"delay_notified,omitempty"`
}

// Clone returns a deep copy of e.
func (e *Envelope) Clone() *Envelope {
	c := *e
	c.Recipients = append([]Recipient(nil), e.Recipients...)
	if e.Meta != nil {
		c.Meta = make(map[string]string, len(e.Meta))
		for k, v := range e.Meta {
			c.Meta[k] = v
		}
	}
	return &c
}

// Done reports whether every recipient is in a final state.
func (e *Envelope) Done() bool {
	for i := range e.Recipients {
		if e.Recipients[i].State == Pending {
			return false
		}
	}
	return true
}

// domainOf returns the lower-case domain of addr, the part after the
// last "@"; "" when there is none.
func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(addr[at+1:])
}

// ErrInvalidEnvelope is returned by Enqueue for an envelope that cannot
// be queued: no recipients, or an address with a control character.
var ErrInvalidEnvelope = errors.New("queue: invalid envelope")

func validAddr(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func (e *Envelope) validate() error {
	if len(e.Recipients) == 0 {
		return fmt.Errorf("%w: no recipients", ErrInvalidEnvelope)
	}
	if !validAddr(e.From) || !validAddr(e.EnvID) {
		return fmt.Errorf("%w: control character in the sender or ENVID", ErrInvalidEnvelope)
	}
	switch e.Ret {
	case RetDefault, RetFull, RetHeaders:
	default:
		return fmt.Errorf("%w: RET=%q", ErrInvalidEnvelope, e.Ret)
	}
	for _, r := range e.Recipients {
		if r.Addr == "" || !validAddr(r.Addr) || !validAddr(r.ORcpt) {
			return fmt.Errorf("%w: recipient %q", ErrInvalidEnvelope, r.Addr)
		}
	}
	return nil
}
