package extender

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	extenderv1 "k8s.io/kube-scheduler/extender/v1"
)

var fuzzSeeds = []string{
	`{"Pod":{"metadata":{"name":"p","namespace":"default"},"spec":{"volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}},"NodeNames":["na","nb"]}`,
	`{"Pod":{"metadata":{"name":"p","namespace":"default"},"spec":{"volumes":[{"name":"d","ephemeral":{}}]}},"Nodes":{"items":[{"metadata":{"name":"na","labels":{"topology.kubernetes.io/zone":"a"}}}]}}`,
	`{"Pod":{"metadata":{"name":"p"}},"NodeNames":[]}`,
	`{"Pod":null}`,
	`{"Pod":{"spec":{"volumes":[{"persistentVolumeClaim":{"claimName":""}}]}},"NodeNames":["","na",""]}`,
	`[]`,
	`{`,
	``,
}

// fuzzVerb checks the handler's invariants for any body: no panic; 200 with
// a decodable answer of the verb's type, or 400/413 with a message.
func fuzzVerb(f *testing.F, path string, decodeInto func() any) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	h := newTestHandler(&testing.T{}, true, zonalCluster()...)
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
		switch rec.Code {
		case http.StatusOK:
			if err := json.Unmarshal(rec.Body.Bytes(), decodeInto()); err != nil {
				t.Fatalf("200 with an undecodable body %q: %v", rec.Body.String(), err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			if strings.TrimSpace(rec.Body.String()) == "" {
				t.Fatalf("status %d without a message", rec.Code)
			}
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body.String())
		}
	})
}

func FuzzFilterHandler(f *testing.F) {
	fuzzVerb(f, FilterPath, func() any { return &extenderv1.ExtenderFilterResult{} })
}

func FuzzPrioritizeHandler(f *testing.F) {
	fuzzVerb(f, PrioritizePath, func() any { return &extenderv1.HostPriorityList{} })
}
