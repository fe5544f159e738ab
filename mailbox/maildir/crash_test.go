package maildir

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/postkit/postkit/mailbox"
)

const crashEnv = "POSTKIT_MAILDIR_CRASH_DIR"

func crashBody(n int) string {
	return fmt.Sprintf("Subject: %d\r\n\r\n%s\r\nEND\r\n", n, strings.Repeat(fmt.Sprintf("%07d ", n), 8000))
}

// TestCrashChild is the child of TestCrash: it appends until killed and
// prints the UID of every append that returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("run by TestCrash")
	}
	ctx := context.Background()
	a, err := New(dir, &Options{PollInterval: -1}).Account(ctx, "crash")
	require.NoError(t, err)
	m, err := a.Open(ctx, "INBOX", nil)
	require.NoError(t, err)
	for n := 0; ; n++ {
		flags := []string(nil)
		if n%3 == 0 {
			flags = []string{mailbox.FlagSeen, "k" + fmt.Sprint(n%5)}
		}
		uid, err := m.Append(ctx, strings.NewReader(crashBody(n)), &mailbox.AppendOptions{Flags: flags})
		require.NoError(t, err)
		fmt.Printf("appended %d %d\n", uid, n)
	}
}

// TestCrash kills a process with SIGKILL in the middle of appends: every
// append that returned is there and intact, and no partial message is
// visible.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	want := map[mailbox.UID]int{}
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// The child's lines come through a goroutine, so that a child
		// that hangs (a lock it cannot get) cannot hang the test.
		lines := make(chan string)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		deadline := time.After(5 * time.Second)
		got := 0
	read:
		for got < 20+10*round {
			var line string
			var ok bool
			select {
			case line, ok = <-lines:
				if !ok {
					break read // the child died on its own
				}
			case <-deadline:
				break read
			}
			var uid mailbox.UID
			var n int
			if _, err := fmt.Sscanf(line, "appended %d %d", &uid, &n); err != nil {
				continue
			}
			_, dup := want[uid]
			require.False(t, dup, "UID %d given twice", uid)
			want[uid] = n
			got++
		}
		// Let it get into the middle of the next append.
		time.Sleep(time.Duration(round) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		go func() {
			for range lines { // let the reader finish
			}
		}()
		cmd.Wait()
		require.Positive(t, got, "round %d: the child appended nothing", round)
	}

	a := openAccount(t, New(dir, &Options{PollInterval: -1}), "crash")
	m := openBox(t, a, "INBOX", false)
	msgs := fetchAll(t, m)
	have := map[mailbox.UID]fetched{}
	for _, msg := range msgs {
		have[msg.UID] = msg
		var n int
		_, err := fmt.Sscanf(msg.Body, "Subject: %d", &n)
		require.NoError(t, err)
		assert.Equal(t, crashBody(n), msg.Body, "UID %d is not whole", msg.UID)
		assert.Equal(t, int64(len(msg.Body)), msg.Size)
	}
	for uid, n := range want {
		msg, ok := have[uid]
		if assert.True(t, ok, "returned UID %d is missing", uid) {
			assert.Equal(t, crashBody(n), msg.Body)
			if n%3 == 0 {
				assert.Contains(t, msg.Flags, mailbox.FlagSeen)
				assert.Contains(t, msg.Flags, "k"+fmt.Sprint(n%5))
			}
		}
	}
	// Still usable: appends after the crashes get new UIDs.
	uid := appendMsg(t, m, testMsg)
	_, dup := have[uid]
	assert.False(t, dup)
}
