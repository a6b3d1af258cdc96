package webhook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	st "github.com/volplace/volplace/topology/testing"
)

// The FieldsV1 sets below are those kube-apiserver v1.36 recorded, at
// admission time, for the clients of test/e2e's
// TestWebhookNamespaceDefaultWithDefaultStorageClassPlugin.
func TestClassWritten(t *testing.T) {
	const (
		withClass = `{"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:storageClassName":{},"f:volumeMode":{}}}`
		applied   = `{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{".":{},"f:storage":{}}},"f:volumeMode":{}}}`
		ssa       = `{"f:spec":{"f:accessModes":{},"f:resources":{"f:requests":{"f:storage":{}}}}}`
	)
	tests := []struct {
		name        string
		entries     []metav1.ManagedFieldsEntry
		wantWritten bool
		wantWhy     string
	}{
		{
			name:        "kubectl create of a claim with a class",
			entries:     []metav1.ManagedFieldsEntry{managedFields("kubectl-create", metav1.ManagedFieldsOperationUpdate, withClass)},
			wantWritten: true,
			wantWhy:     `field manager "kubectl-create" owns it (operation Update)`,
		},
		{
			name:    "kubectl create of a claim without a class",
			entries: []metav1.ManagedFieldsEntry{managedFields("kubectl-create", metav1.ManagedFieldsOperationUpdate, requestFields)},
			wantWhy: "no field manager owns it",
		},
		{
			name:    "client-side kubectl apply without a class",
			entries: []metav1.ManagedFieldsEntry{managedFields("kubectl-client-side-apply", metav1.ManagedFieldsOperationUpdate, applied)},
			wantWhy: "no field manager owns it",
		},
		{
			name:    "server-side apply without a class",
			entries: []metav1.ManagedFieldsEntry{managedFields("kubectl", metav1.ManagedFieldsOperationApply, ssa)},
			wantWhy: "no field manager owns it",
		},
		{
			name: "one of several managers owns it",
			entries: []metav1.ManagedFieldsEntry{
				managedFields("kubectl", metav1.ManagedFieldsOperationApply, ssa),
				managedFields("e2e.test", metav1.ManagedFieldsOperationUpdate, withClass),
			},
			wantWritten: true,
			wantWhy:     `field manager "e2e.test" owns it (operation Update)`,
		},
		{
			name:        "no managedFields",
			wantWritten: true,
			wantWhy:     "the claim has no managedFields",
		},
		{
			name:        "an entry of another fieldsType",
			entries:     []metav1.ManagedFieldsEntry{{Manager: "old", FieldsType: "FieldsV2", FieldsV1: metav1.NewFieldsV1(`{}`)}},
			wantWritten: true,
			wantWhy:     `managedFields entry of "old" has fieldsType "FieldsV2", not FieldsV1`,
		},
		{
			name:    "an entry without fields",
			entries: []metav1.ManagedFieldsEntry{{Manager: "empty", FieldsType: "FieldsV1"}},
			wantWhy: "no field manager owns it",
		},
		{
			name:        "an entry that is not JSON",
			entries:     []metav1.ManagedFieldsEntry{managedFields("broken", metav1.ManagedFieldsOperationUpdate, `{"f:spec":`)},
			wantWritten: true,
			wantWhy:     `managedFields entry of "broken": unexpected end of JSON input`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pvc := st.MakePVC("c").Class("standard").Obj()
			pvc.ManagedFields = tt.entries
			written, why := classWritten(pvc)
			if diff := cmp.Diff([]any{tt.wantWritten, tt.wantWhy}, []any{written, why}); diff != "" {
				t.Errorf("classWritten (-want,+got):\n%s", diff)
			}
		})
	}
}
