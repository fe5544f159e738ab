package imapcompressbench

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The CPU time a server spends on a FETCH is read from Linux's /proc:
// the sum of /proc/PID/task/*/schedstat (nanoseconds on a CPU, for each
// thread) of the process serving the session. Our server runs in a
// child process for that (peers/internal/maildirpair); Dovecot serves each
// session in an imap process of its own, found by the socket it holds.
// Where /proc cannot tell, the CPU figures are left out. Unlike the
// wall-clock figures, they hold up on a loaded machine.

// cpuTime returns the CPU time of process pid so far.
func cpuTime(pid int) (time.Duration, bool) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var sum int64
	for _, p := range tasks {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a thread that exited
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, false
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, false
		}
		sum += ns
	}
	return time.Duration(sum), true
}

// socketOwner returns the process, other than this one, holding the
// server's end of the TCP connection c over IPv4 loopback; 0 when none
// is found.
func socketOwner(c net.Conn) int {
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return 0
	}
	// The server's end: local_address is the server's port, rem_address
	// our port (ports in hex, after the address in /proc/net/tcp).
	inode := tcpInode(fmt.Sprintf(":%04X", remote.Port), fmt.Sprintf(":%04X", local.Port))
	if inode == "" {
		return 0
	}
	link := "socket:[" + inode + "]"
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	owner := 0
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err != nil || l != link {
			continue
		}
		pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
		if err != nil || pid == os.Getpid() {
			continue
		}
		// Dovecot's imap-login may not have let go of it yet.
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == "imap" {
			return pid
		}
		owner = pid
	}
	return owner
}

// tcpInode returns the inode of the socket in /proc/net/tcp whose local
// and remote addresses end with the ports given.
func tcpInode(localPort, remotePort string) string {
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		if strings.HasSuffix(fields[1], localPort) && strings.HasSuffix(fields[2], remotePort) {
			return fields[9]
		}
	}
	return ""
}
