package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// sample is the fate of one request.
type sample struct {
	target, kind int
	// latency runs from the scheduled send time to the end of the answer,
	// service from the actual send; lag is how late the send was.
	latency, service, lag time.Duration
	denied                bool
	err                   error
	// measured is false during the warmup.
	measured bool
}

// schedule is the open-loop plan: request j goes at start+j*interval to
// target j%targets (alternating which goes first), with the requests of
// each kind in turn.
type schedule struct {
	rate     float64
	targets  int
	total    int
	warmup   int
	requests [][]request
}

func newSchedule(o *Options, targets int, requests [][]request) schedule {
	perTarget := int(o.Rate * (o.Warmup + o.Duration).Seconds())
	return schedule{
		rate:     o.Rate,
		targets:  targets,
		total:    perTarget * targets,
		warmup:   int(o.Rate * o.Warmup.Seconds()),
		requests: requests,
	}
}

// at returns when request j is due, relative to the start.
func (s schedule) at(j int) time.Duration {
	return time.Duration(float64(j) * float64(time.Second) / (s.rate * float64(s.targets)))
}

// slot returns the target, kind and request of request j: the targets
// receive the same sequence of requests, each half an interval apart, the
// order of the two swapping at every step.
func (s schedule) slot(j int) (target, kind int, r request) {
	step := j / s.targets
	target = (j + step) % s.targets
	kind = step % len(s.requests)
	list := s.requests[kind]
	return target, kind, list[(step/len(s.requests))%len(list)]
}

// run sends the schedule's requests at their times without waiting for
// answers, and returns every request's sample; it stops sending when ctx
// ends. The sends are timed from a goroutine of their own on an OS thread
// of their own, with precise timers; the thread ends with it.
func (s schedule) run(ctx context.Context, targets []*target) []sample {
	out := make(chan []sample, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread's timer slack dies with it
		preciseTimers()
		out <- s.dispatch(ctx, targets)
	}()
	return <-out
}

func (s schedule) dispatch(ctx context.Context, targets []*target) []sample {
	samples := make([]sample, s.total)
	var wg sync.WaitGroup
	start := time.Now()
	for j := range s.total {
		due := start.Add(s.at(j))
		sleepUntil(due)
		if ctx.Err() != nil {
			samples = samples[:j]
			break
		}
		t, kind, r := s.slot(j)
		wg.Go(func() {
			samples[j] = send(ctx, targets[t], r, due)
			samples[j].target, samples[j].kind = t, kind
			samples[j].measured = j >= s.warmup*s.targets
		})
	}
	wg.Wait()
	return samples
}

// send posts one AdmissionReview, with a new UID, and checks the answer.
func send(ctx context.Context, t *target, r request, due time.Time) sample {
	uid := types.UID(uuid.NewUUID())
	body := bytes.Replace(r.body, []byte(uidPlaceholder), []byte(uid), 1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+r.path+t.query, bytes.NewReader(body))
	if err != nil {
		return sample{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	sent := time.Now()
	resp, err := t.client.Do(req)
	var answer []byte
	if err == nil {
		answer, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
	}
	done := time.Now()
	s := sample{latency: done.Sub(due), service: done.Sub(sent), lag: sent.Sub(due)}
	switch {
	case err != nil:
		s.err = err
	case resp.StatusCode != http.StatusOK:
		s.err = fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, answer)
	default:
		s.denied, s.err = check(answer, uid, t.expect(r))
	}
	return s
}
