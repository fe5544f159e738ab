// Package smtpbench compares postkit's smtp server and client with
// emersion's go-smtp (v0.26.0) and, for the client, net/smtp. It holds only
// tests and benchmarks.
//
// Server throughput: the same cheap load generator (raw sockets, see
// load_test.go) drives postkit's Server and a go-smtp Server, both with a
// Session that reads each message into io.Discard, both without TLS or
// AUTH, with the same limits and timeouts, on 127.0.0.1. Twenty
// connections send 4 KiB messages, either many per connection or one per
// connection (connect, EHLO, message, QUIT).
//
// Client throughput: postkit's Client.Send (pipelined: MAIL, RCPT and DATA
// in one write), go-smtp's Client.SendMail and net/smtp's
// Mail/Rcpt/Data, each on a reused connection, all into the same
// discarding server (postkit's; the side-by-side table also uses
// go-smtp's), with 1 and 20 concurrent clients.
//
// Idle memory: 2000 connections are opened to each server and left idle
// after EHLO; the growth of the server's HeapInuse+StackInuse after a GC
// is divided by the number of connections.
//
// Each server runs in a child process (the test binary started again, see
// child_test.go), so the allocations, CPU time and memory counted for a
// server are its own, and those counted for a client are the client's.
// The machine's other load shows in msgs/s far more than in CPU time per
// message; compare both.
//
//	go test -run '^$' -bench . -benchmem          # testing.B figures
//	PEERS_SIDE_BY_SIDE=1 go test -run TestSideBySide -v -count=1   # the table
package smtpbench
