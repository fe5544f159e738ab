package pop3

import (
	"errors"
	"io"
	"strconv"

	"github.com/postkit/postkit/internal/dotstuff"
	"github.com/postkit/postkit/mailbox"
)

// dropStatus is "N messages (S octets)".
func (c *conn) dropStatus() string {
	return strconv.Itoa(c.drop.count) + " messages (" + strconv.FormatInt(c.drop.size, 10) + " octets)"
}

// msgArg answers for a bad message-number argument; m is nil then, and
// ok false when the connection must close.
func (c *conn) msgArg(arg string) (m *dropMsg, ok bool) {
	m, text, syntax := c.drop.get(arg)
	if m != nil {
		return m, true
	}
	if syntax {
		return nil, c.badCommand(text)
	}
	c.reply(false, "", text)
	return nil, true
}

// cmdStat answers STAT (RFC 1939 5.): count and size of the messages
// not marked deleted.
func (c *conn) cmdStat(args []string) bool {
	if len(args) != 0 {
		return c.badCommand("Syntax: STAT")
	}
	b := append(c.bw.AvailableBuffer(), "+OK "...)
	b = strconv.AppendInt(b, int64(c.drop.count), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, c.drop.size, 10)
	c.bw.Write(append(b, "\r\n"...))
	return true
}

// cmdList answers LIST and UIDL (RFC 1939 5. and 7.).
func (c *conn) cmdList(args []string, uidl bool) bool {
	appendInfo := func(b []byte, n int, m *dropMsg) []byte {
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, ' ')
		if uidl {
			return appendUIDL(b, c.drop.uidValidity, m.uid)
		}
		return strconv.AppendInt(b, m.size, 10)
	}
	switch len(args) {
	case 0:
	case 1:
		m, ok := c.msgArg(args[0])
		if m == nil {
			return ok
		}
		n, _ := strconv.Atoi(args[0])
		b := appendInfo(append(c.bw.AvailableBuffer(), "+OK "...), n, m)
		c.bw.Write(append(b, "\r\n"...))
		return true
	default:
		if uidl {
			return c.badCommand("Syntax: UIDL [msg]")
		}
		return c.badCommand("Syntax: LIST [msg]")
	}
	if uidl {
		c.reply(true, "", "Unique-ID listing follows")
	} else {
		c.reply(true, "", c.dropStatus())
	}
	for i := range c.drop.msgs {
		m := &c.drop.msgs[i]
		if m.deleted {
			continue
		}
		if c.bw.Available() < 64 {
			if c.bw.Flush() != nil {
				return false
			}
		}
		b := appendInfo(c.bw.AvailableBuffer(), i+1, m)
		c.bw.Write(append(b, "\r\n"...))
	}
	c.bw.WriteString(".\r\n")
	return true
}

// cmdRetr answers RETR (RFC 1939 5.).
func (c *conn) cmdRetr(args []string) bool {
	if len(args) != 1 {
		return c.badCommand("Syntax: RETR msg")
	}
	m, ok := c.msgArg(args[0])
	if m == nil {
		return ok
	}
	return c.sendMessage(m, -1)
}

// cmdTop answers TOP (RFC 1939 7.).
func (c *conn) cmdTop(args []string) bool {
	if len(args) != 2 {
		return c.badCommand("Syntax: TOP msg n")
	}
	n, ok := parseNumber(args[1])
	if !ok {
		return c.badCommand("Invalid number of lines")
	}
	m, ok := c.msgArg(args[0])
	if m == nil {
		return ok
	}
	return c.sendMessage(m, int(n))
}

