// Package smtpinterop holds interop tests between postkit's smtp package and
// other SMTP implementations: emersion's go-smtp, net/smtp, Python's smtplib
// and curl.
package smtpinterop
