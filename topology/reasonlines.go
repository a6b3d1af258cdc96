package topology

// reasonLines builds each distinct reason line (Reason.String) once: most
// nodes that fail, fail the same way, and a request may name thousands.
// One evaluating goroutine owns it.
type reasonLines map[reasonKey]string

// reasonKey is a reason with at most one subject.
type reasonKey struct{ message, subject string }

// of returns the reason's line, built once per message and subject.
// Reasons of several subjects, rare, are built each time.
func (m reasonLines) of(r *Reason) string {
	if len(r.Subjects) > 1 {
		return r.String()
	}
	k := reasonKey{message: r.Message}
	if len(r.Subjects) == 1 {
		k.subject = r.Subjects[0]
	}
	s, ok := m[k]
	if !ok {
		s = r.String()
		m[k] = s
	}
	return s
}
