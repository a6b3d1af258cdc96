package plugin

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/volplace/volplace/topology/store"
)

// staticPlugin returns the plugin over a static store of objs, with the
// options it has under kube-scheduler. plugintest runs its extension
// points.
func staticPlugin(t *testing.T, objs ...runtime.Object) (*Volplace, *store.Store) {
	t.Helper()
	s, err := store.NewStatic(objs...)
	if err != nil {
		t.Fatal(err)
	}
	return NewForStore(s, DefaultOptions()), s
}
