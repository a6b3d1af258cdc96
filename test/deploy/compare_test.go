package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/google/go-cmp/cmp"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// object is one decoded manifest, as JSON values.
type object map[string]any

// key names an object: kind, namespace (empty for cluster-scoped) and name.
func (o object) key() string {
	meta, _ := o["metadata"].(map[string]any)
	ns, _ := meta["namespace"].(string)
	name, _ := meta["name"].(string)
	kind, _ := o["kind"].(string)
	return kind + " " + ns + "/" + name
}

// decodeObjects decodes a multi-document YAML stream; empty documents (a
// Helm template that rendered nothing) are skipped.
func decodeObjects(stream string) ([]object, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(stream), 4096)
	var out []object
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if len(o) > 0 {
			out = append(out, o)
		}
	}
}

func withoutKind(objs []object, kind string) []object {
	return slices.DeleteFunc(slices.Clone(objs), func(o object) bool { return o["kind"] == kind })
}

// bookkeepingLabels are the labels that say who installed an object, which
// kustomize (managed-by: kustomize, part-of) and Helm (helm.sh/chart,
// instance, version, managed-by: Helm) set differently. No selector uses
// them; every other label, the selectors and the pod templates' labels
// included, must be the same.
var bookkeepingLabels = []string{
	"app.kubernetes.io/managed-by",
	"app.kubernetes.io/part-of",
	"app.kubernetes.io/instance",
	"app.kubernetes.io/version",
	"helm.sh/chart",
}

// helmAnnotationPrefixes are annotations only the chart sets: the checksum
// of a configuration that rolls the pods when it changes, which kustomize
// gets from the hash in the ConfigMap's name instead.
var helmAnnotationPrefixes = []string{"checksum/"}

// kustomizeHash is the suffix configMapGenerator appends to a name.
var kustomizeHash = regexp.MustCompile(`^(.+)-[a-z0-9]{10}$`)

// compareRenderings returns a readable difference between the objects
// kustomize renders and those Helm renders, or "" when they are the same
// after normalization:
//   - bookkeeping labels and Helm's checksum annotations are dropped
//     (metadata and pod templates);
//   - a ConfigMap kustomize named with a content hash is matched with the
//     Helm ConfigMap of the same name without the hash, and references to it
//     are renamed;
//   - ConfigMap data in YAML or JSON files is compared parsed, since Helm
//     renders volplace's configuration from values (sorted keys, no comments);
//   - a pod template's volumes are compared sorted by name (the API keys
//     them by name; kustomize's patch of the self-signed overlay moves the
//     volume it patches first);
//   - runs of whitespace in webhook matchConditions expressions count as one
//     space (CEL ignores them): kustomize's YAML library reads a line break
//     before a more-indented line of a folded scalar as two (the webhook
//     configurations' `>-` expressions).
func compareRenderings(kustomize, helm []object) string {
	helmNames := map[string]bool{}
	for _, o := range helm {
		helmNames[o.key()] = true
	}
	renames := map[string]string{}
	for _, o := range kustomize {
		meta, _ := o["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		if m := kustomizeHash.FindStringSubmatch(name); o["kind"] == "ConfigMap" && m != nil && helmNames["ConfigMap "+ns+"/"+m[1]] {
			renames[name] = m[1]
		}
	}
	want, err := normalizeAll(kustomize, renames)
	if err != nil {
		return "kustomize: " + err.Error()
	}
	got, err := normalizeAll(helm, nil)
	if err != nil {
		return "helm: " + err.Error()
	}
	var b strings.Builder
	for _, k := range sortedKeys(want) {
		if _, ok := got[k]; !ok {
			fmt.Fprintf(&b, "missing from helm: %s\n", k)
		}
	}
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "only in helm: %s\n", k)
		}
	}
	for _, k := range sortedKeys(want) {
		if g, ok := got[k]; ok {
			if d := cmp.Diff(want[k], g); d != "" {
				fmt.Fprintf(&b, "%s:\n%s\n", k, d)
			}
		}
	}
	return b.String()
}

