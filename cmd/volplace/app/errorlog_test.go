package app

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
)

// TestServerErrorsLogged checks that net/http's connection errors reach
// volplace's logger, at -v=2.
func TestServerErrorsLogged(t *testing.T) {
	for _, tt := range []struct {
		verbosity int
		want      bool
	}{{verbosity: 1}, {verbosity: 2, want: true}} {
		var out bytes.Buffer
		logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(tt.verbosity), textlogger.Output(&out)))
		ctx := klog.NewContext(context.Background(), logger)
		srv := newHTTPServer(nil, func(net.Listener) context.Context { return ctx })
		srv.ErrorLog.Printf("http: TLS handshake error from 10.0.0.1:1234: EOF")
		got := strings.Contains(out.String(), `"HTTP connection error" err="http: TLS handshake error from 10.0.0.1:1234: EOF"`)
		if got != tt.want {
			t.Errorf("-v=%d: logged %v, want %v:\n%s", tt.verbosity, got, tt.want, out.String())
		}
	}
}
