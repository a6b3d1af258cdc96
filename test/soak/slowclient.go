package soak

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// Trickle is a slow client: it sends Prefix at once, then Payload one byte
// every Interval, and waits for the server to answer or close the
// connection.
type Trickle struct {
	Prefix, Payload []byte
	Interval        time.Duration
	// Limit is how long to wait before giving up: the server kept the
	// connection open.
	Limit time.Duration
}

// Ending is how a slow connection ended.
type Ending struct {
	// After is the time from the start of the dial to the end.
	After time.Duration
	// Closed says the server closed the connection without a byte of
	// answer; else Answer holds the first bytes of its answer.
	Closed bool
	Answer string
	// Err is set when the server did neither within Limit.
	Err error
}

// Run dials and trickles, and closes the connection once it ended. The
// times it reports count from the start of the dial, before the server
// can start any timer.
func (t Trickle) Run(ctx context.Context, dial Dialer) Ending {
	start := time.Now()
	conn, err := dial(ctx)
	if err != nil {
		return Ending{Err: fmt.Errorf("dialling: %w", err)}
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetReadDeadline(start.Add(t.Limit)); err != nil {
		return Ending{Err: err}
	}
	ended := make(chan Ending, 1)
	go func() {
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		e := Ending{After: time.Since(start), Answer: string(buf[:n])}
		switch {
		case n > 0:
		case errors.Is(err, os.ErrDeadlineExceeded):
			e.Err = fmt.Errorf("the server kept the connection open for %v", t.Limit)
		default: // EOF, or a reset after bytes it did not read
			e.Closed = true
		}
		ended <- e
	}()
	// A write may fail once the server closed the connection; the reader
	// sees that.
	_, _ = conn.Write(t.Prefix)
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	for sent := 0; ; {
		select {
		case e := <-ended:
			return e
		case <-tick.C:
			if sent < len(t.Payload) {
				_, _ = conn.Write(t.Payload[sent : sent+1])
				sent++
			}
		}
	}
}

// Dialer opens a connection ready for an HTTP request.
type Dialer func(ctx context.Context) (net.Conn, error)

// TCP dials addr.
func TCP(addr string) Dialer {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
}

// TLS dials addr and completes a TLS handshake that offers HTTP/1.1 only.
func TLS(addr string, roots *x509.CertPool) Dialer {
	return func(ctx context.Context) (net.Conn, error) {
		d := tls.Dialer{Config: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}}
		return d.DialContext(ctx, "tcp", addr)
	}
}

// Payloads of slow clients.

// UnfinishedHeaders is a request whose header block never ends.
func UnfinishedHeaders(method, path string) []byte {
	return []byte(method + " " + path + " HTTP/1.1\r\nHost: soak\r\nUser-Agent: slow\r\nX-Slow: " + strings.Repeat("a", 256))
}

// UnfinishedHandshake is the start of a TLS handshake record announcing
// 512 bytes that never come.
func UnfinishedHandshake() []byte {
	return append([]byte{0x16, 0x03, 0x01, 0x02, 0x00}, make([]byte, 64)...)
}

// Headers returns a request's complete header block announcing a body
// of length bytes.
func Headers(method, path string, length int) []byte {
	return fmt.Appendf(nil, "%s %s HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", method, path, length)
}

// IdleClose sends request on a new connection, reads the answer, then
// waits, idle, for the server to close the connection, at most limit. It
// returns the time from sending the request, before the server can start
// its idle timer, to the close.
func IdleClose(ctx context.Context, dial Dialer, request []byte, limit time.Duration) (time.Duration, error) {
	conn, err := dial(ctx)
	if err != nil {
		return 0, fmt.Errorf("dialling: %w", err)
	}
	defer func() { _ = conn.Close() }()
	sent := time.Now()
	if _, err := conn.Write(request); err != nil {
		return 0, fmt.Errorf("sending the request: %w", err)
	}
	if err := conn.SetReadDeadline(sent.Add(limit)); err != nil {
		return 0, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %w", err)
	}
	n, err := r.Read(make([]byte, 1))
	switch {
	case n > 0:
		return 0, errors.New("the server sent bytes after its answer")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, fmt.Errorf("the server kept the idle connection open for %v", limit)
	}
	return time.Since(sent), nil
}
