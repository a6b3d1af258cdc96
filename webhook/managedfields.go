package webhook

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// classWritten reports whether the request that creates the claim wrote its
// spec.storageClassName itself, and says why.
//
// kube-apiserver records the fields of a create request in
// metadata.managedFields, under the request's field manager, before it
// runs admission; what admission changes afterwards (kube-apiserver's
// DefaultStorageClass plugin, an earlier mutating webhook) no manager owns
// while admission runs. So a class that some entry owns came with the
// request, from kubectl create, kubectl apply (client-side or server-side)
// and client-go alike; a class that none owns was filled in by admission.
//
// Without managedFields, or with an entry it cannot read, it cannot tell
// and answers true: a class that is set is kept, as before volplace read
// managedFields.
func classWritten(pvc *corev1.PersistentVolumeClaim) (bool, string) {
	if len(pvc.ManagedFields) == 0 {
		return true, "the claim has no managedFields"
	}
	for _, entry := range pvc.ManagedFields {
		owned, err := ownsStorageClassName(entry)
		if err != nil {
			return true, err.Error()
		}
		if owned {
			return true, fmt.Sprintf("field manager %q owns it (operation %s)", entry.Manager, entry.Operation)
		}
	}
	return false, "no field manager owns it"
}

// ownsStorageClassName reports whether a managedFields entry owns
// spec.storageClassName: its FieldsV1 set has the key f:storageClassName
// under f:spec.
func ownsStorageClassName(entry metav1.ManagedFieldsEntry) (bool, error) {
	switch {
	case entry.FieldsType != "FieldsV1":
		return false, fmt.Errorf("managedFields entry of %q has fieldsType %q, not FieldsV1", entry.Manager, entry.FieldsType)
	case entry.FieldsV1 == nil:
		// An entry without fields owns none (kube-apiserver drops such
		// entries; a client may send one).
		return false, nil
	}
	var fields struct {
		Spec map[string]json.RawMessage `json:"f:spec"`
	}
	if err := json.Unmarshal(entry.FieldsV1.GetRawBytes(), &fields); err != nil {
		return false, fmt.Errorf("managedFields entry of %q: %w", entry.Manager, err)
	}
	_, ok := fields.Spec["f:storageClassName"]
	return ok, nil
}
