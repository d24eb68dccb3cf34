package lines

import (
	"slices"
	"strings"
	"testing"
)

// TestWriterSplitsLines: lines split across writes are joined, several in
// one write are split, each keeps its '\n'; a line longer than Max is
// handed on in pieces; Flush hands on the unfinished last line.
func TestWriterSplitsLines(t *testing.T) {
	var got []string
	w := &Writer{Line: func(l []byte) { got = append(got, string(l)) }, Max: 8}
	for _, p := range []string{"ab", "c\nde\nf", "g\n", strings.Repeat("x", 10), "y\n", "tail"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if string(w.Pending()) != "tail" {
		t.Errorf("Pending = %q, want %q", w.Pending(), "tail")
	}
	w.Flush()
	want := []string{"abc\n", "de\n", "fg\n", strings.Repeat("x", 10), "y\n", "tail"}
	if !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}
