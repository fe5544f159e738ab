// Package webmailbrowser drives the webmail of examples/mailserver with a
// real browser: headless Chromium, steered from Go over the DevTools
// protocol by github.com/chromedp/chromedp. It builds the mailserver binary,
// starts it on free loopback ports, seeds messages by SMTP, then logs in
// through the page, opens a message, checks that a hostile HTML message
// (a <script>, a remote <img>) is shown as inert source, replies through the
// compose form, and reads the reply back over IMAP. Screenshots go to
// $POSTKIT_ARTIFACTS/webmailbrowser when that variable is set, to a
// temporary directory otherwise.
//
// Chromium is looked up in PATH; the test skips when it is missing, unless
// POSTKIT_REQUIRE_PEERS=1 (CI) makes it fail. The browser runs without its
// sandbox, which fails as root and in most containers; the page it loads
// is our own, on loopback. It has no code of its own.
package webmailbrowser
