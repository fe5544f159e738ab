package imap

import "strings"

// NotifyCommand is the argument of NOTIFY (RFC 5465 3.1, 8).
type NotifyCommand struct {
	// None is set for NOTIFY NONE; the other fields are then empty.
	None bool
	// Status is the STATUS indicator of NOTIFY SET.
	Status bool
	// Groups lists the event groups of NOTIFY SET, in order.
	Groups []NotifyGroup
}

// NotifyGroup is one event group of NOTIFY SET: which mailboxes, and
// which events about them.
type NotifyGroup struct {
	// Filter is the mailbox filter, upper case: SELECTED,
	// SELECTED-DELAYED, INBOXES, PERSONAL, SUBSCRIBED, SUBTREE or
	// MAILBOXES.
	Filter string
	// Mailboxes holds the names, as on the wire, of SUBTREE and
	// MAILBOXES.
	Mailboxes []string
	// Events lists the events; empty for NONE.
	Events []NotifyEvent
}

// NotifyEvent is one event of a NotifyGroup.
type NotifyEvent struct {
	// Name is the event name as the client spelt it (they are
	// case-insensitive): MessageNew, MessageExpunge, FlagChange,
	// AnnotationChange, MailboxName, SubscriptionChange,
	// MailboxMetadataChange, ServerMetadataChange, or an extension.
	Name string
	// Fetch holds the fetch attributes given with MessageNew.
	Fetch []FetchItem
}

// notifyArgs reads the arguments of NOTIFY.
func (d *Decoder) notifyArgs() (*NotifyCommand, error) {
	if err := d.SP(); err != nil {
		return nil, err
	}
	word, err := d.Atom()
	if err != nil {
		return nil, err
	}
	c := &NotifyCommand{}
	switch strings.ToUpper(word) {
	case "NONE":
		c.None = true
		return c, nil
	case "SET":
	default:
		return nil, syntaxf("expected SET or NONE, got %q", word)
	}
	if err := d.SP(); err != nil {
		return nil, err
	}
	if b, err := d.peek(); err != nil {
		return nil, err
	} else if b != '(' {
		word, err := d.Atom()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(word, "STATUS") {
			return nil, syntaxf("expected STATUS, got %q", word)
		}
		c.Status = true
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
	for {
		g, err := d.notifyGroup()
		if err != nil {
			return nil, err
		}
		c.Groups = append(c.Groups, g)
		if d.AtCRLF() {
			return c, nil
		}
		if err := d.SP(); err != nil {
			return nil, err
		}
	}
}

// notifyGroup reads one event-group: "(" filter-mailboxes SP events ")".
func (d *Decoder) notifyGroup() (NotifyGroup, error) {
	var g NotifyGroup
	if err := d.Expect('('); err != nil {
		return g, err
	}
	f, err := d.Atom()
	if err != nil {
		return g, err
	}
	g.Filter = strings.ToUpper(f)
	switch g.Filter {
	case "SELECTED", "SELECTED-DELAYED", "INBOXES", "PERSONAL", "SUBSCRIBED":
	case "SUBTREE", "MAILBOXES":
		if err := d.SP(); err != nil {
			return g, err
		}
		b, err := d.peek()
		if err != nil {
			return g, err
		}
		if b == '(' {
			err = d.List(func() error {
				m, err := d.AString()
				g.Mailboxes = append(g.Mailboxes, m)
				return err
			})
			if err == nil && len(g.Mailboxes) == 0 {
				err = syntaxf("empty mailbox list")
			}
		} else {
			var m string
			m, err = d.AString()
			g.Mailboxes = []string{m}
		}
		if err != nil {
			return g, err
		}
	default:
		return g, syntaxf("unknown mailbox filter %q", f)
	}
	if err := d.SP(); err != nil {
		return g, err
	}
	b, err := d.peek()
	if err != nil {
		return g, err
	}
	if b != '(' {
		// "NONE", or events without their parentheses as in the
		// examples of RFC 5465 3.1 ("(subtree Lists MessageNew)");
		// the group's ")" ends them.
		if g.Events, err = d.notifyEventList(); err != nil {
			return g, err
		}
		if len(g.Events) == 1 && strings.EqualFold(g.Events[0].Name, "NONE") && g.Events[0].Fetch == nil {
			g.Events = nil
		}
		return g, nil
	}
	if err := d.Expect('('); err != nil {
		return g, err
	}
	if g.Events, err = d.notifyEventList(); err != nil {
		return g, err
	}
	return g, d.Expect(')')
}

// notifyEventList reads event *(SP event) ")", the ")" included;
// MessageNew may be followed by a list of fetch attributes, which a
// generic list reader cannot tell from the next event.
func (d *Decoder) notifyEventList() ([]NotifyEvent, error) {
	d.depth++
	defer func() { d.depth-- }()
	var evs []NotifyEvent
	for {
		name, err := d.Atom()
		if err != nil {
			return nil, err
		}
		ev := NotifyEvent{Name: name}
		b, err := d.readByte()
		if err != nil {
			return nil, err
		}
		if b == ' ' && strings.EqualFold(name, "MessageNew") {
			if nb, err := d.peek(); err != nil {
				return nil, err
			} else if nb == '(' {
				err := d.List(func() error {
					f, err := d.FetchItem(false)
					ev.Fetch = append(ev.Fetch, f)
					return err
				})
				if err != nil {
					return nil, err
				}
				if len(ev.Fetch) == 0 {
					return nil, syntaxf("empty fetch attribute list")
				}
				if b, err = d.readByte(); err != nil {
					return nil, err
				}
			}
		}
		evs = append(evs, ev)
		switch b {
		case ')':
			return evs, nil
		case ' ':
		default:
			return nil, syntaxf("expected SP or \")\" in event list, got %q", b)
		}
		if len(evs) > 32 {
			return nil, syntaxf("too many events")
		}
	}
}

// notifyArgs writes the arguments of NOTIFY.
func (e *Encoder) notifyArgs(a *NotifyCommand) {
	if a.None {
		e.Raw(" NONE")
		return
	}
	e.Raw(" SET")
	if a.Status {
		e.Raw(" STATUS")
	}
	for _, g := range a.Groups {
		e.Raw(" (").Atom(g.Filter)
		if len(g.Mailboxes) > 0 {
			e.SP().List(len(g.Mailboxes), func(i int) { e.AString(g.Mailboxes[i]) })
		}
		e.SP()
		if len(g.Events) == 0 {
			e.Raw("NONE")
		} else {
			e.List(len(g.Events), func(i int) {
				ev := g.Events[i]
				e.Atom(ev.Name)
				if len(ev.Fetch) > 0 {
					e.SP().List(len(ev.Fetch), func(j int) { e.FetchItem(ev.Fetch[j], false) })
				}
			})
		}
		e.Raw(")")
	}
}
