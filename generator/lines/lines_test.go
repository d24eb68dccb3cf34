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

// TestWriterCR: with CR, a '\r' ends a line too (rsync's progress lines),
// handed on with it; without, it is part of the line.
func TestWriterCR(t *testing.T) {
	for _, c := range []struct {
		cr   bool
		want []string
	}{
		{true, []string{"\r", " 1 50%\r", " 2 100%\n", "Number: 2\n"}},
		{false, []string{"\r 1 50%\r 2 100%\n", "Number: 2\n"}},
	} {
		var got []string
		w := &Writer{Line: func(l []byte) { got = append(got, string(l)) }, CR: c.cr}
		for _, p := range []string{"\r 1 5", "0%\r 2 100%\nNum", "ber: 2\n"} {
			_, _ = w.Write([]byte(p))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("CR %v: lines %q, want %q", c.cr, got, c.want)
		}
	}
}
