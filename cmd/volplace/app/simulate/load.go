// Package simulate loads cluster objects from files, expands workloads into
// the pods and claims their controllers would create, and reports, per
// pending pod and node, whether the pod's volumes fit and why not.
package simulate

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"

	"github.com/volplace/volplace/topology/store"
)

// DefaultMaxFileSize bounds a file the loader reads unless told otherwise.
const DefaultMaxFileSize = 256 << 20

// Loader decodes Kubernetes objects from YAML or JSON.
type Loader struct {
	decoder runtime.Decoder
	// Notes receives one line per document skipped (kinds neither topology
	// nor Expand reads).
	Notes io.Writer
	// MaxFileSize bounds a file LoadFiles reads, in bytes; LimitFlag names
	// the flag that sets it, for the error.
	MaxFileSize int64
	LimitFlag   string
	// Progress shows how many objects a long load has read.
	Progress *Progress
}

// NewLoader returns a Loader that writes notes to notes.
func NewLoader(notes io.Writer) *Loader {
	return &Loader{decoder: serializer.NewCodecFactory(scheme.Scheme).UniversalDeserializer(), Notes: notes, MaxFileSize: DefaultMaxFileSize}
}

// LoadFiles reads every file ("-" is standard input) and returns the objects
// topology reads and the workloads Expand reads (SplitWorkloads separates
// them).
func (l *Loader) LoadFiles(paths []string) ([]runtime.Object, error) {
	var objs []runtime.Object
	for _, path := range paths {
		data, err := l.readFile(path)
		if err != nil {
			return nil, err
		}
		got, err := l.Load(path, data)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

func (l *Loader) readFile(path string) ([]byte, error) {
	var r io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		defer func() { _ = f.Close() }()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, l.MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > l.MaxFileSize {
		limit := resource.NewQuantity(l.MaxFileSize, resource.BinarySI).String()
		if l.LimitFlag == "" {
			return nil, fmt.Errorf("reading %s: the file is larger than the limit of %s", path, limit)
		}
		return nil, fmt.Errorf("reading %s: the file is larger than the limit of %s; raise it with %s", path, limit, l.LimitFlag)
	}
	return data, nil
}

// Load decodes the documents of one file: several YAML documents, JSON, or
// a List as `kubectl get -o yaml` writes. It keeps the objects topology
// reads and the workloads Expand reads (apps/v1 StatefulSets and
// Deployments, batch/v1 Jobs) and skips other kinds with a note. Errors
// name the file and document.
func (l *Loader) Load(name string, data []byte) ([]runtime.Object, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []runtime.Object
	for doc := 1; ; doc++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		where := fmt.Sprintf("%s: document %d", name, doc)
		got, err := l.decode(where, raw, true)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
		l.Progress.Update("reading %s: %d objects", name, len(objs))
	}
}

func (l *Loader) decode(where string, raw []byte, allowList bool) ([]runtime.Object, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var head struct {
		metav1.TypeMeta `json:",inline"`
		Items           []runtime.RawExtension `json:"items"`
	}
	if err := yaml.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	if head.Kind == "" && head.APIVersion == "" && len(head.Items) == 0 {
		if isNull(raw) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: not a Kubernetes object: missing apiVersion and kind", where)
	}
	if head.Kind == "" {
		return nil, fmt.Errorf("%s: missing kind", where)
	}
	if allowList && strings.HasSuffix(head.Kind, "List") {
		var objs []runtime.Object
		for i, item := range head.Items {
			got, err := l.decode(fmt.Sprintf("%s, item %d", where, i+1), item.Raw, false)
			if err != nil {
				return nil, err
			}
			objs = append(objs, got...)
			l.Progress.Update("reading %s: %d of %d items", where, i+1, len(head.Items))
		}
		return objs, nil
	}
	if !store.SupportedKind(head.Kind) {
		want, ok := workloadAPIVersions[head.Kind]
		if !ok {
			l.note("%s: skipping %s %s: volplace does not read this kind", where, head.APIVersion, head.Kind)
			return nil, nil
		}
		if head.APIVersion != want {
			l.note("%s: skipping %s %s: volplace reads only %s %s", where, head.APIVersion, head.Kind, want, head.Kind)
			return nil, nil
		}
	}
	obj, _, err := l.decoder.Decode(raw, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: decoding %s: %w", where, head.Kind, err)
	}
	if !store.SupportedObject(obj) && !IsWorkload(obj) {
		l.note("%s: skipping %s %s: volplace reads only the v1 version of this kind", where, head.APIVersion, head.Kind)
		return nil, nil
	}
	return []runtime.Object{obj}, nil
}

// workloadAPIVersions are the kinds of the workloads Expand reads and
// their one API version.
var workloadAPIVersions = map[string]string{
	statefulSetKind.Kind: statefulSetKind.GroupVersion().String(),
	deploymentKind.Kind:  deploymentKind.GroupVersion().String(),
	jobKind.Kind:         jobKind.GroupVersion().String(),
}

func isNull(raw []byte) bool {
	var v any
	return yaml.Unmarshal(raw, &v) == nil && v == nil
}

func (l *Loader) note(format string, args ...any) {
	if l.Notes != nil {
		_, _ = fmt.Fprintf(l.Notes, "note: "+format+"\n", args...)
	}
}

// PendingPods returns the pods without a node that have not finished, of
// one namespace unless namespace is "", or the one pod namespace/name.
func PendingPods(snap *store.Store, namespace, name string) ([]*corev1.Pod, error) {
	var out []*corev1.Pod
	for _, pod := range snap.Pods() {
		if name != "" {
			if pod.Namespace == namespace && pod.Name == name {
				return []*corev1.Pod{pod}, nil
			}
			continue
		}
		if namespace != "" && pod.Namespace != namespace {
			continue
		}
		if pod.Spec.NodeName == "" && pod.Status.Phase != corev1.PodSucceeded && pod.Status.Phase != corev1.PodFailed {
			out = append(out, pod)
		}
	}
	if name != "" {
		return nil, fmt.Errorf("pod %s/%s not found", namespace, name)
	}
	slices.SortFunc(out, func(a, b *corev1.Pod) int {
		return cmp.Or(strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.Name, b.Name))
	})
	return out, nil
}
