package mime

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"

	"github.com/postkit/postkit/internal/textutil"
)

// ErrUnknownCharset is matched (with errors.Is) by every *UnknownCharsetError.
var ErrUnknownCharset = errors.New("mime: unknown charset")

// ErrUnrepresentable is matched (with errors.Is) by the error EncodeCharset
// returns when the text has a character the charset cannot represent.
var ErrUnrepresentable = errors.New("mime: character not representable in charset")

// An UnknownCharsetError reports a charset name that no decoder is known for.
type UnknownCharsetError struct {
	Charset string
}

// Error returns the message, with the charset name quoted.
func (e *UnknownCharsetError) Error() string {
	return fmt.Sprintf("mime: unknown charset %q", e.Charset)
}

// Is reports whether target is ErrUnknownCharset.
func (e *UnknownCharsetError) Is(target error) bool { return target == ErrUnknownCharset }

// charsetAliases lists every encoding the package knows with the names it is
// known by: the IANA name and aliases (https://www.iana.org/assignments/
// character-sets) and the spellings mailers really send. Names are matched
// after normalisation (see normCharset), so "ISO_8859-1", "iso8859-1" and
// "x-iso-8859-1" need no entries of their own.
var charsetAliases = []struct {
	enc   encoding.Encoding
	names []string
}{
	// RFC 6532 and the UTF-8 spellings of old mailers.
	{unicode.UTF8, []string{"utf-8", "unicode-1-1-utf-8", "unicode-2-0-utf-8", "unicode20utf8", "csutf8"}},
	// RFC 2046 4.1.2: US-ASCII is the default charset. 8-bit text labelled
	// US-ASCII is nearly always UTF-8, so it decodes as UTF-8.
	{usASCII, []string{"us-ascii", "ascii", "us", "ansi_x3.4-1968", "ansi_x3.4-1986", "iso-ir-6",
		"iso_646.irv:1991", "iso646-us", "iso-646", "646", "ibm367", "cp367", "csascii"}},
	{utf7Encoding{}, []string{"utf-7", "unicode-1-1-utf-7", "csunicode11utf7"}},
	// RFC 2781: UTF-16 honours a byte order mark; without one it is
	// big-endian unless the text looks little-endian (see utf16Sniffer).
	// UTF-16LE and UTF-16BE honour a leading BOM too (senders put one there
	// more often than not) but never write one. Microsoft's "unicode" is
	// UTF-16LE.
	{utf16Sniffing{}, []string{"utf-16", "ucs-2", "iso-10646-ucs-2", "csunicode", "csutf16"}},
	{utf16NoWriteBOM(unicode.LittleEndian), []string{"utf-16le", "ucs-2le", "unicode", "csutf16le"}},
	{utf16NoWriteBOM(unicode.BigEndian), []string{"utf-16be", "ucs-2be", "unicodefffe", "csutf16be"}},
	{utf32.UTF32(utf32.BigEndian, utf32.UseBOM), []string{"utf-32", "ucs-4", "iso-10646-ucs-4", "csucs4", "csutf32"}},
	{utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), []string{"utf-32le", "csutf32le"}},
	{utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), []string{"utf-32be", "csutf32be"}},

	// ISO 8859. ISO-8859-1 is strict Latin-1 here, not windows-1252 as
	// WHATWG would have it: mail is labelled by mailers, not browsers.
	{charmap.ISO8859_1, []string{"iso-8859-1", "iso_8859-1:1987", "latin1", "latin-1", "l1", "iso-ir-100",
		"ibm819", "cp819", "csisolatin1", "8859-1"}},
	{charmap.ISO8859_2, []string{"iso-8859-2", "iso_8859-2:1987", "latin2", "l2", "iso-ir-101", "csisolatin2", "ibm912", "cp912", "8859-2"}},
	{charmap.ISO8859_3, []string{"iso-8859-3", "iso_8859-3:1988", "latin3", "l3", "iso-ir-109", "csisolatin3", "8859-3"}},
	{charmap.ISO8859_4, []string{"iso-8859-4", "iso_8859-4:1988", "latin4", "l4", "iso-ir-110", "csisolatin4", "8859-4"}},
	{charmap.ISO8859_5, []string{"iso-8859-5", "iso_8859-5:1988", "cyrillic", "iso-ir-144", "csisolatincyrillic", "ibm915", "cp915", "8859-5"}},
	{charmap.ISO8859_6, []string{"iso-8859-6", "iso_8859-6:1987", "iso-8859-6-e", "iso-8859-6-i", "arabic", "iso-ir-127",
		"ecma-114", "asmo-708", "csisolatinarabic", "csiso88596e", "csiso88596i", "8859-6"}},
	{charmap.ISO8859_7, []string{"iso-8859-7", "iso_8859-7:1987", "greek", "greek8", "iso-ir-126", "ecma-118",
		"elot_928", "csisolatingreek", "sun_eu_greek", "8859-7"}},
	// ISO-8859-8-I (RFC 1556, logical order) and -E have the same repertoire.
	{charmap.ISO8859_8, []string{"iso-8859-8", "iso_8859-8:1988", "iso-8859-8-i", "iso-8859-8-e", "hebrew", "iso-ir-138",
		"csisolatinhebrew", "csiso88598i", "csiso88598e", "visual", "logical", "8859-8"}},
	{charmap.ISO8859_9, []string{"iso-8859-9", "iso_8859-9:1989", "latin5", "l5", "iso-ir-148", "csisolatin5", "ibm920", "cp920", "8859-9"}},
	{charmap.ISO8859_10, []string{"iso-8859-10", "iso_8859-10:1992", "latin6", "l6", "iso-ir-157", "csisolatin6", "8859-10"}},
	// TIS-620 and ISO-8859-11 are windows-874 less its C1 additions.
	{charmap.Windows874, []string{"windows-874", "cp874", "ms874", "dos-874", "win874", "iso-8859-11", "tis-620",
		"tis-620-2533", "iso-ir-166", "cstis620", "cswindows874", "8859-11"}},
	{charmap.ISO8859_13, []string{"iso-8859-13", "latin7", "l7", "csiso885913", "8859-13"}},
	{charmap.ISO8859_14, []string{"iso-8859-14", "iso_8859-14:1998", "latin8", "l8", "iso-ir-199", "iso-celtic", "csiso885914", "8859-14"}},
	{charmap.ISO8859_15, []string{"iso-8859-15", "latin9", "l9", "latin0", "csiso885915", "8859-15"}},
	{charmap.ISO8859_16, []string{"iso-8859-16", "iso_8859-16:2001", "latin10", "l10", "iso-ir-226", "csiso885916", "8859-16"}},

	// Windows code pages, with the "cp", "win", "ms" and Java spellings.
	{charmap.Windows1250, []string{"windows-1250", "cp1250", "win1250", "ms1250", "ms-ee", "cswindows1250"}},
	{charmap.Windows1251, []string{"windows-1251", "cp1251", "win1251", "ms1251", "ms-cyrl", "cswindows1251"}},
	{charmap.Windows1252, []string{"windows-1252", "cp1252", "win1252", "ms1252", "ms-ansi", "cswindows1252"}},
	{charmap.Windows1253, []string{"windows-1253", "cp1253", "win1253", "ms1253", "ms-greek", "cswindows1253"}},
	{charmap.Windows1254, []string{"windows-1254", "cp1254", "win1254", "ms1254", "ms-turk", "cswindows1254"}},
	{charmap.Windows1255, []string{"windows-1255", "cp1255", "win1255", "ms1255", "ms-hebr", "cswindows1255"}},
	{charmap.Windows1256, []string{"windows-1256", "cp1256", "win1256", "ms1256", "ms-arab", "cswindows1256"}},
	{charmap.Windows1257, []string{"windows-1257", "cp1257", "win1257", "ms1257", "winbaltrim", "cswindows1257"}},
	{charmap.Windows1258, []string{"windows-1258", "cp1258", "win1258", "ms1258", "cswindows1258"}},

	// Cyrillic and Macintosh.
	{charmap.KOI8R, []string{"koi8-r", "koi8", "cskoi8r"}},
	{charmap.KOI8U, []string{"koi8-u", "koi8-ru", "cskoi8u"}},
	{charmap.Macintosh, []string{"macintosh", "mac", "mac-roman", "macroman", "csmacintosh"}},
	{charmap.MacintoshCyrillic, []string{"mac-cyrillic", "maccyrillic", "mac-ukrainian"}},

	// IBM and DOS code pages.
	{charmap.CodePage037, []string{"ibm037", "cp037", "ebcdic-cp-us", "ebcdic-cp-ca", "ebcdic-cp-wt", "ebcdic-cp-nl", "csibm037"}},
	{charmap.CodePage437, []string{"ibm437", "cp437", "437", "cspc8codepage437"}},
	{charmap.CodePage850, []string{"ibm850", "cp850", "850", "cspc850multilingual"}},
	{charmap.CodePage852, []string{"ibm852", "cp852", "852", "cspcp852"}},
	{charmap.CodePage855, []string{"ibm855", "cp855", "855", "csibm855"}},
	{charmap.CodePage858, []string{"ibm00858", "ibm858", "cp858", "ccsid00858", "cp00858", "pc-multilingual-850+euro", "csibm00858"}},
	{charmap.CodePage860, []string{"ibm860", "cp860", "860", "csibm860"}},
	{charmap.CodePage862, []string{"ibm862", "cp862", "862", "cspc862latinhebrew"}},
	{charmap.CodePage863, []string{"ibm863", "cp863", "863", "csibm863"}},
	{charmap.CodePage865, []string{"ibm865", "cp865", "865", "csibm865"}},
	{charmap.CodePage866, []string{"ibm866", "cp866", "866", "csibm866"}},
	{charmap.CodePage1047, []string{"ibm1047", "cp1047", "csibm1047"}},
	{charmap.CodePage1140, []string{"ibm01140", "ibm1140", "cp1140", "ccsid01140", "cp01140", "ebcdic-us-37+euro", "csibm01140"}},

	// Japanese. The Shift_JIS decoder is Microsoft's cp932 (WHATWG), which
	// is what Shift_JIS mail is written in.
	{japanese.ShiftJIS, []string{"shift_jis", "sjis", "ms_kanji", "csshiftjis", "ms932", "cp932", "windows-31j",
		"cswindows31j", "windows-932", "win932", "ms-cp932", "shift_jisx0213"}},
	{japanese.ISO2022JP, []string{"iso-2022-jp", "csiso2022jp", "jis"}},
	{japanese.EUCJP, []string{"euc-jp", "ujis", "cseucpkdfmtjapanese", "extended_unix_code_packed_format_for_japanese", "eucjp-ms", "eucjp-win"}},

	// Chinese. GB2312 mail is decoded as GBK, its superset: mailers label
	// GBK text GB2312 (and the decoders of every mail reader agree).
	{simplifiedchinese.GBK, []string{"gbk", "gb2312", "gb_2312", "gb_2312-80", "csgb2312", "euc-cn", "chinese",
		"iso-ir-58", "csiso58gb231280", "cp936", "ms936", "windows-936", "win936", "csgbk"}},
	{simplifiedchinese.GB18030, []string{"gb18030", "gb18030-2000", "gb18030-2005", "gb18030-2022", "csgb18030"}},
	{simplifiedchinese.HZGB2312, []string{"hz-gb-2312", "hz"}},
	// The WHATWG Big5 decoder includes the HKSCS extensions.
	{traditionalchinese.Big5, []string{"big5", "csbig5", "cn-big5", "big5-hkscs", "cp950", "ms950", "windows-950", "win950"}},

	// Korean. EUC-KR decodes as Unified Hangul Code (cp949), its superset;
	// KS_C_5601-1987 is what Outlook calls it.
	{korean.EUCKR, []string{"euc-kr", "cseuckr", "ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601",
		"ksc_5601", "iso-ir-149", "csksc56011987", "korean", "cp949", "ms949", "windows-949", "win949", "uhc"}},
}

