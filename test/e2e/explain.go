package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/volplace/volplace/cmd/volplace/app"
)

// explainGrace is how long Explain lets `volplace explain` return by
// itself once it has written its report.
const explainGrace = 500 * time.Millisecond

// Explain runs `volplace explain -o <output> <namespace>/<pod>` against the
// test cluster and returns its output.
//
// ExplainOptions.Run defers factory.Shutdown() after its deferred cancel of
// the --timeout context, so Shutdown runs first and waits for informers that
// only stop when that context ends: Run returns only once --timeout (2
// minutes by default) has passed, long after writing the report. Explain
// therefore cancels Run's context once the report is complete and Run has
// not returned within explainGrace, and logs it.
func (s *Scenario) Explain(pod *corev1.Pod, output string) string {
	s.T.Helper()
	o := app.NewExplainOptions()
	o.Output = output
	if errs := o.Validate(); len(errs) > 0 {
		s.T.Fatal(errors.Join(errs...))
	}
	out := &reportBuffer{complete: make(chan struct{}), output: output}
	ctx, cancel := context.WithCancel(s.ctx())
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- o.Run(ctx, out, s.F.Config, pod.Namespace, pod.Name) }()
	var err error
	select {
	case err = <-done:
	case <-out.complete:
		written := time.Since(start)
		select {
		case err = <-done:
		case <-time.After(explainGrace):
			cancel()
			err = <-done
			s.logf("volplace explain -o %s wrote its report in %v but did not return within %v after it: cancelled (ExplainOptions.Run waits for its --timeout %v to end)",
				output, written.Round(time.Millisecond), explainGrace, o.Timeout)
		}
	}
	if err != nil {
		s.T.Fatalf("volplace explain -o %s %s/%s: %v\n--- output:\n%s", output, pod.Namespace, pod.Name, err, out.String())
	}
	return out.String()
}

// reportBuffer collects the output of `volplace explain` and closes
// complete once it holds a whole report: a table up to its summary line, or
// a JSON array.
type reportBuffer struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	output   string
	complete chan struct{}
	closed   bool
}

var summaryLine = regexp.MustCompile(`^\d+/\d+ nodes are available.*\n$`)

func (b *reportBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	// tabwriter writes cell by cell: look only at whole lines, the last.
	if data := b.buf.Bytes(); !b.closed && bytes.HasSuffix(data, []byte("\n")) {
		var whole bool
		if b.output == "json" {
			whole = json.Valid(data)
		} else {
			last := data[bytes.LastIndexByte(data[:len(data)-1], '\n')+1:]
			whole = summaryLine.Match(last)
		}
		if whole {
			b.closed = true
			close(b.complete)
		}
	}
	return n, err
}

func (b *reportBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
