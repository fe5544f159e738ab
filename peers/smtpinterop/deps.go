package smtpinterop

import _ "github.com/emersion/go-smtp" // kept in go.mod for the interop tests