// maxCharsetKey bounds the length of a normalised charset name; longer names
// are unknown. The longest name in charsetAliases is well under it.
const maxCharsetKey = 64

// charsetTable maps normalised names to encodings. It is built once, on
// first use.
var charsetTable = sync.OnceValue(func() map[string]encoding.Encoding {
	m, _ := buildCharsetTable()
	return m
})

// buildCharsetTable builds the name table and reports the names that were
// listed for two different encodings (a test keeps that list empty).
func buildCharsetTable() (map[string]encoding.Encoding, []string) {
	m := make(map[string]encoding.Encoding, 512)
	var clashes []string
	var buf [maxCharsetKey]byte
	for _, e := range charsetAliases {
		for _, name := range e.names {
			key, ok := normCharset(&buf, name)
			if !ok {
				clashes = append(clashes, name)
				continue
			}
			if old, dup := m[string(key)]; dup && old != e.enc {
				clashes = append(clashes, name)
				continue
			}
			m[string(key)] = e.enc
		}
	}
	return m, clashes
}

// normCharset writes the comparison key for a charset name into buf and
// returns it. It trims surrounding white space and quotes, drops a
// "charset=" or "x-" prefix, and then applies the charset alias matching of
// Unicode Technical Standard #22 (section 1.4): letters are folded to lower
// case, characters other than letters and digits are dropped, and a "0"
// that does not follow a digit and is followed by one is dropped. So
// "ISO_8859-1", "iso8859-1" and "ISO-8859-01" all give "iso88591". It
// reports false for an empty or over-long name.
func normCharset(buf *[maxCharsetKey]byte, name string) ([]byte, bool) {
	name = strings.Trim(name, " \t\r\n\"'")
	// A parameter garbled into its own value: charset="charset=utf-8".
	if len(name) > 8 && strings.EqualFold(name[:8], "charset=") {
		name = strings.Trim(name[8:], " \t\"'")
	}
	if len(name) > 2 && (name[0] == 'x' || name[0] == 'X') && (name[1] == '-' || name[1] == '_') {
		name = name[2:]
	}
	n := 0
	afterDigit := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
			afterDigit = false
		case 'a' <= c && c <= 'z':
			afterDigit = false
		case c == '0':
			if !afterDigit && i+1 < len(name) && '0' <= name[i+1] && name[i+1] <= '9' {
				continue
			}
			afterDigit = true
		case '1' <= c && c <= '9':
			afterDigit = true
		default:
			afterDigit = false
			continue
		}
		if n == len(buf) {
			return nil, false
		}
		buf[n] = c
		n++
	}
	if n == 0 {
		return nil, false
	}
	return buf[:n], true
}

