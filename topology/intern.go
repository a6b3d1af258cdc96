package topology

import "unique"

// intern returns s backed by memory shared with the other interned copies
// of the same string. The store interns node labels, and the rules the keys
// and values they look labels up by (selectors, capacity segments): comparing
// two strings compares their pointers first, so a lookup in a node's labels
// mostly does not read the key bytes of every label. Results never depend
// on it: strings with different pointers are compared by content.
func intern(s string) string { return unique.Make(s).Value() }
