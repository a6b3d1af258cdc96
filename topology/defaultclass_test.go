package topology_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/volplace/volplace/topology"
	st "github.com/volplace/volplace/topology/testing"
)

func TestDefaultClasses(t *testing.T) {
	at := func(name string, minute int, ann string) *storagev1.StorageClass {
		c := st.MakeStorageClass(name, "ebs.csi.aws.com").Obj()
		c.CreationTimestamp = metav1.NewTime(time.Date(2026, 1, 1, 0, minute, 0, 0, time.UTC))
		if ann != "" {
			c.Annotations = map[string]string{ann: "true"}
		}
		return c
	}
	own := func(c *storagev1.StorageClass) bool { return c.Annotations["volplace.io/is-default-class"] == "true" }
	tests := []struct {
		name      string
		classes   []*storagev1.StorageClass
		isDefault func(*storagev1.StorageClass) bool
		want      []string
	}{
		{name: "none marked", classes: []*storagev1.StorageClass{at("a", 1, "")}, want: nil},
		{name: "GA and beta annotations, newest first", classes: []*storagev1.StorageClass{
			at("old", 1, topology.AnnIsDefaultClass), at("new", 3, topology.AnnBetaIsDefaultClass), at("plain", 5, ""),
		}, want: []string{"new", "old"}},
		{name: "same time: by name", classes: []*storagev1.StorageClass{
			at("b", 2, topology.AnnIsDefaultClass), at("a", 2, topology.AnnIsDefaultClass),
		}, want: []string{"a", "b"}},
		{name: "another marking", isDefault: own, classes: []*storagev1.StorageClass{
			at("k8s", 9, topology.AnnIsDefaultClass), at("mine", 1, "volplace.io/is-default-class"),
		}, want: []string{"mine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range topology.DefaultClasses(tt.classes, tt.isDefault) {
				got = append(got, c.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DefaultClasses (-want +got):\n%s", diff)
			}
		})
	}
}
