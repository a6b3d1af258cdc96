package main

import (
	"fmt"
	"math"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/volplace/volplace/topology/store"
	st "github.com/volplace/volplace/topology/testing"
	"github.com/volplace/volplace/webhook"
)

// The StorageClasses and namespaces the run adds to LargeCluster, whose own
// classes ("zonal", "local") have provisioners volplace does not know.
const (
	// defaultClass is the cluster's default class.
	defaultClass = "standard"
	// teamClass is the default class of teamNamespace, by annotation; its
	// provisioner (EBS) supports ReadWriteOnce but not ReadWriteMany.
	teamClass = "fast"
	// sharedClass supports ReadWriteMany (EFS).
	sharedClass   = "shared"
	teamNamespace = "team-a"
	// maxFixtures bounds how many distinct claims each kind of request
	// names.
	maxFixtures = 64
)

// cluster is what the webhooks read, and the claims requests name.
type cluster struct {
	size       st.ClusterSize
	deps       webhook.Deps
	objects    int
	inUse      []string // claims in the default namespace that running pods use
	free       []string // claims in the default namespace that no pod uses
	freeClaims int
}

// scaledSize is BenchmarkSize's nodes, pods and claims times f (at least
// one each), over its zones (fewer only with fewer nodes).
func scaledSize(f float64) st.ClusterSize {
	scale := func(n int) int { return max(1, int(math.Round(float64(n)*f))) }
	b := st.BenchmarkSize
	return st.ClusterSize{Nodes: scale(b.Nodes), Zones: min(b.Zones, scale(b.Nodes)), Pods: scale(b.Pods), Claims: scale(b.Claims)}
}

// newCluster builds benchmark 1's cluster at size, plus StorageClasses with
// known provisioners (one of them the default) and half as many claims as
// LargeCluster's that no pod uses, in a static snapshot. The webhooks get no
// live client: see README of the report (Deps.Client is nil).
func newCluster(size st.ClusterSize) (*cluster, error) {
	objs := st.LargeCluster(size)
	objs = append(objs,
		st.MakeStorageClass(defaultClass, "pd.csi.storage.gke.io").Annotation("storageclass.kubernetes.io/is-default-class", "true").Obj(),
		st.MakeStorageClass(teamClass, "ebs.csi.aws.com").Obj(),
		st.MakeStorageClass(sharedClass, "efs.csi.aws.com").Immediate().Obj(),
	)
	c := &cluster{size: size, freeClaims: max(1, size.Claims/2)}
	for i := range c.freeClaims {
		name := fmt.Sprintf("free-%05d", i)
		objs = append(objs, st.MakePVC(name).Class(defaultClass).Obj())
		if i < maxFixtures {
			c.free = append(c.free, name)
		}
	}
	// LargeCluster's pod-i runs on a node and uses claim data-i.
	for i := range min(size.Claims, size.Pods, maxFixtures) {
		c.inUse = append(c.inUse, fmt.Sprintf("data-%05d", i))
	}
	snap, err := store.NewStatic(objs...)
	if err != nil {
		return nil, fmt.Errorf("building the snapshot: %w", err)
	}
	namespaces, err := namespaceLister(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: st.DefaultNamespace}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: teamNamespace, Annotations: map[string]string{webhook.AnnNamespaceDefaultClass: teamClass}}},
	)
	if err != nil {
		return nil, err
	}
	c.objects = len(objs)
	c.deps = webhook.Deps{Cluster: snap, Namespaces: namespaces}
	return c, nil
}

func namespaceLister(namespaces ...runtime.Object) (corelisters.NamespaceLister, error) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
	for _, ns := range namespaces {
		if err := indexer.Add(ns); err != nil {
			return nil, fmt.Errorf("adding a namespace: %w", err)
		}
	}
	return corelisters.NewNamespaceLister(indexer), nil
}
