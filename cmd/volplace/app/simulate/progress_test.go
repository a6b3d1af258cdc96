package simulate

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestProgress checks that progress stays silent for a second, then
// rewrites one line in place at most every progressEvery, and that Done
// clears it.
func TestProgress(t *testing.T) {
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	now := start
	var out bytes.Buffer
	p := NewProgress(&out, func() time.Time { return now })
	step := func(after time.Duration, msg string) {
		now = start.Add(after)
		p.Update("%s", msg)
	}
	step(0, "quick")
	step(900*time.Millisecond, "still quick")
	if out.Len() != 0 {
		t.Fatalf("progress during the first second: %q", out.String())
	}
	step(time.Second, "reading a.yaml: 10 objects")
	step(time.Second+50*time.Millisecond, "too soon")
	step(time.Second+150*time.Millisecond, "pod 1")
	p.Done()
	// The shorter line pads over the longer one; Done blanks what is left.
	want := "\rreading a.yaml: 10 objects" + "\rpod 1" + strings.Repeat(" ", 21) + "\r" + strings.Repeat(" ", 5) + "\r"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("progress (-want,+got):\n%s", diff)
	}

	var nilProgress *Progress
	nilProgress.Update("nothing")
	nilProgress.Done()
}