// lookupCharset finds the encoding for a charset name. It does not allocate.
func lookupCharset(name string) (encoding.Encoding, bool) {
	var buf [maxCharsetKey]byte
	key, ok := normCharset(&buf, name)
	if !ok {
		return nil, false
	}
	enc, ok := charsetTable()[string(key)]
	return enc, ok
}

// CharsetEncoding returns the encoding for an IANA charset name or one of the
// aliases mailers send. Names are matched case-insensitively, ignoring
// surrounding whitespace and quotes, an "x-" prefix, and punctuation, so
// "ISO_8859-1", "iso8859-1" and "x-iso-8859-1" are the same charset. It
// returns an *UnknownCharsetError when the name is not known. An empty name
// is US-ASCII, the default of RFC 2045 5.2.
//
// US-ASCII decodes as UTF-8 with invalid sequences replaced by U+FFFD, since
// 8-bit text labelled US-ASCII is nearly always UTF-8; it encodes ASCII only.
// ISO-8859-1 is strict Latin-1 (not windows-1252); GB2312 decodes as GBK;
// EUC-KR and KS_C_5601-1987 as cp949; Shift_JIS as cp932; UTF-16 honours a
// byte order mark (RFC 2781).
func CharsetEncoding(name string) (encoding.Encoding, error) {
	if strings.Trim(name, " \t\r\n\"'") == "" {
		return usASCII, nil
	}
	if enc, ok := lookupCharset(name); ok {
		return enc, nil
	}
	return nil, &UnknownCharsetError{Charset: name}
}

