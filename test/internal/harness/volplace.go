package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"github.com/volplace/volplace/cmd/volplace/app"
	"github.com/volplace/volplace/cmd/volplace/app/options"
)

// Volplace is an in-process `volplace serve`, configured through its flags
// as a user would.
type Volplace struct {
	*app.Server
	// Name names it in errors and in its client's user agent.
	Name string

	stop context.CancelFunc
	done chan error

	stopOnce sync.Once
	stopErr  error
}

// StartVolplace runs `volplace serve args...` with its client on cfg and
// its log through logger; it returns once the listeners are open (before
// /readyz: see WaitReady). The server runs until Stop.
func StartVolplace(ctx context.Context, cfg *rest.Config, name string, logger logr.Logger, args ...string) (*Volplace, error) {
	o := options.NewServeOptions()
	fs := pflag.NewFlagSet("volplace serve", pflag.ContinueOnError)
	o.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("volplace serve %s: %w", strings.Join(args, " "), err)
	}
	if errs := o.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("volplace serve %s: %w", strings.Join(args, " "), errors.Join(errs...))
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "volplace-test/" + name
	runCtx, cancel := context.WithCancel(klog.NewContext(context.WithoutCancel(ctx), logger))
	s, err := app.NewServer(runCtx, o, cfg)
	if err != nil {
		cancel()
		return nil, err
	}
	v := &Volplace{Server: s, Name: name, stop: cancel, done: make(chan error, 1)}
	go func() { v.done <- s.Run(runCtx) }()
	return v, nil
}

// WaitReady polls /readyz until it answers 200, failing early if volplace
// exits.
func (v *Volplace) WaitReady(ctx context.Context, timeout time.Duration) error {
	readyz := "http://" + v.HealthAddr() + "/readyz"
	var last string
	err := Poll(ctx, timeout, func() (bool, error) {
		select {
		case err := <-v.done:
			v.done <- err
			return false, fmt.Errorf("volplace %s exited: %w", v.Name, err)
		default:
		}
		code, body, err := HTTPGet(ctx, http.DefaultClient, readyz)
		if err != nil {
			last = err.Error() // not listening yet: poll again
			return false, nil  //nolint:nilerr // a failed probe is retried
		}
		last = fmt.Sprintf("HTTP %d: %s", code, strings.TrimSpace(string(body)))
		return code == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("volplace %s: GET %s did not answer 200 within %v (last: %s): %w", v.Name, readyz, timeout, last, err)
	}
	return nil
}

// Stop cancels the server and waits for Run to return, up to StopTimeout;
// it returns Run's error. Safe to call more than once.
func (v *Volplace) Stop() error {
	v.stopOnce.Do(func() {
		v.stop()
		select {
		case err := <-v.done:
			if err != nil {
				v.stopErr = fmt.Errorf("volplace %s: %w", v.Name, err)
			}
		case <-time.After(StopTimeout):
			v.stopErr = fmt.Errorf("volplace %s did not stop within %v", v.Name, StopTimeout)
		}
	})
	return v.stopErr
}
