package message

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidDate is returned (wrapped) by ParseDate for a value it cannot
// read as a date.
var ErrInvalidDate = errors.New("message: invalid date")

// dateUnknownZone is the zone of a time whose offset from UTC is unknown:
// "-0000" in RFC 5322 3.3.
var dateUnknownZone = time.FixedZone("-0000", 0)

// ParseDate parses a date-time such as the value of a Date field (RFC 5322
// 3.3, with the obsolete forms of 4.3 and the malformed ones real mail
// carries).
//
// It accepts an optional day of week (abbreviated or spelled out, any
// case, its value ignored), a 1- or 2-digit day, a month name (abbreviated
// or spelled out, any case), and a year of 2 digits (00-49 are 2000-2049,
// 50-99 are 1950-1999), 3 digits (plus 1900) or 4 digits; the month may
// come before the day ("Mar 3 2026"), the ctime layout "Tue Mar 3 10:20:30
// 2026" and the ISO layout "2026-03-03 10:20:30" are read too. Seconds are
// optional; ":" or "." separate the parts of the time; comments and white
// space may appear between the tokens. A second of 60 (a leap second, RFC
// 5322 3.3) is read as the first second of the next minute.
//
// The zone may be "+hhmm", "+hh:mm", "UT", "UTC" or "GMT", "GMT+hhmm", or one
// of the US zones of RFC 5322 4.3 (EST, EDT, CST, CDT, MST, MDT, PST, PDT).
// A military single-letter zone, another alphabetic zone, a missing zone
// and "-0000" itself all mean that the offset is unknown (RFC 5322 3.3,
// 4.3): the time is then returned in UTC in a zone named "-0000", which
// callers can test with t.Location().String() == "-0000", and which
// FormatDate writes back as "-0000". Anything after the zone is ignored.
//
// The day must exist in its month and the time must be in range; the day
// of week is not checked against the date.
func ParseDate(s string) (time.Time, error) {
	d := dateScanner{s: s}
	t, err := d.parse()
	if err != nil {
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		return time.Time{}, fmt.Errorf("%w: %s in %q", ErrInvalidDate, err.Error(), s)
	}
	return t, nil
}

// FormatDate returns t in the RFC 5322 3.3 form "Mon, 02 Jan 2006 15:04:05
// -0700". A time in the "-0000" zone that ParseDate returns for an unknown
// offset is written with "-0000".
func FormatDate(t time.Time) string {
	if t.Location().String() == "-0000" {
		if _, off := t.Zone(); off == 0 {
			return t.Format("Mon, 02 Jan 2006 15:04:05") + " -0000"
		}
	}
	return t.Format("Mon, 02 Jan 2006 15:04:05 -0700")
}

// dateScanner reads the tokens of a date-time.
type dateScanner struct {
	s string
	i int
}

// skip skips white space and comments (RFC 5322 3.2.2 CFWS) as addresses
// do.
func (d *dateScanner) skip() {
	if d.i < len(d.s) && d.s[d.i] > ' ' && d.s[d.i] != '(' {
		return
	}
	a := addrParser{s: d.s, i: d.i}
	a.skipCFWS()
	d.i = a.i
}

func (d *dateScanner) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// accept consumes c, after CFWS, if it comes next.
func (d *dateScanner) accept(c byte) bool {
	save := d.i
	d.skip()
	if d.peek() == c {
		d.i++
		return true
	}
	d.i = save
	return false
}

// number reads a run of digits after CFWS: its value and length. Runs
// longer than 9 digits are refused.
func (d *dateScanner) number() (n, digits int) {
	d.skip()
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		if d.i-start < 9 {
			n = n*10 + int(d.s[d.i]-'0')
		}
		d.i++
	}
	digits = d.i - start
	if digits > 9 {
		return 0, 0
	}
	return n, digits
}

// word reads a run of ASCII letters after CFWS.
func (d *dateScanner) word() string {
	d.skip()
	start := d.i
	for d.i < len(d.s) && dateIsLetter(d.s[d.i]) {
		d.i++
	}
	return d.s[start:d.i]
}

func dateIsLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func dateIsDigit(c byte) bool { return c >= '0' && c <= '9' }