// DecodeCharset converts b from charset to UTF-8. Bytes that are invalid in
// the charset become U+FFFD; the result is always valid UTF-8. For an unknown
// charset it returns the bytes read as UTF-8 (invalid sequences replaced) and
// an *UnknownCharsetError.
func DecodeCharset(charset string, b []byte) (string, error) {
	enc, err := CharsetEncoding(charset)
	if err != nil {
		return validUTF8(b), err
	}
	return decodeWith(enc, b), nil
}

// decodeWith converts b from enc to valid UTF-8.
func decodeWith(enc encoding.Encoding, b []byte) string {
	if isASCII(b) && asciiCompatible(enc) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/2)
	appendDecoded(&sb, enc, b)
	return sb.String()
}

// asciiCompatible reports whether enc decodes every 7-bit byte string as
// itself. (UTF-7 does not: "+" starts a base64 run.)
func asciiCompatible(enc encoding.Encoding) bool {
	switch e := enc.(type) {
	case asciiEncoding:
		return true
	case *charmap.Charmap:
		return !isEBCDIC(e)
	}
	switch enc {
	case unicode.UTF8, japanese.ShiftJIS, japanese.EUCJP, simplifiedchinese.GBK,
		simplifiedchinese.GB18030, traditionalchinese.Big5, korean.EUCKR:
		return true
	}
	return false
}

