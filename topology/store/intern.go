package store

import "unique"

// intern returns s backed by memory shared with the other interned copies
// of the same string, as long as the unique package keeps it: it may drop
// a string no handle holds after a garbage collection, and intern it anew
// later. Node labels and the keys the rules look them up by are interned:
// comparing two strings compares their pointers first, so a lookup in a
// node's labels mostly does not read the key bytes of every label, which
// otherwise sit in their own cache lines, node after node. Results never
// depend on it: strings with different pointers are compared by content.
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
