package simulate

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressDelay is how long a load or an evaluation runs before Progress
// shows it, and progressEvery how often it rewrites its line.
const (
	progressDelay = time.Second
	progressEvery = 100 * time.Millisecond
)

// Progress shows, on one line rewritten in place, how far a long load or
// evaluation has come: nothing during its first second, so that quick runs
// print nothing. It is meant for a terminal (the line ends in a carriage
// return); a nil Progress shows nothing.
type Progress struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	last  time.Time
	width int // of the line shown, 0 when none is
}

// NewProgress returns a Progress writing to w, started now.
func NewProgress(w io.Writer, now func() time.Time) *Progress {
	t := now()
	return &Progress{w: w, now: now, start: t}
}

// Update shows the line once the progress is older than progressDelay, at
// most every progressEvery.
func (p *Progress) Update(format string, args ...any) {
	if p == nil {
		return
	}
	t := p.now()
	if t.Sub(p.start) < progressDelay || (p.width > 0 && t.Sub(p.last) < progressEvery) {
		return
	}
	p.last = t
	line := fmt.Sprintf(format, args...)
	pad := max(p.width-len(line), 0)
	_, _ = fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.width = len(line)
}

// Done clears the line, if one is shown, so that what follows starts on a
// clean line.
func (p *Progress) Done() {
	if p == nil || p.width == 0 {
		return
	}
	_, _ = fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	p.width = 0
}
