package pop3

import (
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeClosesListenerOnError: Serve and ServeTLS own their listener
// and close it even when they refuse to start, so that ListenAndServeTLS
// without a TLSConfig leaks no socket.
func TestServeClosesListenerOnError(t *testing.T) {
	tests := []struct {
		name  string
		serve func(net.Listener) error
	}{
		{"ServeTLS without TLSConfig", (&Server{Store: nil}).ServeTLS},
		{"Serve of a zero Server", (&Server{}).Serve},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			assert.Error(t, tc.serve(l))
			_, err = l.Accept()
			assert.True(t, errors.Is(err, net.ErrClosed), "listener closed: %v", err)
		})
	}
}
