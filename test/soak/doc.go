// Package soak tests volplace's servers under load and abuse (issue 7,
// "Load and resources"): `volplace serve` runs in the test process,
// through cmd/volplace/app as in production and at its default log
// verbosity, against kube-apiserver and etcd from envtest, with a small
// cluster (three zones, CSINodes with attach limits, WaitForFirstConsumer
// classes, bound zonal PVs, running pods) in its informer caches.
//
// Every request's answer is checked: each filter case's answer is first
// compared with the expected nodes and reasons, then every later answer
// must equal it byte for byte; each admission review's outcome (allowed,
// code, message, patch, warnings) must be the expected one.
//
//   - TestConcurrentLoad: 16 clients per server for 60 s, extender
//     (HTTP/1.1, as kube-scheduler) and webhooks (HTTP/2 over TLS, as
//     kube-apiserver) at once; no request may fail.
//   - TestMemoryFlat: requests in rounds, with the heap in use and the
//     goroutines sampled after a garbage collection between rounds; they
//     must stay flat (Flatness). TestLeakDetector shows the criterion
//     catches a server that keeps 1 KiB per request.
//   - TestSlowHeaders, TestSlowBody, TestOversizedHeaders: slow-loris
//     connections are cut at ReadHeaderTimeout while normal clients are
//     served; a trickled body is cut at ReadTimeout; headers over
//     MaxHeaderBytes get 431.
//
// `make test` runs it with the race detector and 10 000 requests for the
// leak test; `make soak` runs the leak test with the million
// requests, without the race detector. Flags go after -args:
//
//	go test ./test/soak/ -run TestMemoryFlat -v -args -soak.requests=1000000 -soak.samples=40
//
// Without KUBEBUILDER_ASSETS (hack/control-plane.sh prints it) the suite
// is skipped, or fails when VOLPLACE_E2E_REQUIRED=1.
package soak
