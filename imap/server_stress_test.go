package imap

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	reUID     = regexp.MustCompile(`UID (\d+)`)
	reTok     = regexp.MustCompile(`m-(\d+)-x`)
	reAppUID  = regexp.MustCompile(`APPENDUID \d+ (\d+)`)
	reSeqResp = regexp.MustCompile(`^\* (\d+) (EXISTS|EXPUNGE|FETCH)`)
)

// TestConcurrentSessionsStress (from a review): two writers append/store/expunge, one session IDLEs and
// tracks its seq->UID model, two fetchers FETCH 1:* through the cache and
// check every ENVELOPE belongs to its UID.
func TestConcurrentSessionsStress(t *testing.T) {
	ts := newTestServer(t, func(s *Server) { s.StructureCacheBytes = 64 << 10 })
	ts.deliver(t, "INBOX", testMsg)
	var mu sync.Mutex
	tokUID := map[int]int{} // token -> UID
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, 100000)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts.login(t)
			c.ok("s SELECT INBOX")
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				switch rng.IntN(4) {
				case 0, 1:
					tok := w*1000000 + i
					subj := fmt.Sprintf("m-%d-x", tok)
					if rng.IntN(2) == 0 {
						subj += " \u00e9t\u00e9"
					}
					msg := "From: a@b.c\r\nSubject: " + subj + "\r\nContent-Type: text/plain; name=\"" + subj + "\"\r\n\r\nbody\r\n"
					r := c.cmd("a APPEND INBOX " + fmtLiteral(msg))
					if m := reAppUID.FindStringSubmatch(r[len(r)-1]); m != nil {
						u, _ := strconv.Atoi(m[1])
						mu.Lock()
						tokUID[tok] = u
						mu.Unlock()
					}
				case 2:
					c.cmd(fmt.Sprintf("b UID STORE %d,%d +FLAGS (\\Deleted)", 1+rng.IntN(i+2), 1+rng.IntN(i+2)))
					c.cmd("c EXPUNGE")
				case 3:
					c.cmd("d STORE 1:* +FLAGS (k" + strconv.Itoa(rng.IntN(3)) + ")")
					c.cmd("e NOOP")
				}
			}
		}()
	}
	for f := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts.login(t)
			if f == 1 {
				c.ok("u ENABLE UTF8=ACCEPT")
			}
			c.ok("s SELECT INBOX")
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, l := range c.cmd("f UID FETCH 1:* (UID ENVELOPE BODYSTRUCTURE)") {
					um := reUID.FindStringSubmatch(l)
					tm := reTok.FindAllStringSubmatch(l, -1)
					if um == nil || tm == nil {
						continue
					}
					u, _ := strconv.Atoi(um[1])
					mu.Lock()
					for _, x := range tm {
						tok, _ := strconv.Atoi(x[1])
						if want, ok := tokUID[tok]; ok && want != u {
							errs <- fmt.Sprintf("UID %d served data of UID %d: %s", u, want, l)
						}
					}
					mu.Unlock()
					if f == 0 && strings.Contains(l, "\u00e9") {
						errs <- "8-bit sent to a client without UTF8=ACCEPT: " + l
					}
				}
				c.cmd("n NOOP")
			}
		}()
	}
	// The IDLE session.
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := ts.login(t)
		c.ok("s SELECT INBOX")
		var model []int
		apply := func(lines []string) {
			for _, l := range lines {
				m := reSeqResp.FindStringSubmatch(l)
				if m == nil {
					continue
				}
				n := atoi(m[1])
				switch m[2] {
				case "EXISTS":
					if n < len(model) {
						errs <- fmt.Sprintf("EXISTS %d below %d", n, len(model))
					}
					for len(model) < n {
						model = append(model, 0)
					}
				case "EXPUNGE":
					if n < 1 || n > len(model) {
						errs <- fmt.Sprintf("EXPUNGE %d of %d", n, len(model))
						continue
					}
					model = append(model[:n-1], model[n:]...)
				case "FETCH":
					if um := reUID.FindStringSubmatch(l); um != nil && n <= len(model) {
						if model[n-1] == 0 {
							model[n-1] = atoi(um[1])
						} else if model[n-1] != atoi(um[1]) {
							errs <- fmt.Sprintf("FETCH %d says UID %s, model %d", n, um[1], model[n-1])
						}
					}
				}
			}
		}
		for round := 0; ; round++ {
			select {
			case <-stop:
				return
			default:
			}
			model = model[:0]
			for _, l := range c.ok("f FETCH 1:* (UID)") {
				model = append(model, atoi(reUID.FindStringSubmatch(l)[1]))
			}
			c.send("i IDLE\r\n")
			var pre []string
			for {
				l := c.line()
				if l == "+ idling" {
					break
				}
				pre = append(pre, l)
			}
			apply(pre)
			time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
			c.send("DONE\r\n")
			apply(c.until("i"))
			var got []int
			for _, l := range c.ok("g FETCH 1:* (UID)") {
				if um := reUID.FindStringSubmatch(l); um != nil {
					got = append(got, atoi(um[1]))
				}
			}
			if len(got) != len(model) {
				errs <- fmt.Sprintf("round %d: model %d messages, FETCH %d", round, len(model), len(got))
				continue
			}
			for i := range got {
				if model[i] != 0 && model[i] != got[i] {
					errs <- fmt.Sprintf("round %d: seq %d model UID %d, FETCH %d", round, i+1, model[i], got[i])
					break
				}
			}
		}
	}()
	run := 2 * time.Second
	if testing.Short() {
		run = 500 * time.Millisecond
	}
	time.Sleep(run)
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }
