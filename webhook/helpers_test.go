package webhook

import (
	"context"
	"testing"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/volplace/volplace/topology"
	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
)

func clusterOf(t *testing.T, objs ...runtime.Object) topology.Cluster {
	t.Helper()
	cluster, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	return cluster
}

// collectWarnings returns a context that collects warn() calls.
func collectWarnings() (context.Context, *[]string) {
	w := &[]string{}
	return context.WithValue(context.Background(), warningsKey{}, w), w
}

func defaultClass(name string, created int) *storagev1.StorageClass {
	sc := st.MakeStorageClass(name, "ebs.csi.aws.com").Annotation(topology.AnnIsDefaultClass, "true").Obj()
	sc.CreationTimestamp = metav1.Unix(int64(created), 0)
	return sc
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// cmpEmpty treats nil and empty slices alike.
var cmpEmpty = cmpopts.EquateEmpty()
