package extender

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"
	extenderv1 "k8s.io/kube-scheduler/extender/v1"

	st "github.com/volplace/volplace/topology/testing"
)

// TestRejectedNodesLogged checks that -v=5 logs every reason of a rejected
// node with its figures, which the answer itself leaves out.
func TestRejectedNodesLogged(t *testing.T) {
	h := newTestHandler(t, true, zonalCluster()...)
	body := mustJSON(t, extenderv1.ExtenderArgs{Pod: st.MakePod("web").PVC("data").Obj(), NodeNames: &[]string{"na", "nb", "ghost"}})
	for _, tt := range []struct {
		verbosity int
		want      []string
		wantNot   []string
	}{
		{verbosity: 4, want: []string{`"Filtered nodes"`}, wantNot: []string{"Node rejected"}},
		{verbosity: 5, want: []string{
			`"Node rejected" pod="default/web" node="nb" reason="node(s) didn't match PersistentVolume's node affinity (pv-a)" details=["PersistentVolume pv-a: node affinity does not match the node's labels and name"]`,
			`"Node rejected" pod="default/web" node="ghost" reason="node(s) were unknown to the volplace extender"`,
		}},
	} {
		var out bytes.Buffer
		logger := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(tt.verbosity), textlogger.Output(&out)))
		req := httptest.NewRequestWithContext(klog.NewContext(context.Background(), logger), http.MethodPost, FilterPath, strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("-v=%d: log lacks %s:\n%s", tt.verbosity, w, out.String())
			}
		}
		for _, w := range tt.wantNot {
			if strings.Contains(out.String(), w) {
				t.Errorf("-v=%d: log has %s:\n%s", tt.verbosity, w, out.String())
			}
		}
	}
}
