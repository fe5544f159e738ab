package netserver

import "bufio"

// ReadLine reads a line ending in LF (CRLF, or a bare LF tolerated) of at
// most max octets, line end included, and returns it without its line
// end. A longer line is read to its end and discarded, and tooLong is
// returned: the stream stays in step and the caller may answer and go
// on. The line returned may point into br's buffer: it is valid only
// until the next read from br.
func ReadLine(br *bufio.Reader, max int, tooLong error) ([]byte, error) {
	part, err := br.ReadSlice('\n')
	if err == nil && len(part) <= max {
		// The whole line was buffered: no copy.
		return trimEOL(part), nil
	}
	var buf []byte
	long := false
	for {
		if !long {
			if len(buf)+len(part) > max {
				long = true
				buf = nil
			} else {
				buf = append(buf, part...)
			}
		}
		if err == bufio.ErrBufferFull {
			part, err = br.ReadSlice('\n')
			continue
		}
		if err != nil {
			return nil, err
		}
		if long {
			return nil, tooLong
		}
		return trimEOL(buf), nil
	}
}

// trimEOL removes the LF, or CRLF, that ends b.
func trimEOL(b []byte) []byte {
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}
