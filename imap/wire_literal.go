package imap

import (
	"bytes"
	"io"
	"strconv"
	"strings"
)

// LiteralInfo describes a literal announced on the wire: "{n}" (Sync),
// "{n+}" (non-synchronising, RFC 7888) or "~{n}" (Binary, the literal8
// of RFC 3516, which may hold NUL).
type LiteralInfo struct {
	Size   int64
	Sync   bool
	Binary bool
}

// LiteralHeader reads a literal's announcement, "{n}", "{n+}" or, when
// binary is true, also "~{n}", with its CRLF, and calls OnLiteral. The
// caller then reads the n bytes (see Literal and LiteralReader).
func (d *Decoder) LiteralHeader(binary bool) (LiteralInfo, error) {
	return d.literalHeader(binary, -1)
}

func (d *Decoder) literalHeader(binary bool, max int64) (LiteralInfo, error) {
	var info LiteralInfo
	b, err := d.peek()
	if err != nil {
		return info, err
	}
	if b == '~' {
		if !binary {
			return info, syntaxf("literal8 not allowed here")
		}
		d.readByte()
		info.Binary = true
	}
	if err := d.Expect('{'); err != nil {
		return info, err
	}
	n, err := d.Number64()
	if err != nil {
		return info, err
	}
	info.Size = int64(n)
	info.Sync = true
	if ok, err := d.Accept('+'); err != nil {
		return info, err
	} else if ok {
		info.Sync = false
	}
	if err := d.Expect('}'); err != nil {
		return info, err
	}
	if err := d.CRLF(); err != nil {
		return info, err
	}
	if max >= 0 && info.Size > max {
		return info, d.refuse(info, ErrLiteralTooBig)
	}
	if d.OnLiteral != nil {
		if err := d.OnLiteral(info); err != nil {
			return info, d.refuse(info, err)
		}
	}
	return info, nil
}

func (d *Decoder) refuse(info LiteralInfo, err error) error {
	le := &LiteralRefusedError{Literal: info, Err: err}
	if info.Sync && !d.responses {
		d.lineOver = true
		return le
	}
	if info.Size > d.lim.MaxDiscard {
		le.Fatal = true
		return le
	}
	if _, err := io.CopyN(io.Discard, d.r, info.Size); err != nil {
		le.Fatal = true
	}
	return le
}

// Literal reads a literal into memory. It is refused, unread, when it
// is larger than Limits.MaxStringLiteral or than what is left of
// Limits.MaxCommandBytes. binary allows literal8.
func (d *Decoder) Literal(binary bool) ([]byte, error) {
	max := min(d.lim.MaxStringLiteral, d.lim.MaxCommandBytes-d.total)
	info, err := d.literalHeader(binary, max)
	if err != nil {
		return nil, err
	}
	return d.literalBody(info)
}

// literalBody reads the bytes of a literal whose announcement was read
// and accepted.
func (d *Decoder) literalBody(info LiteralInfo) ([]byte, error) {
	// Read as the bytes come rather than allocating the announced size
	// up front, which a peer could announce and never send.
	var bb bytes.Buffer
	bb.Grow(int(min(info.Size, 4096)))
	if _, err := io.CopyN(&bb, d.r, info.Size); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	buf := bb.Bytes()
	d.total += info.Size
	if !info.Binary {
		for _, c := range buf {
			if c == 0 {
				return nil, syntaxf("NUL in literal")
			}
		}
	}
	return buf, nil
}

// LiteralReader reads a literal's announcement and returns a reader of
// its bytes, for literals too large to hold (APPEND, BODY[] in FETCH
// responses). Only OnLiteral bounds its size. Whatever the caller does
// not read is discarded by the next read from the Decoder.
func (d *Decoder) LiteralReader(binary bool) (io.Reader, LiteralInfo, error) {
	info, err := d.literalHeader(binary, -1)
	if err != nil {
		return nil, info, err
	}
	d.pending = info.Size
	return &literalReader{d: d}, info, nil
}

type literalReader struct{ d *Decoder }

func (l *literalReader) Read(p []byte) (int, error) {
	d := l.d
	if d.pending <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > d.pending {
		p = p[:d.pending]
	}
	n, err := d.r.Read(p)
	d.pending -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// SkipLine discards the rest of the current line so that the next read
// starts a new command or response. A non-synchronising literal the
// line announces is discarded with it when it is no larger than
// Limits.MaxDiscard; a synchronising one ends the line, since the peer
// waits for a continuation request (RFC 9051 7.5).
func (d *Decoder) SkipLine() error {
	if err := d.drain(); err != nil {
		return err
	}
	if d.lineOver {
		d.lineOver = false
		return nil
	}
	var tail [24]byte
	nt := 0
	for {
		b, err := d.r.ReadByte()
		if err != nil {
			return err
		}
		if err := d.count(1); err == ErrLineTooLong {
			return err
		}
		if b != '\n' {
			if nt == len(tail) {
				copy(tail[:], tail[1:])
				nt--
			}
			tail[nt] = b
			nt++
			continue
		}
		d.line = 0
		size, sync, ok := trailingLiteral(string(tail[:nt]))
		if !ok || sync && !d.responses {
			return nil
		}
		if size > d.lim.MaxDiscard {
			return ErrLiteralTooBig
		}
		if _, err := io.CopyN(io.Discard, d.r, size); err != nil {
			return err
		}
		nt = 0
	}
}

// trailingLiteral finds a literal announcement "{n}\r" or "{n+}\r" at
// the end of s.
func trailingLiteral(s string) (size int64, sync, ok bool) {
	s, found := strings.CutSuffix(s, "}\r")
	if !found {
		return 0, false, false
	}
	i := strings.LastIndexByte(s, '{')
	if i < 0 {
		return 0, false, false
	}
	num := s[i+1:]
	num, plus := strings.CutSuffix(num, "+")
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, false, false
	}
	return n, !plus, true
}
