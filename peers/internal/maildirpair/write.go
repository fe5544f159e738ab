package maildirpair

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// WriteFolder writes n messages straight into a fresh folder of the
// Maildir md, in the layout mailbox/maildir and Dovecot read, without a
// server or a store: message i (from 0) is msg(i), with UID i+1 and
// internal date at. It is for mailboxes too big to append one by one.
//
// The folder is INBOX (md itself) when name is "", else the Maildir++
// folder md/.name (name without "." or "/"). Each message is a file
// cur/<base>:2, whose base name carries its size (S=) and its size with
// CRLF line endings (W=), its mtime the internal date; dovecot-uidlist
// (version 3, UIDVALIDITY uidValidity) maps UIDs 1 to n to the base
// names. Nothing is synced. msg is called from several goroutines.
func WriteFolder(ctx context.Context, md, name string, uidValidity uint32, n int, msg func(i int) (data []byte, at time.Time)) error {
	dir := md
	if name != "" {
		if name[0] == '.' || bytes.ContainsAny([]byte(name), "./") {
			return fmt.Errorf("maildirpair: bad folder name %q", name)
		}
		dir = filepath.Join(md, "."+name)
	}
	if _, err := os.Stat(filepath.Join(dir, "dovecot-uidlist")); err == nil {
		return fmt.Errorf("maildirpair: %s already has a dovecot-uidlist", dir)
	}
	for _, d := range []string{md, dir} {
		for _, sub := range []string{"cur", "new", "tmp"} {
			if err := os.MkdirAll(filepath.Join(d, sub), 0o700); err != nil {
				return err
			}
		}
	}
	if name != "" {
		if err := os.WriteFile(filepath.Join(dir, "maildirfolder"), nil, 0o600); err != nil {
			return err
		}
	}

	bases := make([]string, n)
	pid := os.Getpid()
	workers := runtime.GOMAXPROCS(0)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				data, at := msg(i)
				base := fmt.Sprintf("%d.M%dP%dQ%d.maildirpair,S=%d,W=%d", at.Unix(), i, pid, i+1, len(data), crlfSize(data))
				path := filepath.Join(dir, "cur", base+":2,")
				err := os.WriteFile(path, data, 0o600)
				if err == nil {
					err = os.Chtimes(path, at, at)
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					continue
				}
				bases[i] = base
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	var b bytes.Buffer
	// Dovecot's header: version 3, UIDVALIDITY, next UID, mailbox GUID.
	guid := sha256.Sum256(fmt.Appendf(nil, "%d %s %s", uidValidity, md, name))
	fmt.Fprintf(&b, "3 V%d N%d G%x\n", uidValidity, n+1, guid[:16])
	for i, base := range bases {
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(" :")
		b.WriteString(base)
		b.WriteByte('\n')
	}
	return os.WriteFile(filepath.Join(dir, "dovecot-uidlist"), b.Bytes(), 0o600)
}

// crlfSize returns the size of data with every bare LF made CRLF.
func crlfSize(data []byte) int {
	n := len(data)
	for i, c := range data {
		if c == '\n' && (i == 0 || data[i-1] != '\r') {
			n++
		}
	}
	return n
}
