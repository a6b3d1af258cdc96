package topology

import "unique"

// intern returns s backed by memory shared with every other interned copy
// of the same string. Node labels and the keys the rules look them up by
// are interned: comparing two interned strings compares their pointers
// first, so a lookup in a node's labels does not read the key bytes of
// every label, which otherwise sit in their own cache lines, node after
// node.
func intern(s string) string { return unique.Make(s).Value() }

// internLabels returns labels with interned keys and values.
func internLabels(labels map[string]string) map[string]string {
	if labels == nil {
		return nil
	}
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		out[intern(k)] = intern(v)
	}
	return out
}
