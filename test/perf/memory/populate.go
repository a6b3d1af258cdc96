package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// pauseImage is the image of the pods' one container: kube-apiserver
// requires a container, LargeCluster's pods have none.
const pauseImage = "registry.k8s.io/pause:3.10"

// progressInterval is how often creation logs its progress.
const progressInterval = 10 * time.Second

// apiObjects returns the objects as kube-apiserver accepts them: the
// builders' UIDs dropped and a container in each pod. They stay what
// volplace evaluates.
func apiObjects(objs []runtime.Object) []runtime.Object {
	for _, obj := range objs {
		if m, err := meta.Accessor(obj); err == nil {
			m.SetUID("")
		}
		if pod, ok := obj.(*corev1.Pod); ok && len(pod.Spec.Containers) == 0 {
			pod.Spec.Containers = []corev1.Container{{Name: "app", Image: pauseImage}}
		}
	}
	return objs
}

// createAll creates the objects' namespaces, then the objects with workers
// clients in parallel, and sets the status of PVs and claims (kube-apiserver
// clears it on create; volplace reads their phases). It returns how many
// API requests it made.
func createAll(ctx context.Context, cs kubernetes.Interface, objs []runtime.Object, workers int) (int64, error) {
	logger := klog.FromContext(ctx)
	var requests, done atomic.Int64
	namespaces := map[string]bool{}
	for _, obj := range objs {
		if m, err := meta.Accessor(obj); err == nil && m.GetNamespace() != "" && !namespaces[m.GetNamespace()] {
			namespaces[m.GetNamespace()] = true
			requests.Add(1)
			_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: m.GetNamespace()}}, metav1.CreateOptions{})
			if err != nil && !apierrors.IsAlreadyExists(err) {
				return requests.Load(), fmt.Errorf("creating namespace %s: %w", m.GetNamespace(), err)
			}
		}
	}
	stopProgress := make(chan struct{})
	defer close(stopProgress)
	go func() {
		ticker := time.NewTicker(progressInterval)
		defer ticker.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-ticker.C:
				logger.Info("Creating the cluster", "created", done.Load(), "total", len(objs))
			}
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, obj := range objs {
		g.Go(func() error {
			n, err := create(gctx, cs, obj)
			requests.Add(n)
			done.Add(1)
			return err
		})
	}
	err := g.Wait()
	return requests.Load(), err
}

// create creates one object, and sets its status where volplace reads it;
// it returns how many requests it made.
func create(ctx context.Context, cs kubernetes.Interface, obj runtime.Object) (int64, error) {
	core, storage := cs.CoreV1(), cs.StorageV1()
	var err error
	switch o := obj.(type) {
	case *corev1.Node:
		err = post(ctx, o, core.Nodes().Create)
	case *corev1.Pod:
		err = post(ctx, o, core.Pods(o.Namespace).Create)
	case *corev1.PersistentVolume:
		return withStatus(ctx, o, core.PersistentVolumes().Create, core.PersistentVolumes().UpdateStatus,
			func(created *corev1.PersistentVolume) { created.Status = o.Status })
	case *corev1.PersistentVolumeClaim:
		claims := core.PersistentVolumeClaims(o.Namespace)
		return withStatus(ctx, o, claims.Create, claims.UpdateStatus,
			func(created *corev1.PersistentVolumeClaim) { created.Status = o.Status })
	case *storagev1.StorageClass:
		err = post(ctx, o, storage.StorageClasses().Create)
	case *storagev1.CSIDriver:
		err = post(ctx, o, storage.CSIDrivers().Create)
	case *storagev1.CSINode:
		err = post(ctx, o, storage.CSINodes().Create)
	case *storagev1.CSIStorageCapacity:
		err = post(ctx, o, storage.CSIStorageCapacities(o.Namespace).Create)
	case *storagev1.VolumeAttachment:
		// volplace reads a VolumeAttachment's spec only; its status stays
		// empty as kube-apiserver leaves it.
		err = post(ctx, o, storage.VolumeAttachments().Create)
	default:
		err = fmt.Errorf("unsupported object %T", obj)
	}
	return 1, err
}

type createFunc[T runtime.Object] func(context.Context, T, metav1.CreateOptions) (T, error)

func post[T runtime.Object](ctx context.Context, obj T, create createFunc[T]) error {
	if _, err := create(ctx, obj, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating %T %s: %w", obj, name(obj), err)
	}
	return nil
}

// withStatus creates obj, then writes the status setStatus copies from it
// into the created object.
func withStatus[T runtime.Object](ctx context.Context, obj T, create createFunc[T],
	updateStatus func(context.Context, T, metav1.UpdateOptions) (T, error), setStatus func(T)) (int64, error) {
	created, err := create(ctx, obj, metav1.CreateOptions{})
	if err != nil {
		return 1, fmt.Errorf("creating %T %s: %w", obj, name(obj), err)
	}
	setStatus(created)
	if _, err := updateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return 2, fmt.Errorf("setting the status of %T %s: %w", obj, name(obj), err)
	}
	return 2, nil
}

func name(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return "?"
	}
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}
