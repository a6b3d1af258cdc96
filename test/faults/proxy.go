package faults

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// linkState is what a proxy does with connections.
type linkState int

const (
	// linkOpen forwards connections to the target.
	linkOpen linkState = iota
	// linkRefused closes the listener: connections are refused, as by a
	// host whose process died or whose port is firewalled with a reset.
	linkRefused
	// linkStalled accepts connections and never answers, as a hung or
	// partitioned peer would: callers wait for their own timeouts.
	linkStalled
)

func (s linkState) String() string {
	switch s {
	case linkOpen:
		return "open"
	case linkRefused:
		return "refused"
	case linkStalled:
		return "stalled"
	}
	return fmt.Sprintf("linkState(%d)", int(s))
}

// proxyDialTimeout bounds the proxy's dial to its target.
const proxyDialTimeout = 5 * time.Second

// proxy is a TCP proxy on a fixed loopback address in front of a target,
// whose link can be cut and restored: a real network fault for the clients
// that go through it, TLS included (it forwards bytes, so the target's
// certificate for 127.0.0.1 stays valid). Changing the state drops every
// connection it carries.
type proxy struct {
	addr, target string

	mu    sync.Mutex
	state linkState
	l     net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// newProxy listens on a stable loopback address and forwards to target.
func newProxy(target string) (*proxy, error) {
	addr, err := stableAddr()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proxy for %s: %w", target, err)
	}
	p := &proxy{addr: l.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	p.serve(l)
	return p, nil
}

// Addr returns the proxy's host:port, the same in every state.
func (p *proxy) Addr() string { return p.addr }

// Set switches the link to state, dropping the connections in flight. Set
// to the state the link is already in changes nothing: dropping the
// connections then would only race the clients' reuse of them (kube-
// apiserver writing a webhook call into a connection just closed, which it
// does not retry, fails open).
func (p *proxy) Set(state linkState) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if state == p.state {
		return nil
	}
	p.state = state
	p.dropLocked()
	switch {
	case state == linkRefused && p.l != nil:
		err := p.l.Close()
		p.l = nil
		return err
	case state != linkRefused && p.l == nil:
		// Go listeners set SO_REUSEADDR: the port is free again at once.
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			return fmt.Errorf("proxy: listening on %s again: %w", p.addr, err)
		}
		p.serveLocked(l)
	}
	return nil
}

// Close stops the proxy and waits for its goroutines.
func (p *proxy) Close() error {
	err := p.Set(linkRefused)
	p.wg.Wait()
	return err
}

func (p *proxy) serve(l net.Listener) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.serveLocked(l)
}

func (p *proxy) serveLocked(l net.Listener) {
	p.l = l
	p.wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // closed by Set
			}
			p.accept(c)
		}
	})
}

// accept forwards, holds or drops a new connection by the current state.
func (p *proxy) accept(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case linkStalled:
		p.conns[c] = struct{}{} // held, unread, until the state changes
	case linkOpen:
		p.conns[c] = struct{}{}
		p.wg.Go(func() { p.forward(c) })
	default:
		_ = c.Close()
	}
}

// forward copies both ways between c and a new connection to the target
// until either side closes.
func (p *proxy) forward(c net.Conn) {
	defer p.forget(c)
	t, err := net.DialTimeout("tcp", p.target, proxyDialTimeout)
	if err != nil {
		return
	}
	if !p.track(t) {
		return
	}
	defer p.forget(t)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(t, c)
	go pipe(c, t)
	<-done // one side ended: end both (the deferred forgets close them)
}

// track registers a connection to the target, unless the link changed state
// while it was dialled.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != linkOpen {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) forget(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

func (p *proxy) dropLocked() {
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}
