package main

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testCID(id string) string {
	if id == "logo@x" {
		return "/api/attachment?mailbox=INBOX&uid=1&part=2"
	}
	return ""
}

func TestSanitizeHTML(t *testing.T) {
	tests := []struct {
		name, in, want string
		remote         bool
		blocked        int
	}{
		{"text", `Café &amp; <b>bold</b> 1 < 2`, `Café &amp; <b>bold</b> 1 &lt; 2`, false, 0},
		{"script", `a<script>alert(1)</script>b`, `ab`, false, 0},
		{"script mixed case", `a<ScRiPt>alert(1)</sCrIpT >b`, `ab`, false, 0},
		{"script unclosed", `a<script>alert(1)`, `a`, false, 0},
		{"script end in string", `<script>x="</scripts>";alert(1)</script>ok`, `ok`, false, 0},
		{"img onerror", `<img src=x onerror=alert(1)>`, `<img>`, false, 0},
		{"img onerror quoted", `<IMG SRC="https://x/y.gif" ONERROR="alert(1)" alt="p">`, `<img alt="p">`, false, 1},
		{"img remote allowed", `<img src="https://x/y.gif" alt=p>`, `<img src="https://x/y.gif" alt="p">`, true, 0},
		{"img http never", `<img src="http://x/y.gif">`, `<img>`, true, 1},
		{"img protocol relative", `<img src="//x/y.gif">`, `<img>`, false, 1},
		{"svg onload", `<svg onload=alert(1)><circle/></svg>after`, `after`, false, 0},
		{"svg nested script", `<svg><script>alert(1)</script><svg></svg></svg>ok`, `ok`, false, 0},
		{"math", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>ok`, `ok`, false, 0},
		{"style import", `<style>@import "https://x/a.css"; p{color:red}</style>ok`, `ok`, false, 0},
		{"style url blocked", `<style>p{background:url(https://x/t.gif)}</style>`, `<style>p{background:none}</style>`, false, 1},
		{"style url remote", `<style>p{background:url('https://x/t.gif')}</style>`, `<style>p{background:url("https://x/t.gif")}</style>`, true, 0},
		{"style escape", `<style>p{background:u\72l(https://x/t.gif)}</style>ok`, `ok`, false, 0},
		{"style expression", `<p style="width:expression(alert(1))">x</p>`, `<p>x</p>`, false, 0},
		{"style comment trick", `<p style="background:ur/**/l(https://x)">x</p>`, `<p>x</p>`, false, 0},
		{"style end tag", `<style>p{}</style><script>alert(1)</script></style>`, `<style>p{}</style>`, false, 0},
		{"style attr kept", `<p style="color: red; FONT-size:12px;--x:url(a);behavior:x">x</p>`, `<p>x</p>`, false, 0},
		{"style attr ok", `<p style="color: red; FONT-size:12px; --x:1">x</p>`, `<p style="color: red; font-size: 12px">x</p>`, false, 0},
		{"style image-set", `<p style="background-image:image-set('https://x/a.png' 1x)">x</p>`, `<p>x</p>`, false, 0},
		{"style url attr", `<td style="background:url(&quot;https://x/a.png&quot;) no-repeat">x</td>`, `<td style="background: none no-repeat">x</td>`, false, 1},
		{"a javascript", `<a href="javascript:alert(1)">x</a>`, `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a entity javascript", `<a href="&#106;avascript&#x3A;alert(1)">x</a>`, `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a entity no semicolon", `<a href="&#106avascript:alert(1)">x</a>`, `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a tab javascript", "<a href=\"java\tscript:alert(1)\">x</a>", `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a entity tab", `<a href="java&#9;script:alert(1)">x</a>`, `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a leading space", `<a href=" https://example.org/a?b=1&amp;c=2">x</a>`, `<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a relative", `<a href="/api/logout">x</a>`, `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a data", `<a href="data:text/html,<script>alert(1)</script>">x</a>`, `<a target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"a target overridden", `<a href="mailto:a@b" target="_top">x</a>`, `<a href="mailto:a@b" target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"data image", `<img src="data:image/png;base64,iVBO">`, `<img src="data:image/png;base64,iVBO">`, false, 0},
		{"data svg", `<img src="data:image/svg+xml,<svg onload=alert(1)>">`, `<img>`, false, 0},
		{"data html", `<img src="data:text/html;base64,PHNjcmlwdD4=">`, `<img>`, false, 0},
		{"cid", `<img src="cid:logo@x">`, `<img src="/api/attachment?mailbox=INBOX&amp;uid=1&amp;part=2">`, false, 0},
		{"cid escaped", `<img src="cid:logo%40x">`, `<img src="/api/attachment?mailbox=INBOX&amp;uid=1&amp;part=2">`, false, 0},
		{"cid unknown", `<img src="cid:other@x">`, `<img>`, false, 0},
		{"base", `<base href="https://evil/">ok`, `ok`, false, 0},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil/">ok`, `ok`, false, 0},
		{"link stylesheet", `<link rel=stylesheet href="https://evil/a.css">ok`, `ok`, false, 0},
		{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>ok`, `ok`, false, 0},
		{"iframe content", `<iframe src="https://evil/">inner <b>x</b></iframe>ok`, `ok`, false, 0},
		{"object embed", `<object data="x.swf"><embed src="x.swf"></object>ok<embed src=y>`, `ok`, false, 0},
		{"form", `<form action="https://evil/"><input name=p><button formaction="https://e/">Go</button></form>`, `Go`, false, 0},
		{"comment", `a<!-- <script>alert(1)</script> -->b`, `ab`, false, 0},
		{"comment short", `a<!-->b<!--->c`, `abc`, false, 0},
		{"comment bang", `a<!-- x --!><b>b</b>`, `a<b>b</b>`, false, 0},
		{"comment unclosed", `a<!-- <img src=x onerror=alert(1)>`, `a`, false, 0},
		{"conditional comment", `<!--[if IE]><script>alert(1)</script><![endif]-->ok`, `ok`, false, 0},
		{"bogus comment", `<? <script>alert(1)</script> ?>ok`, `alert(1) ?&gt;ok`, false, 0},
		{"cdata", `<![CDATA[<script>alert(1)</script>]]>ok`, `alert(1)]]&gt;ok`, false, 0},
		{"unclosed tags", `<div><b>x<i>y`, `<div><b>x<i>y</i></b></div>`, false, 0},
		{"misnested", `<b><i>x</b>y</i>`, `<b><i>x</i></b>y`, false, 0},
		{"stray end", `</div>x</p>`, `x`, false, 0},
		{"tag at eof", `x<img src=a onerror=alert(1)`, `x`, false, 0},
		{"quote at eof", `x<a title="foo>bar`, `x`, false, 0},
		{"attr quote", `<p title='a"b<c>'>x</p>`, `<p title="a&#34;b&lt;c&gt;">x</p>`, false, 0},
		{"lt text", `a < b > c <3`, `a &lt; b &gt; c &lt;3`, false, 0},
		{"entity text", `&lt;script&gt;alert(1)&lt;/script&gt;`, `&lt;script&gt;alert(1)&lt;/script&gt;`, false, 0},
		{"noscript", `<noscript><img src=x onerror=alert(1)></noscript>ok`, `ok`, false, 0},
		{"textarea", `<textarea><img src=x onerror=alert(1)></textarea>ok`, `ok`, false, 0},
		{"title", `<title>T</title>ok`, `ok`, false, 0},
		{"plaintext", `ok<plaintext><b>x`, `ok`, false, 0},
		{"html head body", `<html><head><title>t</title><style>p{color:red}</style></head><body bgcolor=white onload=alert(1)><p>x</p></body></html>`, `<style>p{color:red}</style><p>x</p>`, false, 0},
		{"body style kept outside head", `<body><style>p{color:red}</style><p>x</p>`, `<style>p{color:red}</style><p>x</p>`, false, 0},
		{"table attrs", `<table width=600 cellpadding="0" background="https://x/bg.gif"><tr><td align=center>x</td></tr></table>`, `<table width="600" cellpadding="0"><tr><td align="center">x</td></tr></table>`, false, 0},
		{"nul", "a\x00b<b title=\"\x00\">c</b>", "a\uFFFDb<b title=\"\uFFFD\">c</b>", false, 0},
		{"slash attrs", `<img/src="data:image/gif;base64,R0"/onerror=alert(1)>`, `<img src="data:image/gif;base64,R0">`, false, 0},
		{"equals first attr", `<b =onclick=alert(1)>x</b>`, `<b>x</b>`, false, 0},
		{"duplicate attr", `<a href="https://a/" href="javascript:alert(1)">x</a>`, `<a href="https://a/" target="_blank" rel="noopener noreferrer">x</a>`, false, 0},
		{"srcset", `<img srcset="https://x/a.png 2x" src="data:image/png,x">`, `<img src="data:image/png,x">`, false, 0},
		{"end tag attrs", `<b>x</b title=">"><i>y</i>`, `<b>x</b><i>y</i>`, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sanitizeHTML(tt.in, sanitizeOptions{Remote: tt.remote, CID: testCID})
			assert.Equal(t, tt.want, res.HTML)
			assert.Equal(t, tt.blocked, res.Blocked)
			checkSanitized(t, res.HTML)
		})
	}
}

func TestSanitizeLimits(t *testing.T) {
	deep := strings.Repeat("<div>", 1000) + "x"
	res := sanitizeHTML(deep, sanitizeOptions{})
	assert.Equal(t, sanitizeMaxDepth, strings.Count(res.HTML, "<div>"))
	assert.Equal(t, sanitizeMaxDepth, strings.Count(res.HTML, "</div>"))

	big := strings.Repeat("<a></a>", sanitizeMaxOutput/40)
	res = sanitizeHTML(big, sanitizeOptions{})
	assert.True(t, res.Truncated)
	assert.Less(t, len(res.HTML), sanitizeMaxOutput+64<<10)
}

var (
	safeTag  = regexp.MustCompile(`^<(/?)([a-z0-9]+)((?: [a-z-]+="[^"<>']*")*)>`)
	safeAttr = regexp.MustCompile(` ([a-z-]+)="([^"]*)"`)
)

// checkSanitized checks sanitiser output independently of the sanitiser:
// it is text without markup characters and tags of the allowlist, whose
// attributes are allowed and whose URLs have an allowed scheme.
func checkSanitized(t testing.TB, out string) {
	t.Helper()
	for out != "" {
		i := strings.IndexAny(out, "<>")
		if i < 0 {
			return
		}
		require.Equal(t, byte('<'), out[i], "a bare > in %q", out)
		out = out[i:]
		m := safeTag.FindStringSubmatch(out)
		require.NotNil(t, m, "not a safe tag: %.60q", out)
		name := m[2]
		require.True(t, allowedTags[name] || name == "style", "tag %q", name)
		for _, a := range safeAttr.FindAllStringSubmatch(m[3], -1) {
			n, v := a[1], strings.ToLower(html.UnescapeString(a[2]))
			switch n {
			case "href":
				require.Regexp(t, `^(https?://|mailto:)`, v)
			case "src":
				require.Regexp(t, `^(https://|data:image/(png|gif|jpe?g|webp)[;,]|/api/attachment\?)`, v)
			case "target":
				require.Equal(t, "_blank", v)
			case "rel":
				require.Equal(t, "noopener noreferrer", v)
			case "style":
				require.NotContains(t, v, "\\")
				require.NotContains(t, v, "expression")
			default:
				require.True(t, allowedAttrs[n], "attribute %q", n)
			}
			require.False(t, strings.HasPrefix(n, "on"), "attribute %q", n)
		}
		out = out[len(m[0]):]
		if name == "style" && m[1] == "" {
			end := strings.Index(out, "</style>")
			require.GreaterOrEqual(t, end, 0)
			require.NotContains(t, out[:end], "<")
			require.NotContains(t, strings.ToLower(out[:end]), "@import")
			out = out[end:]
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{
		`<p>x</p>`, `<a href="https://a/">x</a>`, `<img src=x onerror=alert(1)>`,
		`<style>p{background:url(https://x)}</style>`, `<svg><script>alert(1)</script></svg>`,
		`<!-- x --><![CDATA[y]]>`, `<table><tr><td style="color:red">x</td></tr></table>`,
		`<img src="data:image/png;base64,AA" style="width:calc(1px + 2px)">`, `<a href="&#106;avascript:x">`,
		`<textarea></textarea><title>x</title><plaintext>`,
		"<stYle>url(\xe7)(", // once sanitised to "none(", which the next pass dropped
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, remote bool) {
		opts := sanitizeOptions{Remote: remote}
		res := sanitizeHTML(in, opts)
		checkSanitized(t, res.HTML)
		// Sanitised HTML is a fixed point: the output is read as written.
		again := sanitizeHTML(res.HTML, opts)
		require.Equal(t, res.HTML, again.HTML)
	})
}