var dateMonths = [...]string{"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december"}

var dateDays = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// dateLookup returns the index of the name of which w is the full name or
// a prefix of at least three letters ("Mar", "March", "Sept"), or -1.
func dateLookup(names []string, w string) int {
	if len(w) < 3 {
		return -1
	}
	for i, n := range names {
		if len(w) <= len(n) && strings.EqualFold(w, n[:len(w)]) {
			return i
		}
	}
	return -1
}

func (d *dateScanner) parse() (time.Time, error) {
	var day, month, year, yearDigits int
	var hour, min, sec int
	iso := false

	d.skip()
	// RFC 5322 3.3 day-of-week; 4.3 obs-day-of-week.
	if dateIsLetter(d.peek()) {
		save := d.i
		if w := d.word(); dateLookup(dateDays[:], w) >= 0 {
			if !d.accept(',') {
				d.accept('.')
			}
		} else {
			d.i = save
		}
	}
	d.skip()

	switch c := d.peek(); {
	case dateIsDigit(c):
		n, nd := d.number()
		if nd == 4 && d.peek() == '-' {
			// ISO 8601: 2026-03-03[T ]10:20:30
			iso = true
			year, yearDigits = n, 4
			d.i++
			if month, nd = d.number(); nd == 0 || nd > 2 || d.peek() != '-' {
				return time.Time{}, errors.New("bad ISO date")
			}
			d.i++
			if day, nd = d.number(); nd == 0 || nd > 2 {
				return time.Time{}, errors.New("bad ISO date")
			}
			if c := d.peek(); c == 'T' || c == 't' {
				d.i++
			}
			break
		}
		if nd == 0 || nd > 2 {
			return time.Time{}, errors.New("bad day")
		}
		day = n
		d.accept('-') // "3-Mar-2026"
		if month = dateLookup(dateMonths[:], d.word()) + 1; month == 0 {
			return time.Time{}, errors.New("bad month")
		}
		d.accept('-')
		if d.accept(',') {
			d.skip()
		}
		if year, yearDigits = d.number(); yearDigits == 0 {
			return time.Time{}, errors.New("missing year")
		}
	case dateIsLetter(c):
		// Month first: "Mar 3 2026 10:20:30", "March 3, 2026", or the
		// ctime layout "Mar  3 10:20:30 2026".
		if month = dateLookup(dateMonths[:], d.word()) + 1; month == 0 {
			return time.Time{}, errors.New("bad month")
		}
		var nd int
		if day, nd = d.number(); nd == 0 || nd > 2 {
			return time.Time{}, errors.New("bad day")
		}
		d.accept(',')
		save := d.i
		n, nd := d.number()
		if nd == 0 {
			return time.Time{}, errors.New("missing year")
		}
		d.skip()
		if c := d.peek(); (c == ':' || c == '.') && nd <= 2 {
			// ctime: the time comes before the year.
			d.i = save
			var err error
			if hour, min, sec, err = d.timeOfDay(); err != nil {
				return time.Time{}, err
			}
			loc, zoneErr := d.zone(false)
			if year, yearDigits = d.number(); yearDigits == 0 {
				return time.Time{}, errors.New("missing year")
			}
			if zoneErr != nil {
				// "Tue Mar  3 10:20:30 2026 +0100"
				loc, _ = d.zone(false)
			}
			return dateBuild(year, yearDigits, month, day, hour, min, sec, loc)
		}
		year, yearDigits = n, nd
	default:
		return time.Time{}, errors.New("no date")
	}

	hour, min, sec, err := d.timeOfDay()
	if err != nil {
		return time.Time{}, err
	}
	loc, _ := d.zone(iso)
	return dateBuild(year, yearDigits, month, day, hour, min, sec, loc)
}

