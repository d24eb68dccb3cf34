package transfer

import (
	"strings"
	"testing"
)

func TestHeadLinesKeepsErrorsNotChatter(t *testing.T) {
	h := &headLines{max: 2}
	for _, chunk := range []string{
		"2026/11/25 15:29:51 NOTICE: Config file \"/x\" not found - using defaults\n2026/11/25 15:29:51 ERR",
		"OR : b/f-1: Failed to copy: is a directory\n",
		"2026/11/25 15:29:51 INFO  : done\n\nsecond error\nthird error\n",
	} {
		if n, err := h.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	want := "2026/11/25 15:29:51 ERROR : b/f-1: Failed to copy: is a directory\nsecond error"
	if got := h.String(); got != want {
		t.Errorf("kept %q; want %q", got, want)
	}
	if first := firstLine(h.String()); !strings.Contains(first, "b/f-1") {
		t.Errorf("first line %q does not name the failing file", first)
	}
}

func TestHeadLinesKeepsUnterminatedLine(t *testing.T) {
	h := &headLines{max: 8}
	_, _ = h.Write([]byte("rsync error: some files could not be transferred (code 23)"))
	if got := h.String(); got != "rsync error: some files could not be transferred (code 23)" {
		t.Errorf("kept %q", got)
	}
}
