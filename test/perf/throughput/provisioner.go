package main

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	st "github.com/volplace/volplace/topology/testing"
)

// Annotations a provisioner and the PV controller read and write.
const (
	annSelectedNode  = "volume.kubernetes.io/selected-node"
	annBindCompleted = "pv.kubernetes.io/bind-completed"
)

// provisionerWorkers is how many claims the provisioner binds at once.
const provisionerWorkers = 16

// provisioner stands in for external-provisioner and the PV controller,
// which the benchmark does not run: for every claim kube-scheduler selected
// a node for, it creates a PV in that node's zone, bound to the claim, and
// binds the claim to it (spec.volumeName and the bind-completed
// annotation), which is what VolumeBinding's PreBind waits for. Each claim
// costs the API server two writes, the same in every variant.
type provisioner struct {
	cs       kubernetes.Interface
	nodeZone map[string]string
	queue    workqueue.TypedRateLimitingInterface[string]
	claims   cache.Indexer
}

// startProvisioner runs the provisioner until ctx ends; stop waits for its
// workers.
func startProvisioner(ctx context.Context, cs kubernetes.Interface, w Workload) (stop func(), err error) {
	p := &provisioner{
		cs:       cs,
		nodeZone: make(map[string]string, w.Nodes),
		queue:    workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]()),
	}
	for i := range w.Nodes {
		p.nodeZone[st.NodeName(i)] = w.NodeZone(i)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(namespace))
	inf := factory.Core().V1().PersistentVolumeClaims().Informer()
	p.claims = inf.GetIndexer()
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			p.queue.Add(key)
		}
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return nil, fmt.Errorf("watching claims: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		cancel()
		return nil, fmt.Errorf("the provisioner's claim cache did not sync")
	}
	var wg sync.WaitGroup
	for range provisionerWorkers {
		wg.Go(func() {
			for p.next(ctx) {
			}
		})
	}
	return func() {
		cancel()
		p.queue.ShutDown()
		wg.Wait()
		factory.Shutdown()
	}, nil
}

// next binds one queued claim; false once the queue is shut down.
func (p *provisioner) next(ctx context.Context) bool {
	key, quit := p.queue.Get()
	if quit {
		return false
	}
	defer p.queue.Done(key)
	if err := p.provision(ctx, key); err != nil {
		klog.FromContext(ctx).V(2).Info("Provisioning failed, retrying", "claim", key, "err", err)
		p.queue.AddRateLimited(key)
		return true
	}
	p.queue.Forget(key)
	return true
}

// provision binds the claim to a new PV in its selected node's zone, once
// it has a selected node and while it has no volume.
func (p *provisioner) provision(ctx context.Context, key string) error {
	obj, ok, err := p.claims.GetByKey(key)
	if err != nil || !ok {
		return err
	}
	claim := obj.(*corev1.PersistentVolumeClaim)
	node := claim.Annotations[annSelectedNode]
	if node == "" || claim.Spec.VolumeName != "" {
		return nil
	}
	zone, ok := p.nodeZone[node]
	if !ok {
		return fmt.Errorf("selected node %q is not one of the benchmark's", node)
	}
	pvName := "pv-" + claim.Name
	pv := st.MakePV(pvName).Class(storageClass).CSI(csiDriver, "handle-"+claim.Name).
		NodeAffinityIn(zoneKey, zone).BoundTo(namespace, claim.Name).Obj()
	pv.UID, pv.Status = "", corev1.PersistentVolumeStatus{}
	pv.Spec.ClaimRef.UID = claim.UID
	pv.Spec.Capacity = corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]}
	if _, err := p.cs.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating PV %s: %w", pvName, err)
	}
	bound := claim.DeepCopy()
	bound.Spec.VolumeName = pvName
	metav1.SetMetaDataAnnotation(&bound.ObjectMeta, annBindCompleted, "yes")
	if _, err := p.cs.CoreV1().PersistentVolumeClaims(namespace).Update(ctx, bound, metav1.UpdateOptions{}); err != nil {
		// A conflict: the informer brings the newer claim, queued again.
		return fmt.Errorf("binding claim %s: %w", key, err)
	}
	return nil
}