// timeOfDay reads hour ":" minute [":" second] (RFC 5322 3.3 time-of-day,
// 4.3 obs-hour etc.), with "." accepted as the separator.
func (d *dateScanner) timeOfDay() (hour, min, sec int, err error) {
	var nd int
	if hour, nd = d.number(); nd == 0 || nd > 2 {
		return 0, 0, 0, errors.New("bad hour")
	}
	if !d.accept(':') && !d.accept('.') {
		return 0, 0, 0, errors.New("bad time")
	}
	if min, nd = d.number(); nd == 0 || nd > 2 {
		return 0, 0, 0, errors.New("bad minute")
	}
	save := d.i
	if d.accept(':') || d.accept('.') {
		if sec, nd = d.number(); nd == 0 || nd > 2 {
			// "10:20." followed by something else: no seconds.
			d.i = save
			sec = 0
		} else if d.accept('.') {
			d.number() // fractions of a second (not RFC 5322): dropped
		}
	}
	if hour > 23 || min > 59 || sec > 60 {
		return 0, 0, 0, errors.New("time out of range")
	}
	return hour, min, sec, nil
}

// dateZones are the obsolete zones of RFC 5322 4.3 with a known offset.
var dateZones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

// zone reads the zone (RFC 5322 3.3 zone, 4.3 obs-zone). It returns the
// unknown zone and an error when there is none or it has no known meaning.
// In the ISO layout "Z" means UTC.
func (d *dateScanner) zone(iso bool) (*time.Location, error) {
	d.skip()
	switch c := d.peek(); {
	case c == '+' || c == '-':
		return d.numericZone()
	case dateIsLetter(c):
		w := d.word()
		if iso && (w == "Z" || w == "z") {
			return time.UTC, nil
		}
		up := strings.ToUpper(w)
		h, ok := dateZones[up]
		if !ok {
			// Military zones and others: unknown offset (RFC 5322 4.3).
			return dateUnknownZone, errors.New("unknown zone")
		}
		if h == 0 {
			// "GMT+0100", "UTC-05:00": the offset written after.
			if c := d.peek(); c == '+' || c == '-' {
				if loc, err := d.numericZone(); err == nil {
					return loc, nil
				}
			}
			return time.UTC, nil
		}
		return time.FixedZone(up, h*3600), nil
	}
	return dateUnknownZone, errors.New("missing zone")
}

// numericZone reads "+hhmm", "+hh:mm" or "+hh" at a sign.
func (d *dateScanner) numericZone() (*time.Location, error) {
	sign := 1
	if d.s[d.i] == '-' {
		sign = -1
	}
	d.i++
	start := d.i
	for d.i < len(d.s) && dateIsDigit(d.s[d.i]) && d.i-start < 4 {
		d.i++
	}
	digits := d.s[start:d.i]
	var hh, mm int
	switch len(digits) {
	case 4:
		hh = int(digits[0]-'0')*10 + int(digits[1]-'0')
		mm = int(digits[2]-'0')*10 + int(digits[3]-'0')
	case 2, 1:
		for _, c := range []byte(digits) {
			hh = hh*10 + int(c-'0')
		}
		if d.peek() == ':' && d.i+2 < len(d.s) &&
			dateIsDigit(d.s[d.i+1]) && dateIsDigit(d.s[d.i+2]) {
			mm = int(d.s[d.i+1]-'0')*10 + int(d.s[d.i+2]-'0')
			d.i += 3
		}
	default:
		return dateUnknownZone, errors.New("bad zone")
	}
	if mm > 59 {
		return dateUnknownZone, errors.New("bad zone")
	}
	off := sign * (hh*3600 + mm*60)
	if off == 0 {
		if sign < 0 {
			return dateUnknownZone, nil // "-0000": RFC 5322 3.3
		}
		return time.UTC, nil
	}
	return time.FixedZone("", off), nil
}

// dateBuild checks the fields and makes the time. Years are read as RFC
// 5322 4.3 says.
func dateBuild(year, yearDigits, month, day, hour, min, sec int, loc *time.Location) (time.Time, error) {
	switch {
	case yearDigits < 2:
		return time.Time{}, errors.New("bad year")
	case yearDigits == 2 && year < 50:
		year += 2000
	case yearDigits <= 3:
		year += 1900
	case yearDigits > 4:
		return time.Time{}, errors.New("bad year")
	}
	if month < 1 || month > 12 || day < 1 || day > dateDaysIn(month, year) {
		return time.Time{}, errors.New("no such day")
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, loc), nil
}

func dateDaysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
