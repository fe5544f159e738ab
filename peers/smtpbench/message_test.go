package smtpbench

import (
	"bytes"
	"fmt"
	"strings"
)

// messageSize is the size of the test message, CRLF line endings
// included, before dot-stuffing (it needs none) and the terminator.
const messageSize = 4096

const (
	mailFrom = "alice@sender.example"
	rcptTo   = "bob@receiver.example"
)

// testMessage is a 4 KiB message with the header fields a relayed message
// carries and a plain-text body of 72-column lines; no line starts with a
// dot.
var testMessage = buildMessage()

func buildMessage() []byte {
	var b bytes.Buffer
	h := []string{
		"Return-Path: <" + mailFrom + ">",
		"Received: from mail.sender.example (mail.sender.example [192.0.2.25])",
		"\tby mx.receiver.example (Postfix) with ESMTPS id 4Q1xYz0Kd3z9sWc",
		"\tfor <" + rcptTo + ">; Tue, 14 Jan 2025 09:26:41 +0100 (CET)",
		"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.example;",
		"\ts=2024; t=1736843201; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;",
		"\th=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type;",
		"\tb=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBieXRlcyBvZiB0aGUg",
		"\t cmlnaHQgc2hhcGUgZm9yIGEgYmVuY2htYXJrIG1lc3NhZ2U=",
		"From: Alice Example <" + mailFrom + ">",
		"To: Bob Example <" + rcptTo + ">",
		"Subject: Quarterly figures and the minutes of Tuesday's meeting",
		"Date: Tue, 14 Jan 2025 09:26:40 +0100",
		"Message-ID: <20250114082640.1a2b3c4d@mail.sender.example>",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8; format=flowed",
		"Content-Transfer-Encoding: 8bit",
		"",
	}
	for _, l := range h {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	words := strings.Fields("the quarterly figures are attached below and the minutes of " +
		"Tuesday's meeting follow; please check the totals against your own " +
		"records before Friday so that we can send the report on time")
	line, i := "", 0
	for b.Len() < messageSize {
		w := words[i%len(words)]
		i++
		if len(line)+1+len(w) > 72 {
			b.WriteString(line + "\r\n")
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	out := b.Bytes()[:messageSize-2]
	out = append(bytes.TrimRight(out, "\r\n "), "\r\n"...)
	for len(out) < messageSize {
		out = append(out[:len(out)-2], "x\r\n"...)
	}
	if len(out) != messageSize || bytes.Contains(out, []byte("\n.")) {
		panic(fmt.Sprintf("bad test message: %d octets", len(out)))
	}
	return out
}
