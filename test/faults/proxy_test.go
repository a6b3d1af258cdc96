package faults

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestProxy checks the fault the other tests rely on: open forwards,
// refused refuses (ECONNREFUSED, not a timeout), stalled accepts and stays
// silent, and open again forwards on the same address.
func TestProxy(t *testing.T) {
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer echo.Close()
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(c, c); _ = c.Close() }()
		}
	}()
	p, err := newProxy(echo.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	roundTrip := func() error {
		c, err := net.DialTimeout("tcp", p.Addr(), time.Second)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
		if _, err := c.Write([]byte("ping")); err != nil {
			return err
		}
		buf := make([]byte, 4)
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		if string(buf) != "ping" {
			return fmt.Errorf("echo returned %q", buf)
		}
		return nil
	}
	isTimeout := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	steps := []struct {
		state linkState
		check func(error) bool
		want  string
	}{
		{linkOpen, func(err error) bool { return err == nil }, "a round trip"},
		{linkRefused, func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }, "connection refused"},
		{linkStalled, isTimeout, "a read timeout"},
		{linkOpen, func(err error) bool { return err == nil }, "a round trip"},
	}
	for _, step := range steps {
		if err := p.Set(step.state); err != nil {
			t.Fatalf("setting %v: %v", step.state, err)
		}
		if err := roundTrip(); !step.check(err) {
			t.Errorf("%v: got %v, want %s", step.state, err, step.want)
		}
	}
}