func sortedKeys(m map[string]object) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// normalizeAll normalizes every object and indexes it by key; it fails on
// two objects with the same key.
func normalizeAll(objs []object, renames map[string]string) (map[string]object, error) {
	out := map[string]object{}
	for _, o := range objs {
		n, err := normalize(o, renames)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.key(), err)
		}
		if _, dup := out[n.key()]; dup {
			return nil, fmt.Errorf("%s rendered twice", n.key())
		}
		out[n.key()] = n
	}
	return out, nil
}

func normalize(o object, renames map[string]string) (object, error) {
	// A JSON round trip deep-copies and gives both renderings the same
	// number types.
	raw, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	var n object
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	renameStrings(map[string]any(n), renames)
	cleanMetadata(n["metadata"])
	if spec, ok := n["spec"].(map[string]any); ok {
		if tmpl, ok := spec["template"].(map[string]any); ok {
			cleanMetadata(tmpl["metadata"])
			if podSpec, ok := tmpl["spec"].(map[string]any); ok {
				sortByName(podSpec["volumes"])
			}
		}
	}
	if webhooks, ok := n["webhooks"].([]any); ok {
		for _, w := range webhooks {
			w, _ := w.(map[string]any)
			conditions, _ := w["matchConditions"].([]any)
			for _, c := range conditions {
				if c, ok := c.(map[string]any); ok {
					if e, ok := c["expression"].(string); ok {
						c["expression"] = strings.Join(strings.Fields(e), " ")
					}
				}
			}
		}
	}
	if n["kind"] == "ConfigMap" {
		if err := parseData(n); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// sortByName sorts a list of objects by their "name" field.
func sortByName(list any) {
	l, _ := list.([]any)
	name := func(v any) string {
		m, _ := v.(map[string]any)
		s, _ := m["name"].(string)
		return s
	}
	slices.SortStableFunc(l, func(a, b any) int { return strings.Compare(name(a), name(b)) })
}

// renameStrings replaces, anywhere in v, string values that are keys of
// renames (hashed ConfigMap names and their references).
func renameStrings(v any, renames map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok {
				if r, ok := renames[s]; ok {
					v[k] = r
				}
				continue
			}
			renameStrings(e, renames)
		}
	case []any:
		for i, e := range v {
			if s, ok := e.(string); ok {
				if r, ok := renames[s]; ok {
					v[i] = r
				}
				continue
			}
			renameStrings(e, renames)
		}
	}
}

// cleanMetadata drops bookkeeping labels and Helm's annotations, and the
// maps they leave empty.
func cleanMetadata(m any) {
	meta, ok := m.(map[string]any)
	if !ok {
		return
	}
	if labels, ok := meta["labels"].(map[string]any); ok {
		for _, l := range bookkeepingLabels {
			delete(labels, l)
		}
		if len(labels) == 0 {
			delete(meta, "labels")
		}
	}
	if annotations, ok := meta["annotations"].(map[string]any); ok {
		for a := range annotations {
			for _, p := range helmAnnotationPrefixes {
				if strings.HasPrefix(a, p) {
					delete(annotations, a)
				}
			}
		}
		if len(annotations) == 0 {
			delete(meta, "annotations")
		}
	}
}

// parseData replaces a ConfigMap's YAML and JSON files by their parsed
// content.
func parseData(cm object) error {
	data, ok := cm["data"].(map[string]any)
	if !ok {
		return nil
	}
	for k, v := range data {
		s, ok := v.(string)
		if !ok || (!strings.HasSuffix(k, ".yaml") && !strings.HasSuffix(k, ".json")) {
			continue
		}
		var parsed any
		if err := yaml.Unmarshal([]byte(s), &parsed); err != nil {
			return fmt.Errorf("data[%s]: %w", k, err)
		}
		data[k] = parsed
	}
	return nil
}
