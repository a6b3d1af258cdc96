package soak

import "strings"

func join(msgs []string) string { return "  " + strings.Join(msgs, "\n  ") }