// appendDecoded converts b from enc and writes the valid UTF-8 result to sb.
func appendDecoded(sb *strings.Builder, enc encoding.Encoding, b []byte) {
	if m, ok := enc.(*charmap.Charmap); ok {
		ebcdic := isEBCDIC(m)
		for _, c := range b {
			if c < utf8.RuneSelf && !ebcdic {
				sb.WriteByte(c)
				continue
			}
			sb.WriteRune(m.DecodeByte(c))
		}
		return
	}
	if enc == unicode.UTF8 || enc == usASCII {
		if utf8.Valid(b) {
			sb.Write(b)
		} else {
			appendValidUTF8(sb, string(b))
		}
		return
	}
	out, _, err := transform.Bytes(newDecoder(enc), b)
	if utf8.Valid(out) {
		sb.Write(out)
	} else {
		appendValidUTF8(sb, string(out))
	}
	if err != nil {
		// out is what was converted before the decoder gave up.
		sb.WriteString("\uFFFD")
	}
}

// newDecoder returns a decoder for enc that turns a truncated sequence at
// the end of the input into U+FFFD, as not every x/text decoder does.
func newDecoder(enc encoding.Encoding) transform.Transformer {
	return &eofDecoder{enc.NewDecoder()}
}

// eofDecoder wraps a decoder that may report ErrShortSrc at the end of the
// input.
type eofDecoder struct{ t transform.Transformer }

func (d *eofDecoder) Reset() { d.t.Reset() }

func (d *eofDecoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	nDst, nSrc, err = d.t.Transform(dst, src, atEOF)
	if err == transform.ErrShortSrc && atEOF && nSrc < len(src) {
		if len(dst)-nDst < utf8.RuneLen(utf8.RuneError) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], "\uFFFD")
		nSrc, err = len(src), nil
	}
	return nDst, nSrc, err
}

// isEBCDIC reports whether m is one of the charmaps that are not ASCII
// supersets.
func isEBCDIC(m *charmap.Charmap) bool {
	return m == charmap.CodePage037 || m == charmap.CodePage1047 || m == charmap.CodePage1140
}

// EncodeCharset converts s to charset. Invalid UTF-8 in s is taken as U+FFFD.
// It returns an *UnknownCharsetError for an unknown charset and an error
// matching ErrUnrepresentable when s has a character the charset lacks.
//
// The conversion is exact: a character that the charset's encoder would
// replace by a look-alike, so that the result would not decode back to s,
// counts as missing. For ISO-2022-JP that includes half-width katakana and
// ESC, SO and SI, which RFC 1468 does not allow.
func EncodeCharset(charset, s string) ([]byte, error) {
	enc, err := CharsetEncoding(charset)
	if err != nil {
		return nil, err
	}
	s = validText(s)
	if enc == unicode.UTF8 {
		return []byte(s), nil
	}
	var e *encoding.Encoder
	var scratch []byte
	out, bad := appendCharsetExact(make([]byte, 0, len(s)+len(s)/4), enc, &e, &scratch, s)
	if bad >= 0 {
		return nil, unrepresentable(s, bad, 0, charset)
	}
	return out, nil
}

// NewCharsetReader returns a reader that converts r from charset to UTF-8,
// with invalid input replaced by U+FFFD. For an unknown charset it returns
// nil and an *UnknownCharsetError.
func NewCharsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := CharsetEncoding(charset)
	if err != nil {
		return nil, err
	}
	return transform.NewReader(r, newDecoder(enc)), nil
}

// NewCharsetDecoder returns the transformer NewCharsetReader reads
// through, converting from charset to UTF-8 with invalid input replaced
// by U+FFFD, for a caller that converts many texts with buffers of its
// own (Reset it between texts). For an unknown charset it returns nil
// and an *UnknownCharsetError.
func NewCharsetDecoder(charset string) (transform.Transformer, error) {
	enc, err := CharsetEncoding(charset)
	if err != nil {
		return nil, err
	}
	return newDecoder(enc), nil
}