// sendMessage streams a message, or its header and first lines when
// lines >= 0, as a multi-line response. It reports false when the
// connection must close: a read error in the middle of the message
// leaves no honest way to end the response.
func (c *conn) sendMessage(m *dropMsg, lines int) bool {
	found, started := false, false
	err := c.mbox.Fetch(c.ctx, mailbox.UIDSet{{Start: m.uid, Stop: m.uid}}, func(msg mailbox.Message) error {
		found = true
		body, err := msg.Open(c.ctx)
		if err != nil {
			return err
		}
		defer body.Close()
		if !c.utf8 {
			// RFC 6856 2.1: no UTF-8 header to a client not in UTF-8 mode.
			need, err := needsUTF8(body)
			if err != nil {
				return err
			}
			if need {
				c.reply(false, CodeUTF8, "Message needs UTF8 mode")
				started = true // answered
				return nil
			}
		}
		if lines < 0 {
			c.reply(true, "", strconv.FormatInt(m.size, 10)+" octets")
		} else {
			c.reply(true, "", "Top of message follows")
		}
		started = true
		dw := dotstuff.NewWriter(c.bw)
		src := io.NewSectionReader(body, 0, body.Size())
		if c.copyBuf == nil {
			c.copyBuf = make([]byte, 32<<10)
		}
		buf := c.copyBuf
		if lines >= 0 {
			_, err = io.CopyBuffer(newTopWriter(dw, lines), src, buf)
			if errors.Is(err, errTopDone) {
				err = nil
			}
		} else {
			var cnt crlfCounter
			_, err = io.CopyBuffer(io.MultiWriter(dw, &cnt), src, buf)
			if err == nil && cnt.total() != m.size {
				c.log().Warn("pop3: message size differs from the size listed", "uid", m.uid, "listed", m.size, "sent", cnt.total())
			}
		}
		if err != nil {
			return err
		}
		if lines < 0 {
			m.retrieved = true
		}
		return dw.Close()
	})
	if err != nil {
		c.log().Error("pop3: read message", "uid", m.uid, "err", err)
		if started {
			return false
		}
		c.reply(false, CodeSysTemp, "Unable to read message")
		return true
	}
	if !found {
		c.reply(false, "", "Message is no longer available")
	}
	return true
}

// cmdDele answers DELE (RFC 1939 5.): the message is only marked; it is
// removed in the UPDATE state.
func (c *conn) cmdDele(args []string) bool {
	if len(args) != 1 {
		return c.badCommand("Syntax: DELE msg")
	}
	m, ok := c.msgArg(args[0])
	if m == nil {
		return ok
	}
	m.deleted = true
	c.drop.count--
	c.drop.size -= m.size
	c.reply(true, "", "message "+args[0]+" deleted")
	return true
}

// cmdRset answers RSET (RFC 1939 5.): every deletion mark is removed.
func (c *conn) cmdRset(args []string) bool {
	if len(args) != 0 {
		return c.badCommand("Syntax: RSET")
	}
	for i := range c.drop.msgs {
		if m := &c.drop.msgs[i]; m.deleted {
			m.deleted = false
			c.drop.count++
			c.drop.size += m.size
		}
	}
	c.reply(true, "", "maildrop has "+c.dropStatus())
	return true
}

// cmdQuit answers QUIT in the TRANSACTION state: the session enters
// the UPDATE state (RFC 1939 6.) and removes exactly the messages marked
// deleted, flagging them \Deleted and expunging those UIDs. Messages
// retrieved and kept are flagged \Seen, as an IMAP client reading them
// would. Then the maildrop lock is released and the connection closed.
func (c *conn) cmdQuit() bool {
	c.state = stateUpdate
	var del, seen mailbox.UIDSet
	for _, m := range c.drop.msgs {
		switch {
		case m.deleted:
			addAscending(&del, m.uid)
		case m.retrieved:
			addAscending(&seen, m.uid)
		}
	}
	if len(seen) > 0 {
		if _, err := c.mbox.Store(c.ctx, seen, mailbox.StoreAdd, []string{mailbox.FlagSeen}, nil); err != nil {
			c.log().Warn("pop3: flag retrieved messages seen", "err", err)
		}
	}
	var err error
	if len(del) > 0 {
		if _, err = c.mbox.Store(c.ctx, del, mailbox.StoreAdd, []string{mailbox.FlagDeleted}, nil); err == nil {
			_, err = c.mbox.Expunge(c.ctx, &del)
		}
	}
	left := c.drop.count
	c.safely("closing the maildrop", c.closeMaildrop)
	if err != nil {
		c.log().Error("pop3: update", "err", err)
		c.reply(false, CodeSysTemp, "Some deleted messages not removed")
		return false
	}
	// RFC 1939 6.: "+OK dewey POP3 server signing off (maildrop empty)".
	status := "maildrop empty"
	if left > 0 {
		status = strconv.Itoa(left) + " messages left"
	}
	c.reply(true, "", c.srv.hostname()+" POP3 server signing off ("+status+")")
	return false
}

// addAscending adds uid, larger than every UID in s, to s without
// sorting: O(1) where UIDSet.Add is O(n).
func addAscending(s *mailbox.UIDSet, uid mailbox.UID) {
	if n := len(*s); n > 0 && (*s)[n-1].Stop+1 == uid {
		(*s)[n-1].Stop = uid
		return
	}
	*s = append(*s, mailbox.UIDRange{Start: uid, Stop: uid})
}