// asciiEncoding is US-ASCII as mail uses it: it decodes as UTF-8 (invalid
// sequences become U+FFFD) and encodes ASCII only.
type asciiEncoding struct{}

var usASCII encoding.Encoding = asciiEncoding{}

func (asciiEncoding) NewDecoder() *encoding.Decoder { return unicode.UTF8.NewDecoder() }

func (asciiEncoding) NewEncoder() *encoding.Encoder {
	return &encoding.Encoder{Transformer: asciiEncoder{}}
}

func (asciiEncoding) String() string { return "US-ASCII" }

// asciiEncoder copies ASCII and fails on anything else.
type asciiEncoder struct{ transform.NopResetter }

func (asciiEncoder) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c >= utf8.RuneSelf {
			return nDst, nSrc, ErrUnrepresentable
		}
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		dst[nDst] = c
		nDst++
		nSrc++
	}
	return nDst, nSrc, nil
}

// splitEncoding decodes with one encoding and encodes with another.
type splitEncoding struct {
	dec, enc encoding.Encoding
	name     string
}

func (e splitEncoding) NewDecoder() *encoding.Decoder { return e.dec.NewDecoder() }
func (e splitEncoding) NewEncoder() *encoding.Encoder { return e.enc.NewEncoder() }
func (e splitEncoding) String() string                { return e.name }

// utf16NoWriteBOM is UTF-16 in byte order e that honours a leading byte
// order mark when decoding and writes none when encoding.
func utf16NoWriteBOM(e unicode.Endianness) encoding.Encoding {
	name := "UTF-16BE"
	if e == unicode.LittleEndian {
		name = "UTF-16LE"
	}
	return splitEncoding{dec: unicode.UTF16(e, unicode.UseBOM), enc: unicode.UTF16(e, unicode.IgnoreBOM), name: name}
}

// utf16Sniffing is UTF-16 as labelled "UTF-16" in mail. RFC 2781 4.3 says
// text without a byte order mark is big-endian, but Windows writes
// little-endian without one, so the decoder looks at the start of the text:
// a byte order mark decides; otherwise more zero octets in odd than in even
// positions (Latin text in little-endian) means little-endian. It encodes
// big-endian with a byte order mark.
type utf16Sniffing struct{}

func (utf16Sniffing) NewDecoder() *encoding.Decoder {
	return &encoding.Decoder{Transformer: &utf16Sniffer{}}
}

func (utf16Sniffing) NewEncoder() *encoding.Encoder {
	return unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder()
}

func (utf16Sniffing) String() string { return "UTF-16" }

// utf16SniffLen is how much of the text utf16Sniffer looks at.
const utf16SniffLen = 256

// utf16Sniffer picks the byte order from the start of the text and then
// decodes with it.
type utf16Sniffer struct {
	t transform.Transformer // nil until chosen
}

func (d *utf16Sniffer) Reset() { d.t = nil }

func (d *utf16Sniffer) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	if d.t == nil {
		if len(src) < utf16SniffLen && !atEOF {
			return 0, 0, transform.ErrShortSrc
		}
		order := unicode.BigEndian
		if len(src) < 2 || !(src[0] == 0xFE && src[1] == 0xFF || src[0] == 0xFF && src[1] == 0xFE) {
			even, odd := 0, 0
			for i, c := range src[:min(len(src), utf16SniffLen)] {
				if c == 0 {
					if i%2 == 0 {
						even++
					} else {
						odd++
					}
				}
			}
			if odd > even {
				order = unicode.LittleEndian
			}
		}
		d.t = unicode.UTF16(order, unicode.UseBOM).NewDecoder()
	}
	return d.t.Transform(dst, src, atEOF)
}

// isASCII reports whether b is all 7-bit.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// validUTF8 returns b as a string with each maximal invalid subsequence
// replaced by U+FFFD (see textutil.ValidUTF8).
func validUTF8(b []byte) string { return textutil.ValidUTF8(string(b)) }

// appendValidUTF8 writes s to sb with each maximal invalid subsequence
// replaced by U+FFFD.
func appendValidUTF8(sb *strings.Builder, s string) { textutil.AppendValidUTF8(sb, s) }
